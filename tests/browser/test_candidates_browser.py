"""An editor brings an article in, in a real browser (Playwright, Debian's chromium, headless,
the live test server): pastes a seed article as a new source, accepts three of its candidate
claims, and sees the claims created and the contradiction flag one of them raised (the check
runs in the live server's thread on commit: without a broker Celery runs tasks in-process)."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from claims.core.roles import EDITORS
from claims.models import Appearance, Claim, Predicate
from sources.models import Entity, Source
from tests.browser.test_report_browser import PASSWORD, SCREENSHOTS, chromium_browser, log_in
from tracker.models import Precision

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SEED = "demo/corpus/001_b1a77089e6833a8a.txt"  # the Libyan Gazette on Sirte, 2016


@pytest.fixture
def newsroom(transactional_db, settings):
    """An editor; Sirte and the predicate of escaped fighters; and an earlier report that
    fewer than 100 fighters escaped, which the article's "at least 400" contradicts."""
    user = get_user_model().objects.create_user(username="editor", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=EDITORS))
    sirte = Entity.objects.create(key="sirte", name="Sirte", normalized_name="sirte", kind="place")
    escaped = Predicate.objects.create(
        key="escaped",
        name="number of fighters who escaped",
        normalized_name="numberoffighterswhoescaped",
        value_type="quantity",
        unit="fighters",
    )
    earlier = Source.objects.create(
        key="earlier-report",
        title="An earlier report",
        published=datetime.date(2016, 7, 1),
        published_precision=Precision.DAY,
    )
    claim = Claim.objects.create(
        key="few-escaped",
        text="Fewer than 100 fighters escaped Sirte.",
        subject=sirte,
        predicate=escaped,
        value_type="quantity",
        value_as_written="fewer than 100",
        quantity_low=0,
        quantity_high=100,
        quantity_high_inclusive=False,
        quantity_given_low=0,
        quantity_given_high=100,
    )
    Appearance.objects.create(claim=claim, source=earlier, quote="")
    article = (settings.BASE_DIR / SEED).read_text(encoding="utf-8")
    return {"username": user.username, "article": article}


@pytest.fixture
def browser(monkeypatch, live_server, newsroom):
    # After the data, closed before the live server stops; the test body makes no query while
    # Playwright runs (see test_report_browser.browser for why).
    with chromium_browser(monkeypatch) as browser:
        yield browser


def candidate_row(page, value_words: str):
    strong = page.locator("mark strong", has_text=re.compile(f"^{re.escape(value_words)}$"))
    return page.locator(".candidate").filter(has=strong)


def test_an_editor_pastes_a_seed_article_accepts_three_candidates_and_sees_claims_and_a_flag(
    browser, live_server, newsroom
):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, live_server, newsroom["username"])
    page.goto(f"{live_server.url}/admin/sources/source/")
    page.click("text=Bring an article in")
    page.fill("#id_source-title", "US Warns of Potential ISIS Regrouping in Libya")
    page.fill("#id_source-published_as_text", "2016-08-10")
    page.fill("#id_source-text", newsroom["article"])
    page.click("input[type=submit][value='Propose claims']")
    page.wait_for_selector(".candidate")
    assert page.locator(".candidate").count() >= 5
    first = candidate_row(page, "at least 400")
    assert "[400, open)" in first.locator(".parsed-value").inner_text()
    assert first.locator("select[name$=predicate]").input_value() == "escaped"

    for value in ("at least 400", "May", "August 1"):
        candidate_row(page, value).get_by_label("Accept").check()
    page.screenshot(path=str(SCREENSHOTS / "propose-claims-candidates.png"), full_page=True)
    page.click("input[name=_accept]")
    page.wait_for_selector("#created")

    assert page.inner_text("#created").startswith("3 claims created")
    created = page.locator(".created-claims li").all_inner_texts()
    assert any("at least 400" in line for line in created)
    assert any("May" in line for line in created)
    assert page.inner_text("#flags") == "1 contradiction flag raised"
    assert "few-escaped" in page.inner_text(".new-flags")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    screenshot = SCREENSHOTS / "propose-claims-created-and-flagged.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000
