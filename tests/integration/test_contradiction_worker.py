"""Contradiction detection run by real Celery workers (subprocesses) on Redis and PostgreSQL:
checks sent on commit, a scan surviving SIGKILLed workers, the sweeper re-sending what never
reached the broker, and concurrent scans running one at a time.

PostgreSQL only: the workers are other processes and need a database server they can share
with the test (the SQLite run skips this module)."""

import copy
import itertools
import os
import signal
import time

import psycopg
import pytest
from django.db import connection

from claims.core.contradictions import (
    NEG_INF,
    POS_INF,
    Facts,
    PredicateRules,
    lower_key,
    pair_conflict,
    upper_key,
)
from claims.models import Claim, Contradiction, ContradictionScan, ContradictionScanChunk
from claims.services import detection
from claims.services.claimsets import import_claimset
from claims.tasks import request_scan
from tests.integration.conftest import wait_until
from tracker.celery import app

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: Celery worker subprocesses share the test database "
        "(run with DATABASE_URL=postgres://...)",
    ),
    # serialized_rollback: the flush after each test must not lose what migrations wrote.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BASE = {
    "format": "claimset/1",
    "outlets": [{"key": "wire", "name": "A Wire", "kind": "wire"}],
    "entities": [{"key": "battle", "name": "Battle of Sirte", "kind": "event"}],
    "predicates": [
        {
            "key": "escaped",
            "name": "fighters who escaped",
            "value_type": "quantity",
            "unit": "fighters",
        },
    ],
    "sources": [
        {"key": "july-report", "title": "July report", "outlet": "wire", "published": "2015-07"},
    ],
}
ESCAPED = PredicateRules("quantity", functional=False, time_varying=False)


def claim(key, text, subject, value, predicate="escaped"):
    return {
        "key": key,
        "text": text,
        "subject": subject,
        "predicate": predicate,
        "value": value,
        "appearances": [{"source": "july-report"}],
    }


def quantity(as_written):
    return {"quantity": {"as_written": as_written}}


def document(claims, entities=()):
    doc = copy.deepcopy(BASE)
    doc["entities"] += list(entities)
    doc["claims"] = list(claims)
    return doc


def conflicting_claims():
    """Three claims of one subject: "fewer than 100" contradicts both others, which agree."""
    return document(
        [
            claim("a", "At least 400 fighters escaped.", "battle", quantity("at least 400")),
            claim("b", "Fewer than 100 fighters escaped.", "battle", quantity("fewer than 100")),
            claim("c", "About 500 fighters escaped.", "battle", quantity("about 500")),
        ]
    )


CONFLICTING_PAIRS = {frozenset("ab"), frozenset("bc")}


def flagged_pairs() -> set[frozenset]:
    return {
        frozenset(keys)
        for keys in Contradiction.objects.values_list("claim_a__key", "claim_b__key")
    }


def marked_claims() -> int:
    return Claim.objects.filter(check_requested_at__isnull=False).count()


class Planted:
    """A few thousand structured claims in blocks of one subject with known contradictions.

    In each block most claims agree: their intervals [100 + j, 300 + j] all meet. One to three
    outliers per block give exact values (10, 20, 30): each contradicts every other claim of
    its block, so every block, and so every chunk of a scan, holds flags."""

    def __init__(self, subjects: int, per_subject: int) -> None:
        self.entities, self.claims, self.intervals = [], [], {}
        for s in range(subjects):
            subject = f"subject-{s:03d}"
            self.entities.append({"key": subject, "name": f"Battle {s:03d}", "kind": "event"})
            outliers = 1 + s % 3
            for j in range(per_subject):
                low, high = (10 * (j + 1),) * 2 if j < outliers else (100 + j, 300 + j)
                key = f"s{s:03d}-c{j:03d}"
                self.intervals[key] = (subject, low, high)
                self.claims.append(
                    claim(
                        key,
                        f"Between {low} and {high} fighters escaped battle {s}.",
                        subject,
                        {"quantity": {"low": low, "high": high}},
                    )
                )

    def document(self) -> dict:
        return document(self.claims, self.entities)

    def expected_pairs(self) -> set[frozenset]:
        """The contradicting pairs by the plan: closed intervals of one subject that do not meet.
        Cross-checked against the rules (pair_conflict) over every pair of every block."""
        by_subject = itertools.groupby(self.intervals.items(), key=lambda item: item[1][0])
        planned, by_rules = set(), set()
        for _subject, block in by_subject:
            block = list(block)
            for (key_a, (_, low_a, high_a)), (key_b, (_, low_b, high_b)) in itertools.combinations(
                block, 2
            ):
                if high_a < low_b or high_b < low_a:
                    planned.add(frozenset((key_a, key_b)))
                facts_a = Facts(
                    0, None, False, lower_key(low_a), upper_key(high_a), None, NEG_INF, POS_INF
                )
                facts_b = Facts(
                    1, None, False, lower_key(low_b), upper_key(high_b), None, NEG_INF, POS_INF
                )
                if pair_conflict(facts_a, facts_b, ESCAPED):
                    by_rules.add(frozenset((key_a, key_b)))
        assert planned == by_rules
        return planned


