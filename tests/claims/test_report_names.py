"""Names are text in every form of the contradiction report: a `$...$` in an outlet's,
a subject's or a predicate's name is shown as written, never read as matplotlib's math text
(which raised on `$x_$` and took down every form of the report)."""

import csv
import datetime
import io
import json

import pypdf
import pytest
from django.urls import reverse

from claims.models import Claim
from claims.reports import charts
from claims.reports import contradictions as reports
from claims.selectors.claims import contradictions_for_report
from tests.factories import (
    AppearanceFactory,
    ClaimFactory,
    ContradictionFactory,
    EntityFactory,
    OutletFactory,
    PredicateFactory,
    SourceFactory,
)

# Each would stop matplotlib's math parser: a subscript, a superscript and a fraction with
# nothing to apply to.
OUTLET = "The $x_$ Gazette"
SUBJECT = r"Fund $\frac{$ Libya"
PREDICATE = "cost in US$ ^$ dollars"


@pytest.fixture
def flag_with_math_names(db):
    outlet = OutletFactory(name=OUTLET)
    subject = EntityFactory(name=SUBJECT)
    predicate = PredicateFactory(name=PREDICATE, unit="USD", time_varying=True)
    claims = []
    for day, (low, high) in ((1, (400.0, 400.0)), (20, (50.0, 90.0))):
        claim = ClaimFactory(
            subject=subject,
            predicate=predicate,
            value_as_written=f"{low:g} to {high:g}",
            quantity_low=low,
            quantity_high=high,
            quantity_given_low=low,
            quantity_given_high=high,
            quantity_given_unit="USD",
        )
        source = SourceFactory(outlet=outlet, published=datetime.date(2015, 7, day))
        AppearanceFactory(claim=claim, source=source)
        claims.append(claim)
    return ContradictionFactory(claim_a=claims[0], claim_b=claims[1])


def test_chart_labels_holding_dollar_signs_are_drawn_as_written():
    bars = [
        charts.Bar(
            key=key, label=f"US$ {key}$", low=low, high=high, low_inclusive=True,
            high_inclusive=True, published=datetime.date(2016, 1, 1), status="unreviewed",
            outlet=OUTLET,
        )
        for key, low, high in (("a_", 1.0, 2.0), ("b^", 5.0, 6.0))
    ]  # fmt: skip

    svg = charts.value_interval_svg(
        chart_id="money", title=SUBJECT, value_label=PREDICATE, bars=bars, dates=False
    )
    timeline = charts.timeline_svg(
        chart_id="money-time",
        title=SUBJECT,
        spans=[
            charts.Span(key="a", row=f"{PREDICATE}: $1$", start=None, end=None, status="vetted"),
            charts.Span(key="b", row=f"{OUTLET}: $_$", start=None, end=None, status="vetted"),
        ],
        conflicts=[],
    )

    assert OUTLET in svg and PREDICATE in svg and r"\frac" in svg and "US$ a_$" in svg
    assert f"{PREDICATE}: $1$" in timeline and f"{OUTLET}: $_$" in timeline


def test_json_and_csv_reports_carry_the_names(flag_with_math_names):
    flags = list(contradictions_for_report())

    document = json.loads(reports.report_json(flags))
    rows = list(csv.DictReader(io.StringIO(reports.report_csv(flags))))

    assert [entry["id"] for entry in document["contradictions"]] == [flag_with_math_names.pk]
    assert rows[0]["subject"] == SUBJECT and rows[0]["predicate"] == PREDICATE


def test_html_report_draws_the_charts_with_the_names_as_written(flag_with_math_names):
    html = reports.report_html(list(contradictions_for_report()))

    assert (
        html.count('<svg role="img"') == 2
    )  # the values of the subject and predicate, and the timeline
    assert "The $x_$ Gazette" in html
    assert r"Fund $\frac{$ Libya: cost in US$ ^$ dollars" in html


def test_pdf_report_prints_with_the_names(flag_with_math_names):
    pdf = pypdf.PdfReader(io.BytesIO(reports.report_pdf(list(contradictions_for_report()))))

    text = "".join(page.extract_text() for page in pdf.pages)
    assert "Gazette" in text and "dollars" in text


def test_the_admin_report_page_and_the_claim_page_show_the_charts(
    flag_with_math_names, staff_client
):
    report = staff_client.get(reverse("admin:claims_contradictionreport_changelist"))
    pdf = staff_client.get(
        reverse("admin:claims_contradictionreport_changelist"), {"format": "pdf"}
    )
    claim = Claim.objects.get(pk=flag_with_math_names.claim_a_id)
    page = staff_client.get(reverse("admin:claims_claim_change", args=[claim.pk]))

    assert report.status_code == 200 and "The $x_$ Gazette" in report.content.decode()
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert page.status_code == 200
    assert page.content.decode().count('<svg role="img"') == 2
    assert f"{PREDICATE} (USD)" in page.content.decode()
