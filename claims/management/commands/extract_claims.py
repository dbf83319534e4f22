import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from claims.core.extraction import candidates_document
from claims.core.values import ValueParseError, parse_partial_date
from claims.selectors.candidates import article_candidates


class Command(BaseCommand):
    help = (
        "Propose candidate claims from an article's text (FILE, or - for standard input) and "
        "print them as a candidates/1 document. Nothing is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the article's UTF-8 text, or - for stdin")
        parser.add_argument(
            "--published",
            help="the article's publication date (2015, 2015-07 or 2015-07-01): resolves "
            "year-less and relative dates",
        )
        parser.add_argument("--format", choices=["json", "text"], default="json")

    def handle(self, *args, **options):
        name = options["file"]
        try:
            # Read as is (no newline translation): offsets index the file's own characters.
            raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
            text = raw.decode("utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read {name}: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{name} is not UTF-8: {exc}") from exc
        published = None
        if options["published"]:
            try:
                published = parse_partial_date(options["published"])
            except ValueParseError as exc:
                raise CommandError(f"--published: {exc}") from exc
        candidates = article_candidates(text=text, published=published)
        if options["format"] == "json":
            self.stdout.write(json.dumps(candidates_document(candidates), ensure_ascii=False))
            return
        for candidate in candidates:
            value = candidate.value.get("quantity") or candidate.value.get("date")
            self.stdout.write(
                f"{candidate.start}-{candidate.end} {value['as_written']!r}: {candidate.quote}"
            )
