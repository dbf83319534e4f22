"""The report's section on updates and corrections, and its chart of a count over time."""

import datetime

import pytest

from claims.reports import charts
from claims.reports.contradictions import report_context, report_html
from claims.selectors.claims import contradictions_for_report
from tests.claims.test_supersessions import killed, load

pytestmark = pytest.mark.django_db


def test_a_count_over_time_draws_each_claim_and_a_rising_line_for_each_update():
    counts = [
        charts.Count("k40", "40", datetime.date(2016, 3, 3), 40, 40, superseded=True),
        charts.Count("k63", "at least 63", datetime.date(2016, 3, 5), 63, None, superseded=False),
    ]
    svg = charts.count_over_time_svg(
        chart_id="counts-1",
        title="Harbour bombing: number killed",
        value_label="number killed (people)",
        counts=counts,
        updates=[("k63", "k40")],
    )
    assert svg.startswith("<svg ")
    assert 'aria-label="Harbour bombing: number killed"' in svg
    for text in ("at least 63", "superseded", "updated by", "counted as of"):
        assert text in svg
    assert charts.SUPERSEDED_COLOUR in svg and charts.UPDATE_COLOUR in svg


def test_the_report_has_a_section_per_subject_for_updates_and_corrections():
    load(killed("k40", "40", "d3"), killed("k63", "at least 63", "d5"), killed("k12", "12", "d6"))

    html = report_html(contradictions_for_report())

    assert "Harbour bombing — updates and corrections</h3>" in html
    assert "<code>k63</code> supersedes <code>k40</code> (Update): at least 63 people" in html
    assert "number killed in the bombing, as counted over time" in html  # the count's chart
    assert "; 1 update or correction)" in html  # in the table of contents


def test_an_unfiltered_report_shows_updates_about_subjects_without_flags():
    load(killed("k40", "40", "d3"), killed("k63", "at least 63", "d5"))

    [section] = report_context(contradictions_for_report())["sections"]

    assert section.subject == "Harbour bombing"
    assert section.flag_count == 0
    assert [s.older.key for s in section.supersessions] == ["k40"]


def test_a_filtered_report_shows_updates_about_its_flags_subjects_only():
    load(killed("k40", "40", "d3"), killed("k63", "at least 63", "d5"))

    context = report_context(contradictions_for_report(), filters_text="subject Elsewhere")

    assert context["sections"] == []
