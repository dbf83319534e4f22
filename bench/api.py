"""API benchmark: /api/v1/facts/ at size, against DRF's page-number pagination.

Loads N vetted claims (default 100,000), three appearances each in sources of different
outlets, with COPY (tracker.bulk.insert_rows) into its own PostgreSQL database, starts the
tracker under gunicorn (DEBUG off, persistent connections, throttles out of the way) and
measures, in one run, requests per second at 8 concurrent clients and latency percentiles of:

- the first page of facts (`?page_size=50`),
- a deep cursor page (the page after 90% of the claims: the cursor a client holds after
  following `next` that far),
- a filtered page (`?subject=<an entity's alias>`: one of 1,000 subjects),
- the baseline: the same listing through DRF's PageNumberPagination (bench/api_urls.py), its
  first page and the page at 90% depth (`?page=`).

Run from the project root (the database is created if missing; its data replaced):

    .venv/bin/python bench/api.py --n 100000 --n 1000000 \
        [--database-url postgres://postgres@127.0.0.1:5432/tracker_bench_api]
"""

import argparse
import base64
import http.client
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/tracker_bench_api"
PORT = 8765
PAGE = 50
SUBJECTS = 1000
OUTLETS = 200
SOURCES_PER_1000_CLAIMS = 100
LOAD_BATCH = 50_000


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, action="append", help="claims (repeatable)")
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_API_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=800, help="per scenario")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--seed", type=int, default=11)
    return parser


