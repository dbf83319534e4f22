"""The contradiction report in its forms: JSON (the spec's contradictions/1), CSV, HTML and PDF,
all from one selector (claims.selectors.claims.contradictions_for_report).

The HTML (the command's, the PDF's and the admin page's) is grouped into one section per
subject and, within it, by predicate: each pair side by side with both claims' values, valid
times, quotes, speakers, sources, outlets with their reliability and independent-source counts,
with a chart of the values of every claim of that subject and predicate, and a timeline of the
subject's time-varying claims (claims/reports/charts.py).
"""

import base64
import csv
import datetime
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

from claims.core import display
from claims.models import (
    Appearance,
    Claim,
    Contradiction,
    ContradictionStatus,
    ReportEdition,
    Supersession,
)
from claims.reports import charts
from claims.selectors import claims as selectors
from claims.selectors.supersessions import supersessions_between, supersessions_for_report
from tracker.spreadsheets import spreadsheet_cell

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
        writer.writerow([spreadsheet_cell(value) for value in row])
    return out.getvalue()


# --- the report as people read it -------------------------------------------------------------

NO_SUBJECT = "Wordings about no recorded subject"
WORDINGS = "wordings"


@dataclass
class ReportSide:
    label: str  # "A" or "B"
    claim: Claim
    value: str | None
    valid_time: str
    independent_sources: int
    appearances: list[Appearance]


@dataclass
class ReportFlag:
    flag: Contradiction
    sides: list[ReportSide]
    # A reviewed flag is kept when its claims come to supersede one another: shown with it.
    supersession: Supersession | None = None


@dataclass
class ReportGroup:
    heading: str  # the predicate's name, or "wordings" for flags between texts
    flags: list[ReportFlag] = field(default_factory=list)
    chart: SafeString | None = None
    subject_predicate: tuple[int, int] | None = None


@dataclass
class ReportSection:
    subject: str
    anchor: str
    groups: dict[str, ReportGroup] = field(default_factory=dict)
    timeline: SafeString | None = None
    subject_id: int | None = None
    # Updates and corrections about the subject, and a chart per cumulative predicate of its
    # count over time.
    supersessions: list[Supersession] = field(default_factory=list)
    count_charts: list[SafeString] = field(default_factory=list)

    @property
    def flag_count(self) -> int:
        return sum(len(group.flags) for group in self.groups.values())


def report_sections(
    flags: Sequence[Contradiction],
    *,
    with_charts: bool = True,
    charts_as_images: bool = False,
    supersessions: Sequence[Supersession] = (),
):
    """The flags (as contradictions_for_report gives them) in sections by subject, groups by
    predicate, with both claims fully loaded, and the supersessions (as
    supersessions_for_report gives them) in their subjects' sections; a fixed number of
    queries however many flags."""
    claim_ids = {flag.claim_a_id for flag in flags} | {flag.claim_b_id for flag in flags}
    claims = selectors.claims_with_appearances_by_id(claim_ids=claim_ids)
    independent = selectors.independent_sources_by_claim(sorted(claim_ids))
    sections: dict[str, ReportSection] = {}
    relations = supersessions_between(flags)

    def section_of(subject) -> ReportSection:
        name = subject.name if subject else NO_SUBJECT
        section = sections.get(name)
        if section is None:
            section = sections[name] = ReportSection(
                subject=name,
                anchor=f"subject-{slugify(name) or 'none'}",
                subject_id=subject.pk if subject else None,
            )
        return section

    for flag in flags:
        a, b = claims[flag.claim_a_id], claims[flag.claim_b_id]
        section = section_of(a.subject or b.subject)
        structured = a.is_structured and b.is_structured
        heading = a.predicate.name if structured else WORDINGS
        group = section.groups.get(heading)
        if group is None:
            group = section.groups[heading] = ReportGroup(heading=heading)
            if structured:
                group.subject_predicate = (a.subject_id, a.predicate_id)
        sides = [
            ReportSide(
                label=label,
                claim=claim,
                value=display.value_text(claim),
                valid_time=display.valid_time_text(claim),
                independent_sources=independent.get(claim.pk, 0),
                appearances=list(claim.appearances.all()),
            )
            for label, claim in (("A", a), ("B", b))
        ]
        group.flags.append(ReportFlag(flag=flag, sides=sides, supersession=relations.get(flag.pk)))
    for supersession in supersessions:
        section_of(supersession.older.subject or supersession.newer.subject).supersessions.append(
            supersession
        )
    result = list(sections.values())
    if with_charts:
        _add_charts(result, as_images=charts_as_images)
    return result


def _chart_html(svg: str | None, *, as_image: bool) -> SafeString | None:
    """Inline SVG for a browser; for WeasyPrint, an <img> of it as a data: URL, which its SVG
    renderer draws (its HTML parser would read the SVG's style attributes as CSS)."""
    if svg is None:
        return None
    if not as_image:
        return mark_safe(svg)  # noqa: S308 - matplotlib's own SVG, labels escaped by it
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return format_html('<img src="data:image/svg+xml;base64,{}" alt="">', data)