def import_without_checks(monkeypatch, doc) -> None:
    """Import with no check sent and no claim marked: only a scan will find the flags."""
    with monkeypatch.context() as patch:
        patch.setattr(detection, "_send_check", lambda claim_ids: None)
        import_claimset(doc)
    Claim.objects.update(check_requested_at=None)


def not_in_this_process(*args, **kwargs):
    raise AssertionError("detection ran in the test process, not in a worker")


def wait_while_progressing(done, progress, *, stall: float = 10, timeout: float = 90) -> bool:
    """Poll until done() is true; give up after `timeout` seconds, or once progress() has not
    changed for `stall` seconds (work that stopped will not finish)."""
    deadline = time.monotonic() + timeout
    last, since = progress(), time.monotonic()
    while not done():
        now, current = time.monotonic(), progress()
        if current != last:
            last, since = current, now
        elif now - since > stall or now > deadline:
            return False
        time.sleep(0.25)
    return True


# --- 1. checks sent on commit reach a real worker ---------------------------------------------


def test_a_worker_flags_imported_claims_without_detection_being_called_here(workers, monkeypatch):
    worker = workers("check", args=["--concurrency", "2"])
    assert app.conf.task_always_eager is False
    monkeypatch.setattr(detection, "claims_check", not_in_this_process)

    import_claimset(conflicting_claims())

    def flagged_and_unmarked():
        return flagged_pairs() == CONFLICTING_PAIRS and marked_claims() == 0

    assert wait_until(flagged_and_unmarked, timeout=30, interval=0.2), (
        f"flags {flagged_pairs()}, {marked_claims()} claims still marked"
    )
    assert "Task claims.check_claims[" in worker.log()
    assert Contradiction.objects.count() == len(CONFLICTING_PAIRS)


# --- 2. a scan survives SIGKILLed workers -----------------------------------------------------


def _blocking_connection() -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
    )


def _sessions_blocked_by(backend_pid: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
            [backend_pid],
        )
        return cursor.fetchone()[0]


VISIBILITY_TIMEOUT = 5


