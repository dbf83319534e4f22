"""Loads the demo claimset, demo/libya.claimset.json, through import_claims.

Safe to run on every start: import_claims is idempotent by key, so a second run changes nothing.
"""

import json
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

SECTIONS = ("outlets", "entities", "predicates", "sources", "claims")


def demo_claimset_path() -> Path:
    return Path(settings.BASE_DIR) / "demo" / "libya.claimset.json"


class Command(BaseCommand):
    help = "Load the demo claimset (demo/libya.claimset.json). Running it again changes nothing."

    def handle(self, *args, **options):
        path = demo_claimset_path()
        report = StringIO()
        # import_claims checks the whole file before writing anything and raises CommandError
        # listing every problem with its JSON path: let that reach the caller unchanged.
        call_command("import_claims", str(path), stdout=report, verbosity=options["verbosity"])
        if options["verbosity"] >= 2:
            self.stdout.write(report.getvalue().rstrip("\n"))

        with path.open(encoding="utf-8") as claimset_file:
            claimset = json.load(claimset_file)
        counts = ", ".join(f"{len(claimset.get(section, []))} {section}" for section in SECTIONS)
        self.stdout.write(
            f"Demo data loaded from {path.relative_to(settings.BASE_DIR)}: {counts}.",
            self.style.SUCCESS,
        )
