"""Background jobs of contradiction detection. Each takes ids, calls one service
in claims/services/detection.py, and is safe to run twice, concurrently, or again after its
worker died:
flags are upserted under a unique pair constraint, a check mark is cleared by compare-and-set,
and a scan chunk is marked done in the transaction that stores its flags.

acks_late and reject_on_worker_lost are on for every task (tracker/settings.py): a task whose
worker is killed goes back to the queue instead of being lost. Only transient database errors
are retried, with backoff well under the broker's visibility timeout.

A task imports the service it calls inside its body: the services import this module to queue
tasks on commit, and the import contract (tests/tracker/test_layers.py) keeps the two from
forming a cycle.
"""

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from claims.reports import contradictions as reports

logger = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError)
RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="claims.check_claims", **RETRY)
def check_claims(claim_ids: list[int]) -> int:
    """Check changed claims against their candidates; returns how many pairs hold."""
    from claims.services import detection

    return len(detection.claims_check(claim_ids=claim_ids).pairs)


@shared_task(name="claims.request_scan", **RETRY)
def request_scan(requested_by: str = "beat") -> int:
    """Queue a full scan (Celery beat sends this nightly) and start it if none is running."""
    from claims.services import detection

    scan = detection.scan_request(requested_by=requested_by)
    start_next_scan.delay_on_commit()
    return scan.pk


@shared_task(name="claims.start_next_scan", **RETRY)
def start_next_scan() -> int | None:
    """Start the oldest queued scan if no scan is running, and hand its chunks to the workers."""
    from claims.services import detection

    scan = detection.scan_start_next()
    if scan is None:
        return None
    for chunk_id in detection.scan_chunks_to_send():
        scan_chunk.delay(chunk_id)
    return scan.pk


@shared_task(name="claims.scan_chunk", **RETRY)
def scan_chunk(chunk_id: int) -> bool:
    """Run one chunk of the running scan; the worker that finishes the last one starts the next
    queued scan."""
    from claims.services import detection

    ran = detection.scan_run_chunk(chunk_id=chunk_id)
    if not detection.scan_chunks_pending():
        start_next_scan.delay()
    return ran


@shared_task(name="claims.sweep", **RETRY)
def sweep() -> dict[str, int]:
    """Re-send what was lost: checks never sent (broker down at commit) or whose task vanished,
    chunks of a scan running for too long, and a queued scan with none running."""
    from claims.services import detection

    overdue = detection.claims_check_overdue(
        older_than=datetime.timedelta(seconds=settings.CONTRADICTION_CHECK_OVERDUE_SECONDS)
    )
    for start in range(0, len(overdue), 500):
        check_claims.delay(overdue[start : start + 500])
    stale = detection.scan_chunks_to_send(
        stale_after=datetime.timedelta(seconds=settings.CONTRADICTION_SCAN_STALE_SECONDS)
    )
    for chunk_id in stale:
        scan_chunk.delay(chunk_id)
    start_next_scan.delay()
    if overdue or stale:
        logger.info("sweep re-sent %d claim checks and %d scan chunks", len(overdue), len(stale))
    return {"checks": len(overdue), "chunks": len(stale)}


@shared_task(name="claims.produce_report_edition", **RETRY)
def produce_report_edition(period_end: str | None = None) -> int:
    """Keep this period's contradiction report (Celery beat sends this weekly). The period is
    CONTRADICTION_REPORT_DAYS days ending `period_end` (YYYY-MM-DD), by default yesterday; an
    edition already kept for it is left alone."""
    if period_end is None:
        end = timezone.localdate() - datetime.timedelta(days=1)
    else:
        end = datetime.date.fromisoformat(period_end)
    edition, created = reports.report_edition_produce(
        period_end=end, days=settings.CONTRADICTION_REPORT_DAYS
    )
    if created:
        logger.info("report edition %s kept: %d flags", edition, edition.flags_total)
    return edition.pk


# --- track records (claims/services/credibility.py) -------------------------------------------


@shared_task(name="claims.refresh_track_records", **RETRY)
def refresh_track_records(claim_ids: list[int]) -> tuple[int, int]:
    """Recount the outlets and speakers of changed claims at once, then send the full
    recompute for the truth scores (it skips when a later one already covered the change)."""
    from claims.services import credibility

    written = credibility.track_records_refresh(claim_ids=claim_ids)
    recompute_track_records.apply_async(countdown=settings.TRACK_RECORD_RECOMPUTE_DELAY_SECONDS)
    return written


@shared_task(name="claims.recompute_track_records", **RETRY)
def recompute_track_records(force: bool = False) -> int | None:
    """Recompute every track record unless nothing changed since the last recompute (or
    `force`); returns the number of outlets written, None when skipped."""
    from claims.services import credibility

    result = credibility.track_records_recompute_if_requested(force=force)
    return None if result is None else result.outlets
