import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from claims.services.claimsets import import_claimset
from tracker.bulk import gc_paused
from tracker.errors import ApplicationError


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


class Command(BaseCommand):
    help = (
        "Import a claimset/1 document (FILE, or - for standard input). The whole file is "
        "checked first: on any error nothing is written and every error is listed with its "
        "JSON path. Records whose key is already stored are updated; importing the same "
        "file twice changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the claimset, or - for standard input")

    def handle(self, *args, **options):
        name = options["file"]
        try:
            raw = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read {name}: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{name} is not UTF-8: {exc}") from exc
        try:
            with gc_paused():
                document = json.loads(raw, parse_constant=_reject_constant)
        except json.JSONDecodeError as exc:
            raise CommandError(
                f"{name} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from exc
        except ValueError as exc:
            raise CommandError(f"{name} is not valid JSON: {exc}") from exc
        try:
            summary = import_claimset(document)
        except ApplicationError as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{name}: {exc.message}") from exc
        verdict = "imported" if summary.changed else "nothing to change"
        self.stdout.write(f"{name}: {verdict}. {summary}")