@pytest.mark.parametrize(
    "reject_on_worker_lost",
    [
        pytest.param(True, id="reject-on-worker-lost"),
        pytest.param(
            False,
            id="acks-late-alone",
            marks=pytest.mark.xfail(
                strict=True,
                reason="without reject_on_worker_lost the killed chunk is acked and lost: "
                "the scan never finishes",
            ),
        ),
    ],
)
def test_a_scan_loses_and_doubles_no_flag_when_its_worker_is_killed(
    workers, monkeypatch, reject_on_worker_lost
):
    planted = Planted(subjects=60, per_subject=50)
    expected = planted.expected_pairs()
    import_without_checks(monkeypatch, planted.document())
    assert Claim.objects.count() == 3000
    assert not Contradiction.objects.exists()
    env = {
        "CONTRADICTION_SCAN_CHUNK_CLAIMS": "50",  # a chunk per subject: 60 chunks
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "CELERY_TASK_REJECT_ON_WORKER_LOST": str(reject_on_worker_lost).lower(),
    }
    args = ["--concurrency", "1", "--prefetch-multiplier", "1"]
    first = workers("scan", env=env, args=args)

    request_scan.delay("integration-test")
    scan = wait_until(
        lambda: ContradictionScan.objects.filter(chunks_total__gt=0).first(), timeout=30
    )
    assert scan is not None, "the scan did not start"
    assert scan.chunks_total == 60
    # start_next_scan stamps each chunk as sent, row by row, before the test may lock one: a lock
    # taken earlier would block that stamp, not a worker running the chunk.
    assert wait_until(
        lambda: not scan.chunks.filter(sent_at__isnull=True).exists(), timeout=30, interval=0.05
    ), "the scan's chunks were not all sent"

    # Catch the worker in the middle of a chunk, deterministically: hold a lock on the row of a
    # chunk in the second half, so that the worker running it waits in the transaction that
    # would store its flags and mark it done. Then kill it there.
    with _blocking_connection() as blocker:
        held = None
        for _ in range(3):
            held = blocker.execute(
                "SELECT number FROM claims_contradictionscanchunk WHERE scan_id = %s "
                "AND done_at IS NULL AND number >= %s ORDER BY number LIMIT 1 FOR UPDATE",
                [scan.pk, scan.chunks_total // 2],
            ).fetchone()
            if held:
                break
        assert held, "every chunk was done before the test could hold one"
        blocked = wait_until(
            lambda: _sessions_blocked_by(blocker.info.backend_pid), timeout=30, interval=0.05
        )
        assert blocked, "the worker never reached the held chunk"
        done = ContradictionScanChunk.objects.filter(scan=scan, done_at__isnull=False).count()
        assert 0 < done < scan.chunks_total, f"{done} of {scan.chunks_total} chunks done"

        pool = first.children()
        assert len(pool) == 1, f"expected one pool process, found {pool}"
        os.kill(pool[0], signal.SIGKILL)
        assert wait_until(lambda: "WorkerLostError" in first.log(), timeout=15), (
            "the worker did not notice its pool process died"
        )
        time.sleep(0.5)
        first.kill()  # the whole process group: main process and its new pool process
        killed_at = time.monotonic()
        blocker.rollback()

    # Messages the dead worker held come back once the visibility timeout has passed; a worker
    # restores them when it starts.
    time.sleep(max(0.0, killed_at + VISIBILITY_TIMEOUT + 1.5 - time.monotonic()))
    workers("scan-again", env=env, args=args)

    def finished():
        scan.refresh_from_db()
        return scan.status == "finished"

    def chunks_done():
        return scan.chunks.filter(done_at__isnull=False).count()

    # Without reject_on_worker_lost, the chunk killed mid-run is never done: the scan stops.
    assert wait_while_progressing(finished, chunks_done), (
        f"scan not finished: {scan.chunks_total - chunks_done()} chunks not done"
    )
    rows = list(Contradiction.objects.values_list("claim_a__key", "claim_b__key"))
    assert len(rows) == len(set(rows)), "a pair was flagged twice"
    assert {frozenset(row) for row in rows} == expected
    # Each chunk's results were counted once: no chunk was done twice.
    assert scan.pairs_found == len(expected)


# --- 3. the sweeper sends what never reached the broker ---------------------------------------


def test_a_check_never_sent_is_picked_up_by_the_sweeper(workers, broker_down, tmp_path, caplog):
    import_claimset(conflicting_claims())

    assert "could not send the contradiction check of 3 claims" in caplog.text
    assert marked_claims() == 3, "the claims should stay marked for the sweeper"
    assert not Contradiction.objects.exists()

    worker = workers(
        "sweeper",
        env={"CONTRADICTION_SWEEP_SECONDS": "1", "CONTRADICTION_CHECK_OVERDUE_SECONDS": "0"},
        args=["--concurrency", "1", "-B", "--schedule", str(tmp_path / "celerybeat-schedule")],
    )

    def flagged_and_unmarked():
        return flagged_pairs() == CONFLICTING_PAIRS and marked_claims() == 0

    assert wait_until(flagged_and_unmarked, timeout=30, interval=0.2), (
        f"flags {flagged_pairs()}, {marked_claims()} claims still marked"
    )
    assert "Task claims.sweep[" in worker.log()


# --- 4. scans started at once run one at a time -----------------------------------------------


def test_ten_scans_started_at_once_run_one_at_a_time(workers, monkeypatch):
    planted = Planted(subjects=10, per_subject=30)
    expected = planted.expected_pairs()
    import_without_checks(monkeypatch, planted.document())
    workers(
        "scans",
        env={"CONTRADICTION_SCAN_CHUNK_CLAIMS": "30"},  # ten chunks a scan
        args=["--concurrency", "2"],
    )

    for n in range(10):
        request_scan.delay(f"integration-test-{n}")

    def all_finished():
        return ContradictionScan.objects.filter(status="finished").count() == 10

    def progress():
        return (
            ContradictionScan.objects.filter(status="finished").count(),
            ContradictionScanChunk.objects.filter(done_at__isnull=False).count(),
        )

    assert wait_while_progressing(all_finished, progress, timeout=60), (
        f"scans by status: {list(ContradictionScan.objects.values_list('id', 'status'))}"
    )
    intervals = sorted(ContradictionScan.objects.values_list("started_at", "finished_at"))
    for (_, finished_at), (started_at, _) in itertools.pairwise(intervals):
        assert finished_at <= started_at, f"scans overlap: {intervals}"
    assert all(start < end for start, end in intervals)
    rows = list(Contradiction.objects.values_list("claim_a__key", "claim_b__key"))
    assert len(rows) == len(set(rows)), "a pair was flagged twice"
    assert {frozenset(row) for row in rows} == expected
