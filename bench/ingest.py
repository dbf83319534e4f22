"""Ingest benchmark: the claimset importer against per-row save() and plain bulk_create.

Generates a claimset of N claims (default 100,000) with outlets, entities with aliases,
predicates, sources with text, one or two appearances a claim (quotes checked against the
text, some attributed `via` a wire), imports it into PostgreSQL, and in the same run measures
two baselines writing the same rows: per-row `save()` (time-boxed, then extrapolated from its
rate) and plain `bulk_create`. Run from the project root:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_bench \
        .venv/bin/python bench/ingest.py [--n 100000] [--save-seconds 20]

The database named by DATABASE_URL is emptied (its tables truncated) before each run. Both
imports are timed phase by phase (tracker/timings.py) and printed after the table, with the CPU
time of the importing process and of the processes that analyse wordings side by side.
"""

import argparse
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tracker_bench")
# As in production, an import sends the contradiction checks of its claims to the broker on
# commit and returns: workers run them later. Without a broker they would run in this process,
# inside the timed import (benchmarked on their own by bench/contradictions.py). The queue of
# this Redis database is emptied after the run.
BENCH_BROKER = "redis://127.0.0.1:6379/14"
os.environ.setdefault("CELERY_BROKER_URL", BENCH_BROKER)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from claims.models import Appearance, AppearanceVia, Claim  # noqa: E402
from claims.services.claimsets import import_claimset  # noqa: E402
from sources.models import Source  # noqa: E402
from tracker import timings  # noqa: E402
from tracker.bulk import gc_paused  # noqa: E402

WORDS = (
    "fighters militia city forces government offensive council commander report officials "
    "airstrike province coast border convoy checkpoint district brigade statement residents"
).split()


