"""Benchmark: server time of every admin page on the demo data, with Django's test client.

Makes a fresh database (SQLite in a temporary folder unless DATABASE_URL is given), migrates
it, loads the demo as ./scripts/start does (load_demo: its checks run in-process), then, logged
in as the demo admin (who may open every page), GETs every list, add and change page the desk
links to (each model's first three records), the desk itself, the contradiction report and its
PDF. Each page is fetched once to warm what a running server would have warm (templates, the
chart cache), then timed --repeat times; the table shows the median and the worst, in
milliseconds, against the aims: 300 ms for an admin page, 500 ms for the report page, 2 s for
its PDF. The worst is sensitive to other work on the machine; the median is the figure to read.

    .venv/bin/python bench/admin_pages.py [--repeat 5]
"""

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AIM_MS = {"page": 300, "report": 500, "pdf": 2000}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="tracker-bench-admin-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{folder}/bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host and response context, as in the tests
    call_command("migrate", verbosity=0)
    call_command("load_demo", stdout=io.StringIO())

    from claims.services.demo import DEMO_ACCOUNTS, demo_account_ensure

    client = Client()
    client.force_login(demo_account_ensure(DEMO_ACCOUNTS[0]))
    rows = []
    for label, url, kind in pages():
        client.get(url)  # warm
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
        rows.append((label, url, kind, statistics.median(times), max(times)))
    print_table(rows)
    return 0 if all(median <= AIM_MS[kind] for *_, kind, median, _worst in rows) else 1


def pages() -> list[tuple[str, str, str]]:
    from django.contrib import admin
    from django.urls import reverse

    result = [("the desk", reverse("admin:index"), "page")]
    for model, model_admin in sorted(
        admin.site._registry.items(), key=lambda item: item[0]._meta.label
    ):
        info = (model._meta.app_label, model._meta.model_name)
        name = model._meta.verbose_name_plural
        if model._meta.model_name == "contradictionreport":
            url = reverse("admin:claims_contradictionreport_changelist")
            result.append(("contradiction report", url, "report"))
            result.append(("contradiction report, PDF", f"{url}?format=pdf", "pdf"))
            continue
        result.append((f"{name}: list", reverse("admin:{}_{}_changelist".format(*info)), "page"))
        if model_admin.has_add_permission(_request()):
            result.append((f"{name}: add", reverse("admin:{}_{}_add".format(*info)), "page"))
        for pk in model._default_manager.order_by("pk").values_list("pk", flat=True)[:3]:
            url = reverse("admin:{}_{}_change".format(*info), args=[pk])
            result.append((f"{name}: record {pk}", url, "page"))
    return result


def _request():
    from django.test import RequestFactory

    from claims.services.demo import DEMO_ACCOUNTS, demo_account_ensure

    request = RequestFactory().get("/")
    request.user = demo_account_ensure(DEMO_ACCOUNTS[0])
    return request


def print_table(rows) -> None:
    print("| page | median ms | worst ms | aim ms |")
    print("| --- | ---: | ---: | ---: |")
    for label, _url, kind, median, worst in rows:
        flag = "" if worst <= AIM_MS[kind] else " (over)"
        print(f"| {label} | {median:.0f} | {worst:.0f}{flag} | {AIM_MS[kind]} |")
    slowest = max(rows, key=lambda row: row[4] if row[2] == "page" else 0)
    print(f"\nslowest admin page: {slowest[0]}, worst {slowest[4]:.0f} ms")


if __name__ == "__main__":
    sys.exit(main())
