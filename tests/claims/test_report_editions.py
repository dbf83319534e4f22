"""The scheduled report: each period's edition kept once, with its counts, comparable."""

import datetime

import pytest
from django.conf import settings

from claims import tasks
from claims.models import Contradiction, ReportEdition
from claims.reports import contradictions as reports
from claims.services.claims import contradiction_decide
from tests.claims.demo_data import demo  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("demo")


def test_beat_sends_the_report_task_on_its_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["contradiction-report"]

    assert entry["task"] == tasks.produce_report_edition.name
    assert entry["schedule"].day_of_week == {1}  # Mondays, unless CONTRADICTION_REPORT_CRON


def test_the_weekly_task_keeps_an_edition_of_last_week_with_its_counts():
    pk = tasks.produce_report_edition.delay(period_end="2026-03-08").get()

    edition = ReportEdition.objects.get(pk=pk)
    assert (edition.period_start, edition.period_end) == (
        datetime.date(2026, 3, 2),
        datetime.date(2026, 3, 8),
    )
    assert edition.flags_total == edition.flags_open == 17
    assert edition.counts_by_kind == {
        "date": 3,
        "entity": 2,
        "negation": 1,
        "quantity": 5,
        "text": 6,
    }
    assert edition.document["format"] == "contradictions/1"
    assert len(edition.document["contradictions"]) == 17
    assert "<h2>Derna</h2>" in edition.html
    assert edition.flags_new == 0  # the demo's flags were raised today, not in early March


def test_by_default_the_edition_covers_the_seven_days_up_to_yesterday():
    from django.utils import timezone

    edition = ReportEdition.objects.get(pk=tasks.produce_report_edition.delay().get())

    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    assert edition.period_end == yesterday
    assert edition.period_start == yesterday - datetime.timedelta(days=6)
    assert edition.flags_new == 0  # raised today: after the period
    today = reports.report_edition_produce(period_end=timezone.localdate(), days=1)[0]
    assert today.flags_new == 17


def test_running_the_task_twice_keeps_one_edition_unchanged():
    first = tasks.produce_report_edition.delay(period_end="2026-03-08").get()
    Contradiction.objects.update(status="confirmed")

    second = tasks.produce_report_edition.delay(period_end="2026-03-08").get()

    assert first == second and ReportEdition.objects.count() == 1
    assert ReportEdition.objects.get().flags_confirmed == 0


def test_an_edition_lists_what_changed_since_the_previous_one(admin_user):
    reports.report_edition_produce(period_end=datetime.date(2026, 3, 1), days=7)
    flag = Contradiction.objects.order_by("pk").first()
    contradiction_decide(status="confirmed", contradiction_id=flag.pk, by=admin_user)
    gone = Contradiction.objects.order_by("pk").last()
    gone_pair = [gone.claim_a.key, gone.claim_b.key]
    gone.delete()

    edition, created = reports.report_edition_produce(period_end=datetime.date(2026, 3, 8), days=7)

    assert created and edition.flags_total == 16 and edition.flags_confirmed == 1
    changes = reports.report_edition_changes(edition)
    assert changes["previous"].period_end == datetime.date(2026, 3, 1)
    assert changes["added"] == []
    assert [entry["claims"] for entry in changes["removed"]] == [gone_pair]
    [changed] = changes["status_changed"]
    assert changed["claims"] == [flag.claim_a.key, flag.claim_b.key]
    assert (changed["previous_status"], changed["status"]) == ("open", "confirmed")


def test_a_period_must_have_a_day():
    with pytest.raises(ValueError, match="at least one day, got 0"):
        reports.report_edition_produce(period_end=datetime.date(2026, 3, 8), days=0)
