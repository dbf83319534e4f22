"""The tracker in its users' shoes, in a real browser at 1280x800 (Playwright, Debian's chromium,
headless, the live test server, the demo data): an editor adds a source and a claim and sees a
flag; a reviewer opens a flag from the desk, resolves it, rates and vets a claim; an anonymous
consumer finds the vetted fact in /api/v1/facts/. Every page visited is checked for horizontal
overflow and screenshotted into test-artifacts/.

Detection runs in the live server's thread: without a broker Celery runs tasks in-process, and
the services send them on commit."""

import io
import json

import pytest
from django.core.management import call_command

from claims.models import Claim, ClaimStatus, Contradiction, ContradictionStatus
from claims.services.demo import DEMO_ACCOUNTS, demo_account_ensure
from tests.browser.test_report_browser import (
    PASSWORD,
    SCREENSHOTS,
    chromium_browser,
    query_outside_playwright,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
VIEWPORT = {"width": 1280, "height": 800}

# Elements that scroll sideways on their own (the admin's lists and inlines) overflow too: the
# user would have to scroll them to see a column.
OVERFLOWING = """() => {
  const page = document.documentElement;
  const found = [];
  if (page.scrollWidth > window.innerWidth) found.push(`page ${page.scrollWidth}px`);
  for (const el of document.querySelectorAll('.results, .inline-group, .module, #content-main')) {
    if (el.scrollWidth > el.clientWidth + 1) {
      found.push(`${el.tagName}.${el.className} ${el.scrollWidth}>${el.clientWidth}`);
    }
  }
  return found;
}"""


@pytest.fixture
def demo(transactional_db):
    """The demo as ./scripts/start loads it, and the demo editor's and reviewer's logins."""
    call_command("load_demo", stdout=io.StringIO())  # commits: its checks run in-process
    users = {}
    for account in DEMO_ACCOUNTS[1:]:
        user = demo_account_ensure(account)
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
        users[account.role] = user.username
    flag = Contradiction.objects.get(
        claim_a__key="benghazi-2011", claim_b__key="benghazi-2012-09-11"
    )
    return {**users, "benghazi_flag": flag.pk, "claims_before": Claim.objects.count()}


@pytest.fixture
def browser(monkeypatch, live_server, demo):
    # After the data, closed before the live server stops; the test bodies query only after
    # the browser work is done (see test_report_browser.browser for why).
    with chromium_browser(monkeypatch) as browser:
        yield browser


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#content-main")


def look(page, name: str) -> None:
    """Assert nothing on the page overflows sideways, and keep a screenshot of it."""
    assert page.evaluate(OVERFLOWING) == [], name
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"journey-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5_000


def choose(page, field: str, typed: str, option: str) -> None:
    """Pick `option` in the admin's autocomplete for `field` after typing `typed`."""
    page.click(f"#id_{field} + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", typed)
    page.click(f".select2-results__option:has-text('{option}')")


def test_an_editor_adds_a_source_and_a_claim_and_sees_the_flag_it_raises(
    browser, live_server, demo
):
    page = browser.new_page(viewport=VIEWPORT)
    log_in(page, live_server, demo["editor"])
    look(page, "editor-1-desk")

    # A new article, its date in words, its authors one a line, no key: one is made for it.
    page.click("#section-sources a.addlink >> nth=0")
    page.fill("#id_title", "Benghazi attack anniversary marked in Tripoli")
    page.fill("#id_published_as_text", "6 December 2016")
    page.fill("#id_authors", "A Reporter\nAnother Reporter")
    page.fill("#id_text", "The attack on the US mission in Benghazi happened in 2013, it said.")
    look(page, "editor-2-new-source")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    look(page, "editor-3-sources")
    assert "6 December 2016" in page.inner_text("#result_list")

    # A claim that disagrees with the Senate's date of the attack, quoted from that article.
    page.goto(f"{live_server.url}/admin/claims/claim/add/")
    page.fill("#id_text", "The attack on the US mission in Benghazi took place in 2013.")
    choose(page, "subject", "Benghazi attack", "2012 Benghazi attack")
    choose(page, "predicate", "date", "date")
    page.fill("#id_value_as_written", "2013")
    choose(page, "appearances-0-source", "anniversary", "Benghazi attack anniversary")
    page.fill("#id_appearances-0-quote", "happened in 2013")
    look(page, "editor-4-new-claim")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")

    # Detection ran on commit: the claim's page lists the flag, linked.
    page.reload()
    flags = page.locator(".field-open_contradictions .open-contradictions li")
    assert flags.count() >= 1
    assert "2012" in flags.first.inner_text()
    look(page, "editor-5-claim-with-flag")
    flags.first.locator("a").first.click()
    page.wait_for_selector(".contradiction-side")
    look(page, "editor-6-flag")
    # An editor reads the flag; deciding on it is a reviewer's job.
    assert page.locator("input[name=decision]").count() == 0


def test_a_reviewer_resolves_a_flag_from_the_desk_then_rates_and_vets_a_claim(
    browser, live_server, demo
):
    page = browser.new_page(viewport=VIEWPORT)
    log_in(page, live_server, demo["reviewer"])
    look(page, "reviewer-1-desk")

    page.click(f"#desk-open-flags a[href$='/{demo['benghazi_flag']}/change/']")
    page.wait_for_selector(".contradiction-side")
    # Both claims are links a reader can see on the coloured header.
    header_link = page.locator("#claim-a h2 a")
    assert header_link.is_visible()
    colour, background = header_link.evaluate(
        "a => [getComputedStyle(a).color, getComputedStyle(a.closest('h2')).backgroundColor]"
    )
    assert colour != background
    look(page, "reviewer-2-flag")

    reason = "The Senate's review dates the attack to 11 September 2012."
    page.check("input[name=decision][value=refute_a]")
    page.fill("#id_reason", reason)
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    assert "Resolved" in page.inner_text(".field-status")
    assert reason in page.inner_text(".field-dismissed_reason")
    look(page, "reviewer-3-flag-resolved")

    # The other claim, now free of open flags, rated and vetted in one save.
    page.click("#claim-b h2 a")
    page.wait_for_selector("#id_rate_likelihood")
    page.select_option("#id_rate_likelihood", "very_likely")
    page.select_option("#id_rate_confidence", "high")
    page.select_option("#id_new_status", "vetted")
    page.fill("#id_status_reason", "The Senate's own review, a primary source.")
    look(page, "reviewer-4-claim-review")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    assert page.locator(".messagelist .warning").count() == 0
    assert page.inner_text(".field-status .readonly").strip() == "Vetted"
    look(page, "reviewer-5-claim-vetted")

    page.goto(f"{live_server.url}/admin/claims/claim/")
    look(page, "reviewer-6-claim-list")
    page.goto(f"{live_server.url}/admin/claims/contradictionreport/")
    page.wait_for_selector(".report")
    assert page.locator(".report a[href*='/admin/claims/claim/']").count() >= 2
    look(page, "reviewer-7-report")

    claim, flag = query_outside_playwright(
        lambda: (
            Claim.objects.get(key="benghazi-2012-09-11"),
            Contradiction.objects.get(pk=demo["benghazi_flag"]),
        )
    )
    assert claim.status == ClaimStatus.VETTED
    assert (flag.status, flag.dismissed_reason) == (ContradictionStatus.RESOLVED, reason)


def test_an_anonymous_consumer_finds_a_vetted_fact_in_the_api(browser, live_server, demo):
    page = browser.new_page(viewport=VIEWPORT)

    page.goto(f"{live_server.url}/api/")
    look(page, "consumer-1-api-root")
    page.click("a[href$='/api/v1/facts/']")
    page.wait_for_load_state()
    look(page, "consumer-2-facts")
    response = page.request.get(f"{live_server.url}/api/v1/facts/?format=json")
    assert response.ok
    facts = json.loads(response.text())
    texts = [fact["text"] for fact in facts["results"]]
    assert "Sirte had a population of 80,000 in 2015." in texts
    assert "Sirte had a population of 80,000 in 2015." in page.inner_text("body")
