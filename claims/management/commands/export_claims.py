import json
import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from claims.selectors.claimsets import export_claimset


class Command(BaseCommand):
    help = (
        "Export everything stored as one claimset/1 document, sorted by key, to standard "
        "output or --out FILE."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", help="write to this file instead of standard output")

    def handle(self, *args, **options):
        text = json.dumps(export_claimset(), ensure_ascii=False, indent=1) + "\n"
        out = options["out"]
        if not out:
            self.stdout.write(text, ending="")
            return
        target = Path(out)
        # Written beside the target and renamed over it, so a reader never sees half a file.
        try:
            fd, temporary = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temporary, target)
        except OSError as exc:
            raise CommandError(f"cannot write {out}: {exc.strerror}") from exc
        self.stderr.write(f"wrote {out}")
