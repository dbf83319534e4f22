"""A reviewer's round in a real browser (Playwright, Debian's chromium, headless, the live test
server): rate a demo claim on its admin page, vet it, and see its outlet's track record move.
The recount runs in the live server's thread: without a broker Celery runs tasks in-process,
and the services send them on commit (claims.services._review_changed)."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from claims.core.roles import REVIEWERS
from claims.models import Claim, ContradictionStatus
from tests.browser.test_report_browser import (
    PASSWORD,
    SCREENSHOTS,
    chromium_browser,
    log_in,
)

# The live server needs committed data; serialized_rollback puts back, after the flush, what the
# migrations wrote (the editors and reviewers groups) for the tests that follow.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def demo_reviewer(transactional_db):
    """A member of the reviewers group, the demo data, and a demo claim that could be vetted
    once rated (no open contradiction), and the outlet of its first appearance that has one."""
    call_command("load_demo", stdout=io.StringIO())  # commits: its checks run in-process
    user = get_user_model().objects.create_user(
        username="browser-reviewer", password=PASSWORD, is_staff=True
    )
    user.groups.add(Group.objects.get(name=REVIEWERS))
    claim = (
        Claim.objects.filter(
            appearances__source__outlet__isnull=False, status=Claim.Status.UNREVIEWED
        )
        .exclude(contradictions_as_a__status=ContradictionStatus.OPEN)
        .exclude(contradictions_as_b__status=ContradictionStatus.OPEN)
        .order_by("key")
        .first()
    )
    outlet = (
        claim.appearances.filter(source__outlet__isnull=False)
        .order_by("position")
        .first()
        .source.outlet
    )
    return {"username": user.username, "claim": claim.pk, "outlet": outlet.name}


@pytest.fixture
def browser(monkeypatch, live_server, demo_reviewer):
    # After the data, closed before the live server stops; the test body makes no query (see
    # test_report_browser.browser for why).
    with chromium_browser(monkeypatch) as browser:
        yield browser


def outlet_track_record(page, live_server, outlet: str) -> str:
    page.goto(f"{live_server.url}/admin/sources/outlet/")
    row = page.locator("#result_list tbody tr", has_text=outlet)
    return row.locator("td.field-settled_record").inner_text()


def test_a_reviewer_rates_and_vets_a_demo_claim_and_sees_its_outlets_track_record_change(
    browser, live_server, demo_reviewer
):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, live_server, demo_reviewer["username"])
    before = outlet_track_record(page, live_server, demo_reviewer["outlet"])
    vetted_before = int(re.search(r"\b(\d+) vetted", before).group(1)) if "vetted" in before else 0

    claim_page = f"{live_server.url}/admin/claims/claim/{demo_reviewer['claim']}/change/"
    page.goto(claim_page)
    assert "cannot be vetted" in page.inner_text(".field-vetting")
    page.select_option("#id_rate_likelihood", "very_likely")
    page.select_option("#id_rate_confidence", "moderate")
    # The credibility grade is left at the tracker's suggestion, preselected.
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist")
    assert "very likely" in page.inner_text(".field-current_ratings")
    assert page.inner_text(".field-vetting").strip().endswith("can be vetted")

    page.select_option("#id_new_status", "vetted")
    page.fill("#id_status_reason", "Confirmed by the rating above.")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist")
    assert page.locator(".errornote").count() == 0
    assert "Confirmed by the rating above." in page.inner_text(".field-status_record")

    after = outlet_track_record(page, live_server, demo_reviewer["outlet"])
    assert after != before
    assert re.search(rf"\b{vetted_before + 1} vetted, 0 refuted\)", after), (before, after)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    screenshot = SCREENSHOTS / "outlet-track-record-after-vetting.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000
