"""The contradiction report in its forms: JSON (the spec's contradictions/1), CSV and HTML, all
from one selector (claims.selectors.contradictions_for_report)."""

import csv
import io
import json
from collections.abc import Iterable

from django.template.loader import render_to_string
from django.utils import timezone

from claims.models import Contradiction

FORMAT = "contradictions/1"
CSV_COLUMNS = (
    "claim_a",
    "claim_b",
    "kind",
    "status",
    "explanation",
    "detected_by",
    "subject",
    "predicate",
    "claim_a_text",
    "claim_b_text",
    "dismissed_reason",
    "last_detected_at",
)


def _record(flag: Contradiction) -> dict:
    return {
        "claims": [flag.claim_a.key, flag.claim_b.key],
        "kind": flag.kind,
        "status": flag.status,
        "explanation": flag.explanation,
        "detected_by": flag.detected_by,
        "id": flag.pk,
        "texts": [flag.claim_a.text, flag.claim_b.text],
        "dismissed_reason": flag.dismissed_reason,
        "last_detected_at": flag.last_detected_at.isoformat(),
    }


def report_json(flags: Iterable[Contradiction]) -> str:
    document = {"format": FORMAT, "contradictions": [_record(flag) for flag in flags]}
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def _cell(value: str) -> str:
    # A spreadsheet runs a cell starting with = + - @ (or a tab or CR) as a formula: quote it.
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def report_csv(flags: Iterable[Contradiction]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for flag in flags:
        a, b = flag.claim_a, flag.claim_b
        row = (
            a.key,
            b.key,
            flag.kind,
            flag.status,
            flag.explanation,
            flag.detected_by,
            a.subject.name if a.subject else "",
            a.predicate.name if a.predicate else "",
            a.text,
            b.text,
            flag.dismissed_reason,
            flag.last_detected_at.isoformat(),
        )
        writer.writerow([_cell(str(value)) for value in row])
    return out.getvalue()


def report_html(flags: Iterable[Contradiction], *, title: str = "Contradictions") -> str:
    flags = list(flags)
    groups: dict[str, list[Contradiction]] = {}
    for flag in flags:
        a = flag.claim_a
        heading = (
            f"{a.subject.name} — {a.predicate.name}" if a.subject and a.predicate else "Wordings"
        )
        groups.setdefault(heading, []).append(flag)
    return render_to_string(
        "claims/contradiction_report.html",
        {"title": title, "groups": groups, "count": len(flags), "generated": timezone.now()},
    )


RENDERERS = {"json": report_json, "csv": report_csv, "html": report_html}