def _add_charts(sections: list[ReportSection], *, as_images: bool) -> None:
    groups = [group for section in sections for group in section.groups.values()]
    pairs = {group.subject_predicate for group in groups if group.subject_predicate}
    by_pair: dict[tuple[int, int], list[Claim]] = {}
    for claim in selectors.claims_about(subject_predicates=pairs):
        by_pair.setdefault((claim.subject_id, claim.predicate_id), []).append(claim)
    for group in groups:
        if group.subject_predicate:
            subject_id, predicate_id = group.subject_predicate
            svg = charts.value_chart_for(
                by_pair.get(group.subject_predicate, []),
                chart_id=f"values-{subject_id}-{predicate_id}",
            )
            group.chart = _chart_html(svg, as_image=as_images)

    _add_count_charts(sections, as_images=as_images)
    subject_ids = {section.subject_id for section in sections if section.subject_id}
    timeline_claims = selectors.time_varying_claims_about(subject_ids=subject_ids)
    flags = selectors.contradictions_among(claim_ids=[claim.pk for claim in timeline_claims])
    by_subject: dict[int, list[Claim]] = {}
    for claim in timeline_claims:
        by_subject.setdefault(claim.subject_id, []).append(claim)
    for section in sections:
        claims = by_subject.get(section.subject_id, [])
        svg = charts.timeline_for(claims, flags, chart_id=f"timeline-{section.subject_id}")
        section.timeline = _chart_html(svg, as_image=as_images)


def _add_count_charts(sections: list[ReportSection], *, as_images: bool) -> None:
    """A chart of each cumulative count that was updated, in its subject's section."""
    pairs = {
        (s.older.subject_id, s.older.predicate_id): section
        for section in sections
        for s in section.supersessions
        if s.reason == Supersession.Reason.UPDATE
    }
    if not pairs:
        return
    by_pair: dict[tuple[int, int], list[Claim]] = {}
    for claim in selectors.claims_about(subject_predicates=pairs):
        by_pair.setdefault((claim.subject_id, claim.predicate_id), []).append(claim)
    shown = [s for section in sections for s in section.supersessions]
    superseded = {s.older_id for s in shown}
    updates = [(s.newer_id, s.older_id) for s in shown if s.reason == Supersession.Reason.UPDATE]
    for (subject_id, predicate_id), section in sorted(
        pairs.items(), key=lambda item: (item[1].subject, item[0])
    ):
        svg = charts.count_chart_for(
            by_pair.get((subject_id, predicate_id), []),
            superseded,
            updates,
            chart_id=f"counts-{subject_id}-{predicate_id}",
        )
        if svg:
            section.count_charts.append(_chart_html(svg, as_image=as_images))


def claim_charts_html(claim: Claim) -> SafeString | None:
    """For a claim's page: the values of every claim about its subject and predicate, and the
    timeline of its subject's time-varying claims, the claim itself drawn in bold."""
    if not (claim.subject_id and claim.predicate_id):
        return None
    parts = []
    values = charts.value_chart_for(
        selectors.claims_about(subject_predicates=[(claim.subject_id, claim.predicate_id)]),
        chart_id=f"claim-{claim.pk}-values",
        highlight=claim.pk,
    )
    if values:
        parts.append(values)
    if claim.predicate.time_varying:
        timeline_claims = selectors.time_varying_claims_about(subject_ids=[claim.subject_id])
        flags = selectors.contradictions_among(claim_ids=[c.pk for c in timeline_claims])
        timeline = charts.timeline_for(
            timeline_claims, flags, chart_id=f"claim-{claim.pk}-timeline", highlight=claim.pk
        )
        if timeline:
            parts.append(timeline)
    if not parts:
        return None
    return format_html_join(
        "",
        '<div class="chart" style="max-width: 60em">{}</div>',
        ((mark_safe(part),) for part in parts),  # noqa: S308 - matplotlib's own SVG
    )


def report_context(
    flags: Iterable[Contradiction],
    *,
    title: str = "Contradictions",
    filters_text: str = "",
    charts_as_images: bool = False,
    links: bool = True,
) -> dict:
    """The report template's context. `links`: each flag, claim and source links to its admin
    page (HTML); a PDF keeps the text only."""
    flags = list(flags)
    # Unfiltered, the report shows every update and correction; filtered, those about the
    # subjects its flags are about.
    subject_ids = None
    if filters_text:
        subject_ids = {
            claim.subject_id
            for flag in flags
            for claim in (flag.claim_a, flag.claim_b)
            if claim.subject_id
        }
    supersessions = supersessions_for_report(subject_ids=subject_ids)
    return {
        "links": links,
        "title": title,
        "sections": report_sections(
            flags, charts_as_images=charts_as_images, supersessions=supersessions
        ),
        "count": len(flags),
        "generated": timezone.now(),
        "filters_text": filters_text,
    }


