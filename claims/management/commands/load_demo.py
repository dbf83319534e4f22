"""Loads the demo claimset, demo/libya.claimset.json, as import_claims would, then the demo
reviewer's ratings and vetting (claims/services/demo.py).

Safe to run on every start: the import is idempotent by key and the reviews are made once, so a
second run changes nothing. It imports as the system (no user, as `import_claims` without
--user): the history entries name no user, and a vetted demo claim that a new demo file changes
materially goes back to review in the name of the system account
(claims.services.claims.SYSTEM_USERNAME); the demo reviews are made by the demo reviewer.
"""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from claims.services.claimsets import import_claimset
from claims.services.demo import demo_reviews_apply
from tracker.bulk import gc_paused
from tracker.errors import ApplicationError


def demo_claimset_path() -> Path:
    return Path(settings.BASE_DIR) / "demo" / "libya.claimset.json"


class Command(BaseCommand):
    help = "Load the demo claimset (demo/libya.claimset.json). Running it again changes nothing."

    def handle(self, *args, **options):
        path = demo_claimset_path()
        name = path.relative_to(settings.BASE_DIR)
        with gc_paused():
            document = json.loads(path.read_text(encoding="utf-8"))
        try:
            summary = import_claimset(document, by=None)
        except ApplicationError as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{name}: {exc.message}") from exc
        claims = summary.counts["claims"]
        if summary.changed:
            message = (
                f"Demo data loaded from {name}: {claims.created} claims created, "
                f"{claims.updated} updated, {claims.unchanged} unchanged."
            )
        else:
            message = f"Demo data from {name} already loaded: nothing to change."
        self.stdout.write(message, self.style.SUCCESS)
        reviewed = demo_reviews_apply()
        if reviewed:
            self.stdout.write(f"Demo reviews: {reviewed} claims rated by the demo reviewer.")
