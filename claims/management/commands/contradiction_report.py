import datetime

from django.core.management.base import BaseCommand, CommandError

from claims.models import ContradictionKind, ContradictionStatus
from claims.reports.contradictions import BINARY_FORMATS, RENDERERS, filters_text
from claims.selectors.claims import ContradictionFilters, contradictions_for_report
from tracker.errors import ApplicationError


def _date(option: str, text: str | None) -> datetime.date | None:
    if text is None:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f'{option} must be a date like 2026-01-31, got "{text}"') from None


class Command(BaseCommand):
    help = (
        "Print the contradiction flags: --format json (the contradictions/1 document), csv, "
        "html or pdf (written to --output); open flags first. Narrow with --status, --kind, "
        "--subject, --outlet, --since and --until."
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
        parser.add_argument("--outlet", help="an outlet key or name: either claim appeared there")
        parser.add_argument("--since", help="detected on or after this date (YYYY-MM-DD)")
        parser.add_argument("--until", help="detected on or before this date (YYYY-MM-DD)")
        parser.add_argument(
            "--output", "-o", help="write to this file instead of standard output (pdf: required)"
        )

    def handle(self, *args, **options):
        filters = ContradictionFilters(
            statuses=tuple(options["status"] or ()) or None,
            kinds=tuple(options["kind"] or ()) or None,
            subject=options["subject"],
            outlet=options["outlet"],
            since=_date("--since", options["since"]),
            until=_date("--until", options["until"]),
        )
        form, output = options["format"], options["output"]
        if form in BINARY_FORMATS and not output:
            raise CommandError(f"--format {form} needs --output FILE")
        try:
            flags = list(contradictions_for_report(filters))
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        if form in ("html", "pdf"):
            report = RENDERERS[form](flags, filters_text=filters_text(filters))
        else:
            report = RENDERERS[form](flags)
        if output is None:
            self.stdout.write(report, ending="")
            return
        # Written whole, once the report is complete: a failed run leaves no half-written file.
        data = report if isinstance(report, bytes) else report.encode("utf-8")
        with open(output, "wb") as file:
            file.write(data)
        flags_text = f"{len(flags)} flag{'' if len(flags) == 1 else 's'}"
        self.stderr.write(f"{form} report of {flags_text} written to {output}")
