"""The contradiction report in every format, with every filter, on the Libya demo data."""

import csv
import io
import json

import pypdf
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.models import Appearance, Claim, Contradiction
from claims.reports import contradictions as reports
from claims.selectors.claims import ContradictionFilters, contradictions_for_report
from claims.services.claims import contradiction_decide
from tests.claims.demo_data import demo  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("demo")

FIGHTERS = "at least 400 fighters vs fewer than 100 fighters — number of Islamic State fighters"
DERNA = "Shura Council of Mujahideen in Derna vs Islamic State — controlled by, Derna"


def report(*args) -> str:
    out = io.StringIO()
    call_command("contradiction_report", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def report_json(*args) -> list[dict]:
    document = json.loads(report("--format", "json", *args))
    assert document["format"] == "contradictions/1"
    return document["contradictions"]


def flagged_subjects() -> set[str]:
    names = set()
    for flag in Contradiction.objects.select_related("claim_a__subject", "claim_b__subject"):
        subject = flag.claim_a.subject or flag.claim_b.subject
        names.add(subject.name if subject else reports.NO_SUBJECT)
    return names


def test_json_lists_every_demo_contradiction_in_the_spec_shape_with_its_explanation():
    entries = report_json()

    assert len(entries) == Contradiction.objects.count() == 17
    for entry in entries:
        assert {"claims", "kind", "status", "explanation", "detected_by"} <= set(entry)
        assert len(entry["claims"]) == 2 and all(entry["claims"])
        assert entry["explanation"]
    by_pair = {tuple(sorted(entry["claims"])): entry for entry in entries}
    fighters = by_pair[("probe-sirte-escaped-under-100", "sirte-escaped-400")]
    assert fighters["kind"] == "quantity" and fighters["explanation"].startswith(FIGHTERS)
    derna = by_pair[("derna-shura-july-2015", "probe-derna-is-july-2015")]
    assert derna["kind"] == "entity" and derna["explanation"].startswith(DERNA)


def test_csv_has_a_row_per_flag_with_its_explanation():
    rows = list(csv.DictReader(io.StringIO(report("--format", "csv"))))

    assert len(rows) == 17
    assert any(row["explanation"].startswith(FIGHTERS) for row in rows)
    assert {row["kind"] for row in rows} == {"quantity", "date", "entity", "negation", "text"}


def test_html_has_a_section_per_subject_with_both_claims_their_quotes_outlets_and_charts():
    html = report("--format", "html")

    for subject in flagged_subjects():
        assert f"<h2>{subject}</h2>".replace("'", "&#x27;") in html
    assert "<h3>Battle of Sirte (2016) — number of Islamic State fighters who escaped</h3>" in html
    assert FIGHTERS in html
    # Both claims side by side, with quote, outlet and reliability, and independent sources.
    # Each claim links to its admin page, named by its text.
    escaped = Claim.objects.get(key="sirte-escaped-400")
    claim_url = reverse("admin:claims_claim_change", args=[escaped.pk])
    assert f'Claim A: <a href="{claim_url}">{escaped.text}</a>' in html
    assert "“at least 400 ISIS fighters managed to escape Sirte”" in html
    assert "Libyan Gazette, reliability" in html
    assert "independent sources" in html
    # The value chart of the fighters and the timeline of Derna, inline.
    assert (
        'aria-label="Battle of Sirte (2016): number of Islamic State fighters who escaped"' in html
    )
    assert 'aria-label="Derna: claims over time"' in html
    assert "<script" not in html


def test_filters_by_status_kind_subject_outlet_and_detection_dates(admin_user):
    fighters = Contradiction.objects.get(explanation__startswith=FIGHTERS)
    contradiction_decide(
        status="dismissed", contradiction_id=fighters.pk, by=admin_user, reason="a probe"
    )

    assert [e["claims"] for e in report_json("--status", "dismissed")] == [
        [fighters.claim_a.key, fighters.claim_b.key]
    ]
    assert len(report_json("--status", "open")) == 16
    assert {e["kind"] for e in report_json("--kind", "entity", "--kind", "negation")} == {
        "entity",
        "negation",
    }
    derna = report_json("--subject", "Derna")
    assert len(derna) == 2 and all("Derna" in e["explanation"] for e in derna)
    # Either claim appeared in a source of the outlet.
    carried = set(
        Appearance.objects.filter(source__outlet__key="libyan-gazette").values_list(
            "claim__key", flat=True
        )
    )
    gazette = report_json("--outlet", "libyan-gazette")
    expected = [f for f in report_json() if carried & set(f["claims"])]
    assert gazette == expected and 0 < len(gazette) < 17
    assert report_json("--outlet", "Libyan Gazette") == gazette
    today = fighters.last_detected_at.date().isoformat()
    assert len(report_json("--since", today, "--until", today)) == 17
    assert report_json("--until", "2000-01-01") == []
    assert report_json("--since", "2999-01-01") == []


def test_html_says_which_filters_made_it():
    html = report("--format", "html", "--status", "open", "--subject", "Derna")

    assert "(status open; subject Derna)" in html
    assert "<h2>Derna</h2>" in html and "<h2>Libya</h2>" not in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--subject", "Atlantis"), 'no entity has the key, name or alias "Atlantis"'),
        (("--outlet", "Pravda"), 'no outlet has the key or name "Pravda"'),
        (("--until", "last week"), '--until must be a date like 2026-01-31, got "last week"'),
        (("--format", "pdf"), "--format pdf needs --output FILE"),
    ],
)
def test_bad_options_are_refused_with_what_is_wrong(args, message, tmp_path):
    with pytest.raises(CommandError, match=message):
        report(*args)