OPTS = _parser().parse_args() if __name__ == "__main__" else _parser().parse_args([])
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = OPTS.database_url
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-api-only")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from claims.models import Appearance, Claim, Predicate  # noqa: E402
from sources.models import Entity, EntityAlias, Outlet, Source  # noqa: E402
from tracker.bulk import insert_rows  # noqa: E402


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urllib.parse.urlsplit(url)
    name = urllib.parse.unquote(parts.path.lstrip("/"))
    with psycopg.connect(
        host=parts.hostname or "localhost",
        port=parts.port or 5432,
        user=urllib.parse.unquote(parts.username or "postgres"),
        dbname="postgres",
        autocommit=True,
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def truncate() -> None:
    tables = [
        "claims_contradiction",
        "claims_claimterm",
        "claims_appearancevia",
        "claims_appearance",
        "claims_claimrelation",
        "claims_claimrating",
        "claims_claimstatuschange",
        "claims_claim",
        "claims_predicatealias",
        "claims_predicate",
        "sources_sourcecitation",
        "sources_source",
        "sources_entityalias",
        "sources_entity",
        "sources_outlet",
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        present = {row[0] for row in cursor.fetchall()}
        names = ", ".join(t for t in tables if t in present)
        cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


def load(n: int, seed: int) -> dict:
    """Outlets, subjects (each with an alias), sources, and n vetted quantity claims with three
    appearances each in sources of three different outlets."""
    rng = random.Random(seed)
    started = time.perf_counter()
    with transaction.atomic():
        outlet_ids = insert_rows(
            Outlet,
            [
                {
                    "key": f"o{i}",
                    "name": f"Outlet {i}",
                    "kind": "newspaper",
                    "reliability": "ABCDEF"[i % 6],
                }
                for i in range(OUTLETS)
            ],
        )
        entity_ids = insert_rows(
            Entity,
            [
                {
                    "key": f"e{i}",
                    "name": f"Subject {i}",
                    "normalized_name": f"subject{i}",
                    "kind": "organization",
                }
                for i in range(SUBJECTS)
            ],
        )
        insert_rows(
            EntityAlias,
            [
                {"entity_id": e, "name": f"S{i}", "normalized": f"s{i}"}
                for i, e in enumerate(entity_ids)
            ],
        )
        predicate_ids = insert_rows(
            Predicate,
            [
                {
                    "key": f"p{i}",
                    "name": f"count {i}",
                    "normalized_name": f"count{i}",
                    "value_type": "quantity",
                    "unit": "people",
                }
                for i in range(10)
            ],
        )
        sources = max(100, n * SOURCES_PER_1000_CLAIMS // 1000)
        source_ids = insert_rows(
            Source,
            [
                {
                    "key": f"s{i}",
                    "title": f"Report {i}",
                    "outlet_id": outlet_ids[i % OUTLETS],
                    "url": f"https://news{i % OUTLETS}.example.org/{i}",
                    "normalized_url": f"news{i % OUTLETS}.example.org/{i}",
                    "published": f"2015-{1 + i % 12:02d}-01",
                    "published_precision": "day",
                    "authors": [],
                    "language": "en",
                }
                for i in range(sources)
            ],
        )
    for start in range(0, n, LOAD_BATCH):
        with transaction.atomic():
            rows = []
            for i in range(start, min(n, start + LOAD_BATCH)):
                low = float(rng.randrange(10, 5000))
                rows.append(
                    {
                        "key": f"c{i}",
                        "text": f"At least {low:.0f} people were counted in place {i}.",
                        "subject_id": entity_ids[rng.randrange(SUBJECTS)],
                        "predicate_id": predicate_ids[i % 10],
                        "value_type": "quantity",
                        "value_as_written": f"at least {low:.0f}",
                        "quantity_low": low,
                        "quantity_given_low": low,
                        "quantity_given_unit": "people",
                        "status": "vetted",
                    }
                )
            claim_ids = insert_rows(Claim, rows)
            appearances = []
            for claim_id in claim_ids:
                first = rng.randrange(len(source_ids))
                for position in range(3):
                    # Sources OUTLETS apart share an outlet: step by 7 to use three outlets.
                    source = source_ids[(first + 7 * position) % len(source_ids)]
                    appearances.append(
                        {
                            "claim_id": claim_id,
                            "source_id": source,
                            "position": position,
                            "quote": "",
                            "stance": "asserts",
                        }
                    )
            insert_rows(Appearance, appearances)
    with connection.cursor() as cursor:
        for table in (
            "claims_claim",
            "claims_appearance",
            "sources_source",
            "sources_entity",
            "sources_entityalias",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("SELECT min(id), max(id) FROM claims_claim")
        first_id, last_id = cursor.fetchone()
    return {"seconds": time.perf_counter() - started, "first_id": first_id, "last_id": last_id}


def start_server(workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.api_settings",
        "DEBUG": "false",
        # Served over plain HTTP on the loopback: no redirect to HTTPS.
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DB_CONN_MAX_AGE": "600",
        "API_ANON_RATE": "100000000/min",
        "API_USER_RATE": "100000000/min",
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
            "tracker.wsgi",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/api/v1/facts/?page_size=1")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start")


def measure(path: str, clients: int, total: int) -> dict:
    """`total` GETs of `path` from `clients` threads, each on its own keep-alive connection."""
    latencies: list[float] = []
    lock = threading.Lock()
    per_client = total // clients

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        mine = []
        for _ in range(per_client):
            began = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{path}: HTTP {response.status}")
            mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)

    for _ in range(max(1, clients)):  # warm every worker and its connection
        measure_once(path)
    began = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(ordered) * 1000,
        "p95": pct(95),
        "p99": pct(99),
    }


def measure_once(path: str) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    conn.request("GET", path)
    conn.getresponse().read()


def cursor_after(claim_id: int) -> str:
    # What IdCursorPagination puts in `next` after a page ending at claim_id.
    return base64.b64encode(urllib.parse.urlencode({"p": claim_id}).encode()).decode()


def run(n: int) -> list[tuple]:
    print(f"\n== {n:,} vetted claims, 3 appearances each", flush=True)
    truncate()
    loaded = load(n, OPTS.seed)
    print(f"loaded in {loaded['seconds']:.1f} s", flush=True)
    deep_id = loaded["first_id"] + int(0.9 * (loaded["last_id"] - loaded["first_id"]))
    deep_page = int(0.9 * n) // PAGE
    scenarios = [
        ("first page (cursor)", f"/api/v1/facts/?page_size={PAGE}"),
        (
            "deep page (cursor, 90%)",
            f"/api/v1/facts/?page_size={PAGE}&cursor={urllib.parse.quote(cursor_after(deep_id))}",
        ),
        ("filtered page (?subject=alias)", f"/api/v1/facts/?page_size={PAGE}&subject=S17"),
        ("baseline first page (page numbers)", f"/baseline/facts/?page_size={PAGE}&page=1"),
        (
            "baseline deep page (page numbers, 90%)",
            f"/baseline/facts/?page_size={PAGE}&page={deep_page}",
        ),
    ]
    server = start_server(OPTS.workers)
    results = []
    try:
        for name, path in scenarios:
            # The baseline's deep pages are slow: fewer requests, the same concurrency.
            total = OPTS.requests if "baseline deep" not in name else max(OPTS.clients * 4, 32)
            figures = measure(path, OPTS.clients, total)
            results.append((n, name, figures))
            print(
                f"{name:40} {figures['rps']:8.1f} req/s  p50 {figures['p50']:7.1f} ms  "
                f"p95 {figures['p95']:7.1f} ms  p99 {figures['p99']:7.1f} ms",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    by_name = {name: f for _, name, f in results}
    first, deep = by_name["first page (cursor)"], by_name["deep page (cursor, 90%)"]
    base_deep = by_name["baseline deep page (page numbers, 90%)"]
    print(
        f"deep/first p50 latency {deep['p50'] / first['p50']:.2f}x; deep-page throughput "
        f"{deep['rps'] / base_deep['rps']:.1f}x the baseline's; first-page p99 "
        f"{first['p99']:.1f} ms",
        flush=True,
    )
    return results


def main() -> None:
    ensure_database(OPTS.database_url)
    call_command("migrate", verbosity=0)
    all_results = []
    for n in OPTS.n or [100_000]:
        all_results += run(n)
    print("\n| claims | request | req/s (8 clients) | p50 ms | p95 ms | p99 ms |")
    print("|---:|---|---:|---:|---:|---:|")
    for n, name, f in all_results:
        print(
            f"| {n:,} | {name} | {f['rps']:.1f} | {f['p50']:.1f} | {f['p95']:.1f} | "
            f"{f['p99']:.1f} |"
        )


if __name__ == "__main__":
    main()