def generate(n: int, seed: int = 7) -> dict:
    """A claimset with n claims; deterministic for a seed."""
    rng = random.Random(seed)
    n_sources = max(10, n // 10)
    n_entities = max(20, n // 100)
    outlets = [
        {
            "key": f"outlet-{i}",
            "name": f"Outlet {i}",
            "kind": rng.choice(["wire", "newspaper", "blog"]),
        }
        for i in range(50)
    ]
    entities = [
        {
            "key": f"entity-{i}",
            "name": f"Entity {i}",
            "kind": "place" if i % 3 else "organization",
            "aliases": [f"Ent {i}", f"E-{i}"],
        }
        for i in range(n_entities)
    ]
    predicates = [
        {
            "key": f"count-{i}",
            "name": f"number of things {i}",
            "value_type": "quantity",
            "unit": "km" if i % 2 else "fighters",
        }
        for i in range(10)
    ] + [{"key": f"date-{i}", "name": f"date of event {i}", "value_type": "date"} for i in range(5)]
    sources = []
    sentences_of: list[list[str]] = []
    for i in range(n_sources):
        sentences = [
            " ".join(rng.choice(WORDS) for _ in range(8)) + f" {i}-{j}." for j in range(12)
        ]
        sentences_of.append(sentences)
        sources.append(
            {
                "key": f"source-{i}",
                "title": f"Report {i}",
                "outlet": f"outlet-{i % 50}",
                "url": f"https://example.org/news/{i}",
                "published": f"{2014 + i % 5}-{1 + i % 12:02d}",
                "text": " ".join(sentences),
                **({"cites": [f"source-{i - 1}"]} if i % 10 == 9 else {}),
            }
        )
    claims = []
    for i in range(n):
        source = rng.randrange(n_sources)
        kind = i % 4
        if kind == 3:
            value, predicate = (
                {"date": {"as_written": rng.choice(["May", "late last year", "early 2015"])}},
                f"date-{i % 5}",
            )
        elif kind == 2:
            value, predicate = (
                {
                    "quantity": {
                        "low": rng.randrange(100),
                        "high": None,
                        "unit": "miles" if i % 20 == 1 else None,
                    }
                },
                f"count-{1 + 2 * (i % 5)}",
            )
            if value["quantity"]["unit"] is None:
                del value["quantity"]["unit"]
        else:
            value, predicate = (
                {
                    "quantity": {
                        "as_written": rng.choice(
                            [
                                "at least 400",
                                "about 50",
                                "between 10 and 20",
                                "dozens",
                                "fewer than 100",
                            ]
                        ),
                        "unit": "fighters",
                    }
                },
                f"count-{2 * (i % 5)}",
            )
        appearances = [
            {
                "source": f"source-{source}",
                "quote": rng.choice(sentences_of[source])[:40],
                **({"via": [f"source-{(source + 1) % n_sources}"]} if i % 7 == 0 else {}),
                **({"speaker": {"description": "a commander"}} if i % 5 == 0 else {}),
            }
        ]
        if i % 3 == 0:
            other = (source + 3) % n_sources
            appearances.append({"source": f"source-{other}"})
        claims.append(
            {
                "key": f"claim-{i}",
                "text": f"Claim number {i} about {rng.choice(WORDS)}.",
                "subject": rng.choice(
                    [f"entity-{rng.randrange(n_entities)}", f"Ent {rng.randrange(n_entities)}"]
                ),
                "predicate": predicate,
                "value": value,
                "appearances": appearances,
            }
        )
    return {
        "format": "claimset/1",
        "outlets": outlets,
        "entities": entities,
        "predicates": predicates,
        "sources": sources,
        "claims": claims,
    }


def import_text(text: str):
    with gc_paused():
        with timings.phase("parse JSON"):
            document = json.loads(text)
        return import_claimset(document)


def children_cpu() -> float:
    """CPU seconds of this process's finished children (the wording analysis's processes)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_import(text: str):
    """(summary, wall seconds, CPU seconds of this process, of its children, phases) of one
    import."""
    with timings.collecting() as phases:
        start, cpu, children = time.perf_counter(), time.process_time(), children_cpu()
        summary = import_text(text)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        children = children_cpu() - children
    return summary, wall, cpu, children, phases


def print_phases(phases: timings.Timings, wall: float, cpu: float) -> None:
    """The phases of one import, in the order they first ran; the untimed rest last."""
    print("| phase | wall s | CPU s (this process) |")
    print("|---|---:|---:|")
    for name, spent in phases.phases.items():
        print(f"| {name} | {spent.wall:.2f} | {spent.cpu:.2f} |")
    print(f"| (outside the phases) | {wall - phases.wall:.2f} | {cpu - phases.cpu:.2f} |")
    print(f"| **total** | **{wall:.2f}** | **{cpu:.2f}** |")


HISTORY_TABLES = [
    "claims_historicalclaim",
    "claims_historicalappearance",
    "sources_historicaloutlet",
]


def truncate(claims_only: bool = False) -> None:
    tables = [
        "claims_appearancevia",
        "claims_appearance",
        "claims_claimrelation",
        "claims_claim",
        *HISTORY_TABLES,
    ]
    if not claims_only:
        tables += [
            "claims_predicatealias",
            "claims_predicate",
            "sources_sourcecitation",
            "sources_source",
            "sources_entityalias",
            "sources_entity",
            "sources_outlet",
        ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def baseline_rows(document: dict) -> list[tuple[dict, list[tuple[dict, list[int]]]]]:
    """The claim and appearance rows the importer wrote, ready for the baselines to write again."""
    source_ids = dict(Source.objects.values_list("key", "id"))
    fields = [
        f.attname
        for f in Claim._meta.concrete_fields
        if f.attname not in ("id", "created_at", "updated_at")
    ]
    rows = {c["key"]: c for c in Claim.objects.values(*fields)}
    out = []
    for claim in document["claims"]:
        appearances = [
            (
                {
                    "source_id": source_ids[a["source"]],
                    "position": p,
                    "quote": a.get("quote", ""),
                    "speaker_description": a.get("speaker", {}).get("description", ""),
                },
                [source_ids[v] for v in a.get("via", [])],
            )
            for p, a in enumerate(claim["appearances"])
        ]
        out.append((rows[claim["key"]], appearances))
    return out


def per_row_save(rows, seconds: float) -> tuple[int, float]:
    """Claims saved one by one (with their appearances and via links) until time runs out."""
    start = time.perf_counter()
    done = 0
    with transaction.atomic():
        for claim_row, appearances in rows:
            claim = Claim(**claim_row)
            claim.save()
            for appearance_row, via in appearances:
                appearance = Appearance(claim=claim, **appearance_row)
                appearance.save()
                for source_id in via:
                    AppearanceVia(appearance=appearance, source_id=source_id).save()
            done += 1
            if done % 100 == 0 and time.perf_counter() - start > seconds:
                break
    return done, time.perf_counter() - start


def bulk_create(rows) -> float:
    start = time.perf_counter()
    with transaction.atomic():
        claims = Claim.objects.bulk_create([Claim(**c) for c, _ in rows], batch_size=2000)
        appearances, vias = [], []
        for claim, (_, items) in zip(claims, rows, strict=True):
            for appearance_row, via in items:
                appearances.append(Appearance(claim=claim, **appearance_row))
                vias.append(via)
        Appearance.objects.bulk_create(appearances, batch_size=2000)
        AppearanceVia.objects.bulk_create(
            [
                AppearanceVia(appearance=a, source_id=s)
                for a, via in zip(appearances, vias, strict=True)
                for s in via
            ],
            batch_size=2000,
        )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000, help="claims to generate")
    parser.add_argument(
        "--save-seconds", type=float, default=20.0, help="time box of the per-row baseline"
    )
    opts = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/ingest.py measures PostgreSQL: set DATABASE_URL to a PostgreSQL database")
    call_command("migrate", verbosity=0)
    truncate()

    document = generate(opts.n)
    text = json.dumps(document)
    n_appearances = sum(len(c["appearances"]) for c in document["claims"])
    print(
        f"claimset: {opts.n:,} claims, {n_appearances:,} appearances, "
        f"{len(document['sources']):,} sources, {len(document['entities']):,} entities, "
        f"{len(text) / 1e6:.1f} MB of JSON"
    )

    # Timed as import_claims runs: the JSON parsed (collector paused) and imported.
    summary, imported, imported_cpu, imported_children, phases = timed_import(text)
    if summary.counts["claims"].created != opts.n:
        sys.exit(f"the import did not create every claim: {summary}")

    again, reimported, reimported_cpu, again_children, again_phases = timed_import(text)
    if again.changed:
        sys.exit(f"the second import changed something: {again}")

    rows = baseline_rows(document)
    truncate(claims_only=True)
    saved, save_time = per_row_save(rows, opts.save_seconds)
    save_rate = saved / save_time
    truncate(claims_only=True)
    bulk_time = bulk_create(rows)
    truncate()

    table = [
        ("import_claims (checks, parsing, quotes, COPY, index, history)", imported),
        ("the same file again (nothing to change)", reimported),
        ("plain bulk_create (rows pre-resolved, no checks)", bulk_time),
        (
            f"per-row save() ({saved:,} claims in {save_time:.0f} s, extrapolated)",
            opts.n / save_rate,
        ),
    ]
    print()
    print("| method | claims | seconds | claims/s | vs per-row save() |")
    print("|---|---:|---:|---:|---:|")
    for label, seconds in table:
        rate = opts.n / seconds
        print(f"| {label} | {opts.n:,} | {seconds:.2f} | {rate:,.0f} | {rate / save_rate:.1f}x |")
    print()
    print(
        f"CPU time of the importing process: import {imported_cpu:.2f} s, "
        f"again {reimported_cpu:.2f} s; of its wording-analysis processes: "
        f"{imported_children:.2f} s and {again_children:.2f} s"
    )
    print()
    print(f"The import, phase by phase ({opts.n:,} claims):")
    print()
    print_phases(phases, imported, imported_cpu)
    print()
    print("The same file again, phase by phase:")
    print()
    print_phases(again_phases, reimported, reimported_cpu)
    if settings.CELERY_BROKER_URL == BENCH_BROKER:
        from tracker.celery import app

        app.control.purge()  # the checks the imports sent: nobody is to run them


if __name__ == "__main__":
    main()
