"""API benchmark: /api/v1/facts/ at size, served from stored documents, against the
per-request rendering with DRF's page-number pagination, in one run.

Loads N vetted claims (default 100,000), three appearances each in sources of different
outlets, with COPY (tracker.bulk.insert_rows) into its own PostgreSQL database, builds the
facts' stored documents with the service the tracker uses (fact_documents_build_all, timed),
starts the tracker under gunicorn (DEBUG off, persistent connections, throttles out of the way)
and loads it with `wrk` (8 keep-alive connections from 2 threads, `--latency`), for each
scenario:

- the first page of facts (`?page_size=50`), and the same with If-None-Match (a 304),
- a deep cursor page (the page after 90% of the claims: the cursor a client holds after
  following `next` that far),
- a filtered page (`?subject=<an entity's alias>`: one of 1,000 subjects),
- the baseline: the same listing built per request (facts_queryset, fact_data) through DRF's
  PageNumberPagination (bench/api_urls.py), its first page and the page at 90% depth.

The stored pages run under gunicorn's sync workers (4, as the README's earlier figures) and its
threaded workers (`--worker-class gthread`, 4 workers x 4 threads); the baseline under the sync
workers. Before measuring, the first page is checked against the baseline's first page (the
same facts, the same JSON), and every scenario answers 200 (or 304).

Run from the project root (the database is created if missing; its data replaced):

    flock /work/bench.lock .venv/bin/python bench/api.py --n 100000 --n 1000000 \
        [--database-url postgres://postgres@127.0.0.1:5432/tracker_bench_api] [--seconds 10]
"""

import argparse
import base64
import http.client
import json
import os
import random
import re
import shutil
import subprocess
import sys
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
    parser.add_argument("--clients", type=int, default=8, help="wrk connections")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per scenario")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
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

from claims.models import Appearance, Claim, FactDocument, Predicate  # noqa: E402
from claims.services.fact_documents import fact_documents_build_all  # noqa: E402
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
        "claims_factdocument",
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


def build_documents() -> float:
    """The facts' stored documents, built as the tracker builds them; returns seconds."""
    began = time.perf_counter()
    fact_documents_build_all()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE claims_factdocument")
    return time.perf_counter() - began


def start_server(workers: int, worker_class: str = "sync") -> subprocess.Popen:
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
            "--worker-class",
            worker_class,
            *(["--threads", str(OPTS.threads)] if worker_class == "gthread" else []),
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