def report_html(
    flags: Iterable[Contradiction], *, title: str = "Contradictions", filters_text: str = ""
) -> str:
    context = report_context(flags, title=title, filters_text=filters_text)
    return render_to_string("claims/contradiction_report.html", context)


def report_pdf(
    flags: Iterable[Contradiction], *, title: str = "Contradictions", filters_text: str = ""
) -> bytes:
    """The HTML report printed by WeasyPrint: one section (and PDF bookmark) per subject."""
    import weasyprint  # loads Pango: only when a PDF is asked for

    context = report_context(
        flags, title=title, filters_text=filters_text, charts_as_images=True, links=False
    )
    html = render_to_string("claims/contradiction_report.html", context)
    # Everything the report shows is inline (styles, SVG charts): fetch nothing but data: URLs,
    # so that no text in a claim can make the renderer read a file or call a server.
    fetcher = weasyprint.urls.URLFetcher(allowed_protocols={"data"})
    return weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=None).write_pdf()


def filters_text(filters: selectors.ContradictionFilters) -> str:
    """The filters as a line of the report: "status open; subject Derna; since 2026-01-01"."""
    parts = []
    if filters.statuses:
        parts.append(f"status {', '.join(filters.statuses)}")
    if filters.kinds:
        parts.append(f"kind {', '.join(filters.kinds)}")
    if filters.subject:
        parts.append(f"subject {filters.subject}")
    if filters.outlet:
        parts.append(f"outlet {filters.outlet}")
    if filters.since:
        parts.append(f"detected since {filters.since.isoformat()}")
    if filters.until:
        parts.append(f"detected until {filters.until.isoformat()}")
    return "; ".join(parts)


RENDERERS = {"json": report_json, "csv": report_csv, "html": report_html, "pdf": report_pdf}
BINARY_FORMATS = {"pdf"}


# --- editions ----------------------------------------------------------------------------------


def report_edition_produce(*, period_end: datetime.date, days: int) -> tuple[ReportEdition, bool]:
    """Keep the report as it stands as the edition of the `days` days ending `period_end`
    (inclusive). Returns (edition, created). An edition of the same period already kept is
    returned unchanged: the weekly task may run twice (a redelivery, two beats) and the first
    edition of a period is the one editors compare with."""
    if days < 1:
        raise ValueError(f"a report period must have at least one day, got {days}")
    period_start = period_end - datetime.timedelta(days=days - 1)
    existing = ReportEdition.objects.filter(period_start=period_start, period_end=period_end)
    if edition := existing.first():
        return edition, False
    flags = list(selectors.contradictions_for_report())
    by_status = {status: 0 for status in ContradictionStatus.values}
    by_kind: dict[str, int] = {}
    new = 0
    for flag in flags:
        by_status[flag.status] = by_status.get(flag.status, 0) + 1
        by_kind[flag.kind] = by_kind.get(flag.kind, 0) + 1
        new += period_start <= timezone.localdate(flag.created_at) <= period_end
    title = f"Contradictions, {period_start.isoformat()} to {period_end.isoformat()}"
    edition = ReportEdition(
        period_start=period_start,
        period_end=period_end,
        flags_total=len(flags),
        flags_open=by_status[ContradictionStatus.OPEN],
        flags_confirmed=by_status[ContradictionStatus.CONFIRMED],
        flags_dismissed=by_status[ContradictionStatus.DISMISSED],
        flags_resolved=by_status[ContradictionStatus.RESOLVED],
        flags_new=new,
        counts_by_kind=dict(sorted(by_kind.items())),
        document=json.loads(report_json(flags)),
        html=report_html(flags, title=title),
    )
    try:
        # Two runs racing for one period: the unique constraint lets one insert win.
        with transaction.atomic():
            edition.save()
    except IntegrityError:
        return existing.get(), False
    return edition, True


def report_edition_changes(edition: ReportEdition) -> dict[str, list[dict]]:
    """What changed since the previous edition: flags that appeared, flags no longer listed,
    and flags whose status changed, each as its contradictions/1 entry."""
    previous = (
        ReportEdition.objects.filter(period_end__lt=edition.period_end)
        .order_by("-period_end")
        .first()
    )
    now = {tuple(entry["claims"]): entry for entry in edition.document.get("contradictions", [])}
    before = {}
    if previous is not None:
        before = {
            tuple(entry["claims"]): entry for entry in previous.document.get("contradictions", [])
        }
    return {
        "previous": previous,
        "added": [entry for pair, entry in now.items() if pair not in before],
        "removed": [entry for pair, entry in before.items() if pair not in now],
        "status_changed": [
            {**entry, "previous_status": before[pair]["status"]}
            for pair, entry in now.items()
            if pair in before and before[pair]["status"] != entry["status"]
        ],
    }
