"""The Content-Security-Policy in a real browser: the admin (its widgets' scripts), the report
page (inline SVG charts), a report edition (a sandboxed frame), the browsable API and the API's
docs (Swagger UI and Redoc) all work under it, and chromium reports no violation of it."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from claims.core.roles import EDITORS
from claims.models import Contradiction, ReportEdition
from claims.reports.contradictions import report_edition_produce
from tests.browser.test_report_browser import PASSWORD, chromium_browser, log_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
REDOC_LOGO = "Loading the image 'https://cdn.redoc.ly/redoc/logo-mini.svg' violates"


@pytest.fixture
def editor_with_an_edition(transactional_db):
    from django.core.management import call_command

    call_command("load_demo", verbosity=0)
    report_edition_produce(period_end=datetime.date(2026, 1, 4), days=7)
    user = get_user_model().objects.create_user(username="editor", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=EDITORS))
    return {
        "username": user.username,
        # A claim with a flag: it has others of its subject and predicate to chart.
        "claim": Contradiction.objects.order_by("pk").first().claim_a_id,
        "edition": ReportEdition.objects.get().pk,
    }


@pytest.fixture
def browser(monkeypatch, live_server, editor_with_an_edition):
    # Made after the data, as in test_report_browser.py: the test body makes no query.
    with chromium_browser(monkeypatch) as browser:
        yield browser


def test_every_page_works_under_the_policy_with_no_violation(
    browser, live_server, editor_with_an_edition
):
    data = editor_with_an_edition
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    violations: list[str] = []  # chromium logs each blocked load or script on the console
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and violations.append(message.text)
        ),
    )
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    first = page.goto(f"{live_server.url}/admin/login/")
    assert "script-src 'self'" in first.headers["content-security-policy"]
    log_in(page, live_server, data["username"])

    page.goto(f"{live_server.url}/admin/claims/claim/{data['claim']}/change/")
    # The autocompletes are drawn by the admin's select2 scripts: they ran.
    page.wait_for_selector(".select2-container")
    assert page.locator("fieldset svg[role=img]").first.is_visible()

    page.goto(f"{live_server.url}/admin/claims/contradictionreport/")
    assert page.locator(".report .chart svg").first.is_visible()

    page.goto(f"{live_server.url}/admin/claims/reportedition/{data['edition']}/change/")
    frame = page.frame_locator("iframe.report-edition")
    assert frame.locator("h1").first.is_visible()

    page.goto(f"{live_server.url}/api/v1/facts/?format=api")
    page.wait_for_selector(".response-info")

    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)

    page.goto(f"{live_server.url}/api/redoc/")
    page.wait_for_selector("text=Claim tracker API", timeout=20_000)

    # Redoc's bundle always draws its vendor's logo from cdn.redoc.ly; the policy blocks it (the
    # tracker loads nothing from other hosts) and Redoc hides the broken image, as it does offline.
    assert [text for text in violations if REDOC_LOGO not in text] == []
    assert script_errors == []
