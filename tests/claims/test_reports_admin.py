"""The report's admin pages: the report with its filters and PDF, the editions, the claim chart."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from claims import tasks
from claims.models import Claim
from tests.claims.demo_data import demo  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("demo")
REPORT_URL = "/admin/claims/contradictionreport/"


@pytest.fixture
def reader_client(client):
    """A staff member who may only view contradictions: an editor reading the report."""
    user = get_user_model().objects.create_user(username="reader", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_contradiction"))
    client.force_login(user)
    return client


@pytest.fixture
def outsider_client(client):
    # Every staff user reads everything (tracker/auth.py); an outsider is a user who is not staff.
    user = get_user_model().objects.create_user(username="outsider", password="x")
    client.force_login(user)
    return client


def test_the_admin_index_links_to_the_report_and_its_editions(reader_client):
    page = reader_client.get(reverse("admin:index")).content.decode()

    assert f'href="{REPORT_URL}"' in page
    assert reverse("admin:claims_contradictionreport_changelist") == REPORT_URL


def test_the_report_page_shows_every_demo_flag_grouped_with_charts(reader_client):
    page = reader_client.get(REPORT_URL).content.decode()

    assert "17 flags in 8 subjects" in page
    assert "<h2>Derna</h2>" in page and "<h3>Derna — controlled by</h3>" in page
    assert "at least 400 fighters vs fewer than 100 fighters" in page
    assert page.count("<svg ") >= 8
    assert "?format=pdf" in page


def test_the_report_page_filters_by_status_kind_subject_outlet_and_dates(reader_client):
    page = reader_client.get(
        REPORT_URL, {"status": "open", "kind": "entity", "subject": "Derna"}
    ).content.decode()

    assert "1 flag in 1 subject (status open; kind entity; subject Derna)" in page
    page = reader_client.get(REPORT_URL, {"outlet": "libyan-gazette"}).content.decode()
    assert "outlet libyan-gazette" in page
    page = reader_client.get(REPORT_URL, {"until": "2000-01-01"}).content.decode()
    assert "0 flags in 0 subjects" in page and "No contradictions." in page


def test_the_report_page_names_a_bad_filter_and_lists_nothing(reader_client):
    page = reader_client.get(REPORT_URL, {"subject": "Atlantis"}).content.decode()
    assert "no entity has the key, name or alias &quot;Atlantis&quot;" in page
    assert "<h2>" not in page

    page = reader_client.get(
        REPORT_URL, {"since": "2026-02-01", "until": "2026-01-01"}
    ).content.decode()
    assert "The end of the date range is before its start." in page


def test_the_report_page_gives_its_pdf(reader_client):
    response = reader_client.get(REPORT_URL, {"subject": "Derna", "format": "pdf"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_outsiders_are_refused_the_report_and_the_editions(outsider_client):
    editions = reverse("admin:claims_reportedition_changelist")
    for response in (
        outsider_client.get(REPORT_URL),
        outsider_client.get(REPORT_URL, {"format": "pdf"}),
        outsider_client.get(editions),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_editions_are_listed_with_their_range_and_counts_and_compared(staff_client):
    tasks.produce_report_edition.delay(period_end="2026-03-01").get()
    Claim.objects.filter(key="probe-derna-is-july-2015").delete()  # its two flags go with it
    pk = tasks.produce_report_edition.delay(period_end="2026-03-08").get()

    listing = staff_client.get(reverse("admin:claims_reportedition_changelist")).content.decode()
    assert "report 2026-03-02 to 2026-03-08" in listing
    assert "report 2026-02-23 to 2026-03-01" in listing
    page = staff_client.get(
        reverse("admin:claims_reportedition_change", args=[pk])
    ).content.decode()
    assert "0 new, 2 no longer listed, 0 changed status" in page
    assert "<iframe" in page and "srcdoc=" in page


def test_a_claim_page_shows_the_chart_of_its_subject_and_predicate(staff_client):
    claim = Claim.objects.get(key="sirte-escaped-400")

    page = staff_client.get(reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()

    assert "<svg " in page
    assert "number of Islamic State fighters who escaped (fighters)" in page
    assert "source published" in page


def test_the_report_page_links_every_flag_claim_and_source_but_the_pdf_keeps_text_only(
    reader_client,
):
    from claims.models import Contradiction
    from claims.reports import contradictions as reports
    from claims.selectors.claims import contradictions_for_report

    page = reader_client.get(REPORT_URL).content.decode()

    flags = list(contradictions_for_report())
    for flag in flags:
        assert reverse("admin:claims_contradiction_change", args=[flag.pk]) in page
        for claim_id in (flag.claim_a_id, flag.claim_b_id):
            assert reverse("admin:claims_claim_change", args=[claim_id]) in page
    source = Contradiction.objects.first().claim_a.appearances.first().source
    assert reverse("admin:sources_source_change", args=[source.pk]) in page
    # Detector versions only on hover.
    assert 'title="detector structured/1">found automatically</span>' in page
    assert reports.report_context(flags, links=False)["links"] is False
    pdf_html = reports.render_to_string(
        "claims/contradiction_report.html", reports.report_context(flags, links=False)
    )
    assert "/admin/" not in pdf_html


def test_the_report_subject_filter_matches_part_of_a_name_or_an_alias_and_suggests_them(
    reader_client,
):
    page = reader_client.get(REPORT_URL, {"subject": "Sirte"}).content.decode()

    # "Sirte" finds the flags about the Battle of Sirte (2016) as well as Sirte's.
    assert "<h2>Battle of Sirte (2016)</h2>" in page
    assert '<option value="ISIS">' in page  # an alias, suggested as one types
    by_alias = reader_client.get(REPORT_URL, {"subject": "Daesh"}).content.decode()
    assert "<h2>Islamic State</h2>" in by_alias
