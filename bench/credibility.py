"""Benchmark: recomputing the track records of outlets and speakers
(claims/services/credibility.py).

Generates N claims (text only: track records read statuses, appearances, via links,
citations, ratings and flags, not values) in N/10 sources from 500 outlets, 1 or 2
appearances each (30% a second), 40% with one of 2,000 speakers, stances mostly asserts and
reports with some denials; 5% of appearances attributed `via` another source and 5% of sources
citing another; 5% of claims vetted and 3% refuted, 2% rated, one contradiction per 200
claims. Loads them with COPY, then measures in one run:

- the full recompute (`track_records_recompute`: smoothed scores and truth discovery for
  every outlet and speaker), against a per-object ORM loop that computes the smoothed scores
  alone (outlet by outlet, source by source, appearance by appearance, then one save per
  record), time-boxed and extrapolated from the share of appearances it got through;
- the incremental update after one rating and status change (`track_records_refresh` for the
  claim), the median and worst of 20 claims.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_bench_cred \\
        .venv/bin/python bench/credibility.py --n 100000 [--n 1000000]
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/tracker_bench_cred"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, action="append", help="claims (repeat for sizes)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument(
        "--baseline-seconds", type=float, default=20.0, help="time box of the ORM loop"
    )
    return parser


OPTS = _parser().parse_args() if __name__ == "__main__" else _parser().parse_args([])

sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = OPTS.database_url
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
# Measured as production runs: DEBUG off, so that no query is kept in connection.queries.
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-credibility-only")

from bench.contradictions import ensure_database  # noqa: E402

if __name__ == "__main__":
    ensure_database(OPTS.database_url)

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from claims import tasks  # noqa: E402
from claims.models import (  # noqa: E402
    Appearance,
    AppearanceVia,
    Claim,
    ClaimRating,
    ClaimStatus,
    Contradiction,
    OutletTrackRecord,
)
from claims.services import credibility  # noqa: E402
from claims.services.claims import claim_rate, claim_status_change  # noqa: E402
from claims.services.credibility import (  # noqa: E402
    SUPPORTING,
    beta_score,
    track_records_recompute,
    track_records_refresh,
)
from sources.models import Entity, Outlet, Source, SourceCitation  # noqa: E402
from tracker.bulk import gc_paused, insert_rows  # noqa: E402

OUTLETS = 500
SPEAKERS = 2000


def reset() -> None:
    tables = [
        m._meta.db_table
        for m in (
            OutletTrackRecord,
            ClaimRating,
            Contradiction,
            AppearanceVia,
            Appearance,
            Claim,
            SourceCitation,
            Source,
            Outlet,
            Entity,
        )
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def load(n: int, rng: random.Random, user) -> None:
    with transaction.atomic(), gc_paused():
        outlets = insert_rows(
            Outlet, [{"key": f"o{i}", "name": f"Outlet {i}"} for i in range(OUTLETS)]
        )
        speakers = insert_rows(
            Entity,
            [
                {"key": f"s{i}", "name": f"Speaker {i}", "normalized_name": f"speaker{i}"}
                | {"kind": "person"}
                for i in range(SPEAKERS)
            ],
        )
        source_rows = [
            {"key": f"src{i}", "title": f"Report {i}", "outlet_id": rng.choice(outlets)}
            for i in range(max(n // 10, 10))
        ]
        sources = insert_rows(Source, source_rows)
        outlet_of = {s: row["outlet_id"] for s, row in zip(sources, source_rows, strict=True)}
        insert_rows(
            SourceCitation,
            [
                {"citing_id": s, "cited_id": rng.choice(sources[:k] or sources[1:])}
                for k, s in enumerate(sources)
                if rng.random() < 0.05 and k > 0
            ],
        )
        statuses = [
            ClaimStatus.VETTED if r < 0.05 else ClaimStatus.REFUTED if r < 0.08 else "unreviewed"
            for r in (rng.random() for _ in range(n))
        ]
        claims = insert_rows(
            Claim,
            [{"key": f"c{i}", "text": f"Claim {i}.", "status": statuses[i]} for i in range(n)],
        )
        rows = []
        for claim in claims:
            for position in range(2 if rng.random() < 0.3 else 1):
                r = rng.random()
                stance = (
                    "asserts"
                    if r < 0.85
                    else "reports"
                    if r < 0.95
                    else "denies"
                    if r < 0.98
                    else "questions"
                )
                source = rng.choice(sources)
                rows.append(
                    {
                        "claim_id": claim,
                        "source_id": source,
                        "outlet_id": outlet_of[source],
                        "position": position,
                        "stance": stance,
                        "speaker_id": rng.choice(speakers) if rng.random() < 0.4 else None,
                    }
                )
        appearances = insert_rows(Appearance, rows)
        insert_rows(
            AppearanceVia,
            [
                {"appearance_id": a, "source_id": rng.choice(sources)}
                for a in appearances
                if rng.random() < 0.05
            ],
        )
        now = timezone.now()
        pairs = {tuple(sorted(rng.sample(claims, 2))) for _ in range(n // 200)}
        insert_rows(
            Contradiction,
            [
                {
                    "claim_a_id": a,
                    "claim_b_id": b,
                    "kind": "text",
                    "explanation": "bench",
                    "detected_by": "bench",
                    "fingerprint": "0" * 32,
                    "last_detected_at": now,
                }
                for a, b in pairs
            ],
        )
        insert_rows(
            ClaimRating,
            [
                {
                    "claim_id": c,
                    "reviewer_id": user.pk,
                    "likelihood": "likely",
                    "confidence": "moderate",
                    "credibility": "2",
                    "rationale": "bench",
                }
                for c in rng.sample(claims, n // 50)
            ],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def orm_loop(deadline_seconds: float, total_appearances: int) -> tuple[float, int]:
    """Smoothed scores one object at a time; returns (extrapolated seconds, appearances done)."""
    start = time.perf_counter()
    done = 0
    for outlet in Outlet.objects.all():
        right = wrong = 0
        seen = set()
        for source in outlet.sources.all():
            for appearance in source.appearances.all():
                done += 1
                claim = appearance.claim
                if claim.pk in seen or appearance.stance not in (*SUPPORTING, "denies"):
                    continue
                seen.add(claim.pk)
                if claim.status in (ClaimStatus.VETTED, ClaimStatus.REFUTED):
                    if (claim.status == ClaimStatus.VETTED) == (appearance.stance != "denies"):
                        right += 1
                    else:
                        wrong += 1
        OutletTrackRecord.objects.update_or_create(
            outlet=outlet,
            defaults={
                "vetted": right,
                "refuted": wrong,
                "score": beta_score(right, wrong),
                "computed_at": timezone.now(),
            },
        )
        elapsed = time.perf_counter() - start
        if elapsed > deadline_seconds:
            return elapsed * total_appearances / max(done, 1), done
    return time.perf_counter() - start, done


def incremental(user, rng: random.Random, runs: int = 20) -> list[float]:
    claims = list(
        Claim.objects.filter(status="unreviewed", appearances__isnull=False)
        .values_list("id", flat=True)
        .distinct()[: runs * 5]
    )
    # The services send the refresh job on commit; here it is timed by itself instead.
    tasks.refresh_track_records.delay_on_commit = lambda *args, **kwargs: None
    timings = []
    for claim in rng.sample(claims, runs):
        claim_rate(
            by=user,
            claim_id=claim,
            likelihood="roughly_even",
            confidence="low",
            credibility=_suggested(claim),
            rationale="bench",
        )
        claim_status_change(by=user, claim_id=claim, status="refuted", reason="bench")
        start = time.perf_counter()
        track_records_refresh(claim_ids=[claim])
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def _suggested(claim_id: int) -> str:
    from claims.selectors.claims import claim_credibility_suggestion

    return claim_credibility_suggestion(claim_id=claim_id).grade


def main() -> None:
    sizes = OPTS.n or [100_000]
    call_command("migrate", verbosity=0)
    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_superuser": True, "is_staff": True}
    )
    print(
        "| claims | appearances | full recompute (s) | rounds | per-object ORM loop, smoothed "
        "scores only (s) | ratio | incremental median / worst (ms) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        rng = random.Random(OPTS.seed)
        reset()
        started = time.perf_counter()
        load(n, rng, user)
        print(f"<!-- loaded {n:,} claims in {time.perf_counter() - started:.1f} s -->", flush=True)
        started = time.perf_counter()
        result = track_records_recompute()
        full = time.perf_counter() - started
        started = time.perf_counter()
        credibility._appearances()
        print(
            f"<!-- of which reading the appearances, timed again alone: "
            f"{time.perf_counter() - started:.2f} s -->",
            flush=True,
        )
        baseline, done = orm_loop(OPTS.baseline_seconds, result.appearances)
        note = "" if done >= result.appearances else f" ({done:,} appearances, extrapolated)"
        timings = incremental(user, rng)
        print(
            f"| {n:,} | {result.appearances:,} | {full:.2f} | {result.rounds} | "
            f"{baseline:.1f}{note} | {baseline / full:.0f}x | "
            f"{statistics.median(timings):.1f} / {max(timings):.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
