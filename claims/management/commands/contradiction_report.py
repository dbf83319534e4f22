import datetime

from django.core.management.base import BaseCommand, CommandError

from claims.models import ContradictionKind, ContradictionStatus
from claims.reports import RENDERERS
from claims.selectors import ContradictionFilters, contradictions_for_report
from tracker.errors import ApplicationError


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f'--since must be a date like 2026-01-31, got "{text}"') from None


class Command(BaseCommand):
    help = (
        "Print the contradiction flags: --format json (the contradictions/1 document), csv or "
        "html; open flags first. Narrow with --status, --kind, --subject and --since."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=sorted(RENDERERS), default="json")
        parser.add_argument(
            "--status", action="append", choices=ContradictionStatus.values, help="repeatable"
        )
        parser.add_argument(
            "--kind", action="append", choices=ContradictionKind.values, help="repeatable"
        )
        parser.add_argument("--subject", help="an entity key, name or alias")
        parser.add_argument("--since", help="detected on or after this date (YYYY-MM-DD)")

    def handle(self, *args, **options):
        filters = ContradictionFilters(
            statuses=tuple(options["status"] or ()) or None,
            kinds=tuple(options["kind"] or ()) or None,
            subject=options["subject"],
            since=_date(options["since"]) if options["since"] else None,
        )
        try:
            flags = list(contradictions_for_report(filters))
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(RENDERERS[options["format"]](flags), ending="")