def test_pdf_opens_and_has_one_section_per_contradicting_subject(tmp_path):
    path = tmp_path / "report.pdf"

    report("--format", "pdf", "--output", str(path))

    pdf = pypdf.PdfReader(path)
    [document] = [entry for entry in pdf.outline if not isinstance(entry, list)]
    assert document.title == "Contradictions"
    sections = [entry.title for entry in pdf.outline[1] if not isinstance(entry, list)]
    assert sorted(sections) == sorted(flagged_subjects())
    assert len(sections) == 8
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "at least 400 fighters vs fewer than 100 fighters" in text
    # Each subject starts a page: at least as many pages as sections.
    assert len(pdf.pages) >= len(sections)


def test_pdf_renderer_fetches_nothing_but_data_urls(tmp_path, monkeypatch):
    """A claim's text is the tracker's input: an <img> in it must not make the PDF read files."""
    fetched = []
    import weasyprint

    real_fetch = weasyprint.urls.URLFetcher.fetch

    def spy(self, url, *args, **kwargs):
        fetched.append(url)
        return real_fetch(self, url, *args, **kwargs)

    monkeypatch.setattr(weasyprint.urls.URLFetcher, "fetch", spy)
    flags = list(contradictions_for_report(ContradictionFilters(subject="Derna")))
    flags[0].claim_a.text = '<img src="file:///etc/passwd">'

    pdf = reports.report_pdf(flags)

    assert pdf.startswith(b"%PDF")
    assert fetched and all(url.startswith("data:") for url in fetched)


def test_report_reads_in_a_fixed_number_of_queries():
    def queries(filters):
        flags = list(contradictions_for_report(filters))
        with CaptureQueriesContext(connection) as captured:
            reports.report_sections(flags)
        return len(captured.captured_queries)

    assert queries(ContradictionFilters(subject="Derna")) == queries(ContradictionFilters())


def test_csv_defuses_formulas_behind_white_space_and_line_breaks():
    flags = list(contradictions_for_report(ContradictionFilters(subject="Derna")))
    flags[0].explanation = "\n=HYPERLINK(1)"
    flags[0].claim_a.text = " @SUM(A1)"

    [row, *_] = csv.DictReader(io.StringIO(reports.report_csv(flags)))

    assert row["explanation"] == "'\n=HYPERLINK(1)"
    assert row["claim_a_text"] == "' @SUM(A1)"
