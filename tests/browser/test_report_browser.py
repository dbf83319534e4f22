"""The report in a real browser: Playwright driving Debian's chromium, headless, against the live
test server. Without chromium the test fails in CI (CI=true) and is skipped, saying why, elsewhere
(scripts/system-packages.sh installs it; ./scripts/start runs that)."""

import contextlib
import io
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from claims.core.roles import EDITORS
from claims.models import Claim

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# Where the screenshots go: kept after the run for people to look at (git ignores the folder).
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", settings.BASE_DIR / "test-artifacts"))
PASSWORD = "editor-password-for-the-browser-test"

# The live server needs committed data; serialized_rollback puts back, after the flush, what the
# migrations wrote (the editors and reviewers groups) for the tests that follow.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def chromium_or_skip() -> str:
    path = shutil.which("chromium") or (CHROMIUM if os.path.exists(CHROMIUM) else None)
    if path:
        return path
    reason = "Debian's chromium is not installed (bash scripts/system-packages.sh installs it)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the browser test")
    pytest.skip(reason)


@contextlib.contextmanager
def chromium_browser(monkeypatch):
    """Debian's chromium, headless, under Playwright (skipped or failed when it is missing)."""
    executable = chromium_or_skip()
    # Playwright's sync API runs an event loop in this thread; the live server's database calls
    # from the test itself are synchronous and safe here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def query_outside_playwright(read):
    """Run `read` (database queries) in a thread of its own and close that thread's connection:
    in the test body, while Playwright's loop runs, a query would open a connection that nobody
    closes (see `browser` below). The live server's writes are committed, so the thread sees
    them."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    def run():
        try:
            return read()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


@pytest.fixture
def browser(monkeypatch, live_server, editor):
    # Set up after the data and closed before the live server stops. While Playwright's event
    # loop runs, Django's connections belong to its context: a query made then opens a
    # connection nobody closes, and the test database cannot be dropped. So the test body makes
    # no query, and the fixtures that do run before this one.
    with chromium_browser(monkeypatch) as browser:
        yield browser


@pytest.fixture
def editor(transactional_db):
    """A member of the editors group, with the demo data loaded."""
    call_command("load_demo", stdout=io.StringIO())  # commits: its checks run in-process
    user = get_user_model().objects.create_user(username="editor", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=EDITORS))
    return {"username": user.username, "claim": Claim.objects.get(key="benghazi-2011").pk}


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#content-main")


def test_an_editor_opens_filters_and_screenshots_the_report_and_sees_a_claim_chart(
    browser, live_server, editor
):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, live_server, editor["username"])

    page.click("text=Contradiction report")
    page.wait_for_selector(".report")
    assert page.locator(".report h2").count() == 3
    assert page.locator(".report .chart svg").count() >= 3

    page.check("#id_status input[value=open]")
    page.fill("#id_subject", "Derna")
    page.click("#report-filters input[type=submit]")
    page.wait_for_url("**subject=Derna**")
    assert page.locator(".report h2").all_inner_texts() == ["Derna"]
    assert page.locator(".report .flag").count() == 1
    assert "status open; subject Derna" in page.inner_text(".report .meta")
    timeline = page.locator(".report .chart.timeline svg")
    assert timeline.is_visible() and timeline.bounding_box()["height"] > 100
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    screenshot = SCREENSHOTS / "contradiction-report-derna.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000

    page.goto(f"{live_server.url}/admin/claims/claim/{editor['claim']}/change/")
    chart = page.locator("fieldset svg").first
    assert chart.is_visible() and chart.bounding_box()["width"] > 300
    labels = chart.locator("text").all_text_contents()
    assert "2012 Benghazi attack: date" in labels
    assert "source published" in labels
    page.screenshot(path=str(SCREENSHOTS / "claim-chart.png"), full_page=True)
