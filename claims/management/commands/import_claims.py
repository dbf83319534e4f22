import json
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from claims.services.claimsets import import_claimset
from tracker.bulk import gc_paused
from tracker.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Import a claimset/1 document (FILE, or - for standard input). The whole file is "
        "checked first: on any error nothing is written and every error is listed with its "
        "JSON path. Records whose key is already stored are updated; importing the same "
        "file twice changes nothing. With --user, the import is that user's: history entries "
        "name them, and grading outlets or changing claims' statuses takes the reviewer role. "
        "Without it, the import is the system's: history names no user, outlets' grades are "
        "written, and claims' `status` fields are ignored."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the claimset, or - for standard input")
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="the user the import is made as (named in the history; their roles apply)",
        )

    def handle(self, *args, **options):
        name = options["file"]
        by = _user_named(options["user"]) if options["user"] is not None else None
        try:
            raw = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read {name}: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{name} is not UTF-8: {exc}") from exc
        try:
            with gc_paused():
                # NaN and Infinity are read as numbers, so that the import refuses them with
                # their JSON paths, as it does 1e309.
                document = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CommandError(
                f"{name} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from exc
        except (ValueError, RecursionError) as exc:  # RecursionError: nested too deep
            raise CommandError(f"{name} is not valid JSON: {exc}") from exc
        try:
            summary = import_claimset(document, by=by)
        except PermissionDenied as exc:
            raise CommandError(f"{name}: {exc}") from exc
        except ApplicationError as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{name}: {exc.message}") from exc
        verdict = "imported" if summary.changed else "nothing to change"
        self.stdout.write(f"{name}: {verdict}. {summary}")


def _user_named(username: str):
    user_model = get_user_model()
    user = user_model.objects.filter(**{user_model.USERNAME_FIELD: username}).first()
    if user is None:
        raise CommandError(f"--user: no user is named {username!r}")
    if not user.is_active:
        raise CommandError(f"--user: {username!r} is not active")
    return user