WRK_LATENCY = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def measure(path: str, clients: int, seconds: int, headers: dict | None = None) -> dict:
    """`wrk` on `path` for `seconds` with `clients` keep-alive connections: requests per
    second and latency percentiles (wrk --latency: 50/75/90/99)."""
    for _ in range(max(1, clients)):  # warm every worker and its connection
        status = request(path, headers)[0]
        if status not in (200, 304):
            raise SystemExit(f"{path}: HTTP {status}")
    command = [
        shutil.which("wrk") or "wrk",
        "-t",
        str(min(2, clients)),
        "-c",
        str(clients),
        "-d",
        f"{seconds}s",
        "--timeout",
        "60s",
        "--latency",
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(  # noqa: S603 - wrk on our own server
        [*command, f"http://127.0.0.1:{PORT}{path}"], capture_output=True, text=True, check=True
    ).stdout
    if "Non-2xx or 3xx responses" in out:
        raise SystemExit(f"{path}: wrk saw errors\n{out}")
    figures = {f"p{p}": float(v) * UNIT_MS[u] for p, v, u in WRK_LATENCY.findall(out)}
    figures["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    figures["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    return figures


def request(path: str, headers: dict | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    return response.status, dict(response.getheaders()), response.read()


def cursor_after(claim_id: int) -> str:
    # What IdCursorPagination puts in `next` after a page ending at claim_id.
    return base64.b64encode(urllib.parse.urlencode({"p": claim_id}).encode()).decode()


def run(n: int) -> list[tuple]:
    print(f"\n== {n:,} vetted claims, 3 appearances each", flush=True)
    truncate()
    loaded = load(n, OPTS.seed)
    print(f"loaded in {loaded['seconds']:.1f} s", flush=True)
    built = build_documents()
    documents = FactDocument.objects.count()
    print(f"{documents:,} fact documents built in {built:.1f} s", flush=True)
    if documents != n:
        raise SystemExit(f"{documents} documents for {n} facts")
    deep_id = loaded["first_id"] + int(0.9 * (loaded["last_id"] - loaded["first_id"]))
    deep_page = int(0.9 * n) // PAGE
    first = f"/api/v1/facts/?page_size={PAGE}"
    stored = [
        ("first page (cursor)", first, None),
        ("first page, If-None-Match (304)", first, "etag"),
        (
            "deep page (cursor, 90%)",
            f"/api/v1/facts/?page_size={PAGE}&cursor={urllib.parse.quote(cursor_after(deep_id))}",
            None,
        ),
        ("filtered page (?subject=alias)", f"/api/v1/facts/?page_size={PAGE}&subject=S17", None),
    ]
    baseline = [
        ("baseline first page (page numbers)", f"/baseline/facts/?page_size={PAGE}&page=1", None),
        (
            "baseline deep page (page numbers, 90%)",
            f"/baseline/facts/?page_size={PAGE}&page={deep_page}",
            None,
        ),
    ]
    results = []
    for worker_class, scenarios in (("sync", stored + baseline), ("gthread", stored)):
        server = start_server(OPTS.workers, worker_class)
        try:
            if worker_class == "sync":
                check_same_facts(first, baseline[0][1])
            etag = request(first)[1]["ETag"]
            for name, path, conditional in scenarios:
                headers = {"If-None-Match": etag} if conditional else None
                figures = measure(path, OPTS.clients, OPTS.seconds, headers)
                label = f"{worker_class}"
                if worker_class == "gthread":
                    label += f" {OPTS.workers}x{OPTS.threads}"
                else:
                    label += f" {OPTS.workers}"
                results.append((n, label, name, figures))
                print(
                    f"{label:12} {name:40} {figures['rps']:8.1f} req/s  "
                    f"p50 {figures['p50']:7.1f}  p90 {figures['p90']:7.1f}  "
                    f"p99 {figures['p99']:7.1f} ms  ({figures['requests']} requests)",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
    by_name = {(label.split()[0], name): f for _, label, name, f in results}
    first_sync = by_name[("sync", "first page (cursor)")]
    base_first = by_name[("sync", "baseline first page (page numbers)")]
    base_deep = by_name[("sync", "baseline deep page (page numbers, 90%)")]
    deep = by_name[("sync", "deep page (cursor, 90%)")]
    print(
        f"first page {first_sync['rps'] / base_first['rps']:.0f}x the baseline's first page, "
        f"deep page {deep['rps'] / base_deep['rps']:.0f}x the baseline's deep page (sync "
        f"workers); documents built in {built:.1f} s",
        flush=True,
    )
    return results


def check_same_facts(stored_path: str, baseline_path: str) -> None:
    """The stored page serves the facts the per-request rendering builds, the same JSON."""
    status, _, body = request(stored_path)
    base_status, _, base_body = request(baseline_path)
    if status != 200 or base_status != 200:
        raise SystemExit(f"check: HTTP {status} and {base_status}")
    facts, base_facts = json.loads(body)["results"], json.loads(base_body)["results"]
    if len(facts) != PAGE or facts != base_facts:
        raise SystemExit("check: the stored first page differs from the baseline's")


def main() -> None:
    ensure_database(OPTS.database_url)
    call_command("migrate", verbosity=0)
    all_results = []
    for n in OPTS.n or [100_000]:
        all_results += run(n)
    print(f"\nwrk: {OPTS.clients} connections, {OPTS.seconds} s per scenario, keep-alive")
    print("\n| claims | workers | request | req/s | p50 ms | p90 ms | p99 ms |")
    print("|---:|---|---|---:|---:|---:|---:|")
    for n, label, name, f in all_results:
        rps = f"{f['rps']:,.0f}" if f["rps"] >= 10 else f"{f['rps']:.1f}"
        print(
            f"| {n:,} | {label} | {name} | {rps} | {f['p50']:.1f} | {f['p90']:.1f} | "
            f"{f['p99']:.1f} |"
        )


if __name__ == "__main__":
    main()
