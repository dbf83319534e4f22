"""Updates and corrections against the database (spec: "Updates and corrections").

Detection finds the pairs of claims that would contradict (claims/detection.py); before they
are stored, `supersessions_decide` takes out of them, in the same pass, the pairs where the
later claim supersedes the earlier one, by the plain-Python rules of claims/contradictions.py
(`cumulative_update`, `correction_between`). What it takes out is stored by
`supersessions_store` as Supersession records instead of flags; the open flag of such a pair is
then withdrawn like any flag no longer found. A record no longer found lapses
(`supersessions_lapse_unseen`); records are never deleted, and every change of their status is
kept in their history.

The rules read only the pairs found in conflict, so a run that finds any costs one small query
more when no predicate is cumulative and no source corrects another, and a few otherwise; the
incremental check also asks which records of its claims lapsed (one indexed query).
"""

import datetime
import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from claims.core import display, values
from claims.core.contradictions import (
    Counted,
    Kind,
    Reason,
    correction_between,
    cumulative_update,
    lower_key,
    upper_key,
)
from claims.models import Appearance, Claim, Predicate, Supersession, SupersessionStatus, ValueType
from sources.models import Source, SourceCorrection
from tracker.bulk import chunked, filter_in, update_rows
from tracker.history import CHANGED, CREATED, history_record_bulk

DETECTOR = "supersession/1"

# What the explanation and the rules read of a claim, besides detection's display columns.
_EXTRA_COLUMNS = ("version", "valid_to", "valid_to_precision", "predicate__cumulative")
# A record reopens after a reviewer undid it only when one of these changed in either claim.
_FINGERPRINT_COLUMNS = (
    "version",
    "text",
    "subject_id",
    "predicate_id",
    "value_type",
    "location_id",
    "negated",
    "quantity_low",
    "quantity_high",
    "date_from",
    "date_to",
    "value_entity_id",
    "holds_from",
    "holds_to",
)


@dataclass(frozen=True)
class Superseding:
    """One supersession found: why, the line a reviewer reads, and the claims' fingerprint."""

    reason: str
    explanation: str
    fingerprint: str


def fingerprint(newer: dict, older: dict) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for claim in (newer, older):
        digest.update(repr([claim[c] for c in _FINGERPRINT_COLUMNS]).encode())
    return digest.hexdigest()


def _as_date(value) -> datetime.date | None:
    # SQLite hands raw values as ISO strings in some paths; PostgreSQL hands dates.
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(value)


def as_of(claim: dict) -> tuple[datetime.date | None, datetime.date | None]:
    """The days a claim of a cumulative predicate counts as of: the end of its valid time (at
    that end's precision), or else the time it holds (its earliest appearance's publication
    date at that date's precision); an open end where that is unknown."""
    valid_to = _as_date(claim["valid_to"])
    if valid_to is not None:
        precision = values.Precision(claim["valid_to_precision"] or "day")
        return values.PartialDate.from_date(valid_to, precision).first_day(), valid_to
    holds_from, holds_to = _as_date(claim["holds_from"]), _as_date(claim["holds_to"])
    if holds_from is not None and holds_to is None:
        return holds_from, None  # valid from a day, open-ended: counting still goes on
    return holds_from, holds_to


def _counted(claim: dict) -> Counted:
    start, end = as_of(claim)
    return Counted(
        claim["id"],
        bool(claim["negated"]),
        lower_key(claim["quantity_low"], bool(claim["quantity_low_inclusive"])),
        upper_key(claim["quantity_high"], bool(claim["quantity_high_inclusive"])),
        lower_key(None if start is None else start.toordinal()),
        upper_key(None if end is None else end.toordinal()),
    )


def claim_rows(claim_ids: Iterable[int]) -> dict[int, dict]:
    """What the rules, the explanations and the fingerprint read of each claim, by id."""
    from claims.services.detection import DISPLAY_COLUMNS  # detection imports this module

    columns = dict.fromkeys((*DISPLAY_COLUMNS, *_EXTRA_COLUMNS))
    return {row["id"]: row for row in filter_in(Claim.objects.values(*columns), "id", claim_ids)}


def _sources_of(claim_ids: Iterable[int]) -> dict[int, frozenset[int]]:
    sources: dict[int, set[int]] = defaultdict(set)
    for claim_id, source_id in filter_in(
        Appearance.objects.values_list("claim_id", "source_id"), "claim_id", claim_ids
    ):
        sources[claim_id].add(source_id)
    return {claim_id: frozenset(ids) for claim_id, ids in sources.items()}


class CorrectionReach:
    """The sources each source corrects, directly or through a chain of `corrects`, read in one
    recursive query from the sources that matter; safe against cycles."""

    def __init__(self, source_ids: Collection[int]) -> None:
        self.corrects: dict[int, list[int]] = defaultdict(list)
        ids = sorted(set(source_ids))
        if ids:
            table = SourceCorrection._meta.db_table
            placeholders = ", ".join(["%s"] * len(ids))
            query = (
                f"WITH RECURSIVE reach(id) AS (SELECT id FROM {Source._meta.db_table} "  # noqa: S608 - names from the models, values bound
                f"WHERE id IN ({placeholders}) UNION SELECT c.corrected_id FROM {table} c "
                f"JOIN reach r ON c.correcting_id = r.id) "
                f"SELECT c.correcting_id, c.corrected_id FROM {table} c "
                f"JOIN reach r ON c.correcting_id = r.id"
            )
            with connection.cursor() as cursor:
                cursor.execute(query, ids)
                for correcting, corrected in cursor.fetchall():
                    self.corrects[correcting].append(corrected)
        self._memo: dict[int, frozenset[int]] = {}

    def __call__(self, source_id: int) -> frozenset[int]:
        if source_id not in self._memo:
            seen: set[int] = set()
            todo = list(self.corrects.get(source_id, ()))
            while todo:
                current = todo.pop()
                if current not in seen:
                    seen.add(current)
                    todo.extend(self.corrects.get(current, ()))
            self._memo[source_id] = frozenset(seen)
        return self._memo[source_id]


def _value_or_text(claim: dict) -> str:
    if claim["value_type"] in (ValueType.QUANTITY, ValueType.DATE, ValueType.ENTITY):
        return display.value_text(claim, style="written")
    text = claim["text"]
    return f"“{text[:80]}…”" if len(text) > 80 else f"“{text}”"


def _context(newer: dict, older: dict) -> str:
    names = [
        newer["predicate__name"] or older["predicate__name"],
        newer["subject__name"] or older["subject__name"],
    ]
    return ", ".join(name for name in names if name)


def explain_update(newer: dict, older: dict) -> str:
    """ "at least 63 people on 2016-03-05 updates 40 people on 2016-03-03 — number killed in the
    bombing, Harbour bombing"."""
    newer_said = f"{_value_or_text(newer)} on {display.period_text(*as_of(newer))}"
    older_said = f"{_value_or_text(older)} on {display.period_text(*as_of(older))}"
    return f"{newer_said} updates {older_said} — {_context(newer, older)}"


def explain_correction(newer: dict, older: dict, correcting: dict, corrected: dict) -> str:
    """'two attackers in "Correction: ..." (2016-03-08) corrects three attackers in "Three
    attackers ..." (2016-03-04) — number of attackers, Harbour bombing'."""

    def source(row: dict) -> str:
        title = row["title"] if len(row["title"]) <= 80 else row["title"][:80] + "…"
        day = f" ({row['published'].isoformat()})" if row["published"] else ""
        return f"“{title}”{day}"

    context = _context(newer, older)
    return (
        f"{_value_or_text(newer)} in {source(correcting)} corrects {_value_or_text(older)} "
        f"in {source(corrected)}" + (f" — {context}" if context else "")
    )


def _what_applies() -> tuple[set[int], bool]:
    """The ids of the cumulative predicates, and whether any source corrects another, in one
    query: when neither, detection pays this query and nothing more."""
    predicates = Predicate._meta.db_table
    corrections = SourceCorrection._meta.db_table
    query = (
        f"SELECT id FROM {predicates} WHERE cumulative "  # noqa: S608 - names from the models
        f"UNION ALL SELECT -1 FROM (SELECT 1 FROM {corrections} LIMIT 1) AS any_correction"
    )
    with connection.cursor() as cursor:
        cursor.execute(query)
        ids = {row[0] for row in cursor.fetchall()}
    has_corrections = -1 in ids
    ids.discard(-1)
    return ids, has_corrections


def supersessions_decide(found) -> int:
    """Take out of `found.pairs` (claims/detection.Found) the pairs where one claim supersedes
    the other, into `found.supersessions`; returns how many. A supersession a reviewer undid
    stays a contradiction until either claim changes."""
    if not found.pairs:
        return 0
    cumulative, has_corrections = _what_applies()
    if not cumulative and not has_corrections:
        return 0
    pairs = [
        pair
        for pair, (kind, _detector) in found.pairs.items()
        if has_corrections or kind == Kind.QUANTITY
    ]
    rows = claim_rows({claim_id for pair in pairs for claim_id in pair})
    sources: dict[int, frozenset[int]] = {}
    reach = CorrectionReach(())
    if has_corrections:
        sources = _sources_of(rows)
        reach = CorrectionReach(set().union(*sources.values()) if sources else ())
    decided: dict[tuple[int, int], tuple[int, int, str]] = {}
    for pair in pairs:
        a, b = rows.get(pair[0]), rows.get(pair[1])
        if a is None or b is None:
            continue  # deleted while we looked
        relation = None
        if has_corrections:
            empty = frozenset()
            relation = correction_between(
                a["id"], sources.get(a["id"], empty), b["id"], sources.get(b["id"], empty), reach
            )
            reason = Reason.CORRECTION
        if (
            relation is None
            and found.pairs[pair][0] == Kind.QUANTITY
            and a["predicate_id"] in cumulative
            and a["predicate_id"] == b["predicate_id"]
        ):
            relation = cumulative_update(_counted(a), _counted(b))
            reason = Reason.UPDATE
        if relation is not None:
            decided[pair] = (*relation, reason)
    if not decided:
        return 0
    undone = {
        (row["newer_id"], row["older_id"]): row["reviewed_fingerprint"]
        for row in _of_pairs(
            Supersession.objects.filter(status=SupersessionStatus.UNDONE),
            ((newer, older) for newer, older, _ in decided.values()),
            "reviewed_fingerprint",
        )
    }
    titles = _source_rows(sources, decided)
    for pair, (newer_id, older_id, reason) in decided.items():
        newer, older = rows[newer_id], rows[older_id]
        digest = fingerprint(newer, older)
        if undone.get((newer_id, older_id)) == digest:
            continue  # a reviewer undid it, and neither claim has changed since
        if reason == Reason.UPDATE:
            explanation = explain_update(newer, older)
        else:
            correcting, corrected = _correcting_sources(sources[newer_id], sources[older_id], reach)
            explanation = explain_correction(newer, older, titles[correcting], titles[corrected])
        del found.pairs[pair]
        found.text_explanations.pop(pair, None)
        found.supersessions[(newer_id, older_id)] = Superseding(reason, explanation[:500], digest)
    return len(found.supersessions)


def _of_pairs(query, pairs: Iterable[tuple[int, int]], *columns: str) -> list[dict]:
    """The rows of `query` (Supersession) for the given (newer, older) pairs, with `columns`:
    read by the newer claims' ids, a chunk at a time (an OR per pair would outgrow SQLite's
    expression depth), and matched to the pairs here."""
    wanted = set(pairs)
    newer_ids = sorted({newer for newer, _ in wanted})
    rows = []
    for chunk in chunked(newer_ids):
        for row in query.filter(newer_id__in=chunk).values("newer_id", "older_id", *columns):
            if (row["newer_id"], row["older_id"]) in wanted:
                rows.append(row)
    return rows


def _correcting_sources(
    newer_sources: frozenset[int], older_sources: frozenset[int], reach: CorrectionReach
) -> tuple[int, int]:
    """The source of the newer claim that corrects every source of the older one, and the
    earliest of those (by id), for the explanation."""
    for source in sorted(newer_sources):
        if source not in older_sources and older_sources <= reach(source):
            direct = [s for s in sorted(older_sources) if s in reach.corrects.get(source, ())]
            return source, (direct or sorted(older_sources))[0]
    raise AssertionError("correction_between decided a correction without a correcting source")


def _source_rows(sources: dict[int, frozenset[int]], decided) -> dict[int, dict]:
    ids = {
        source
        for newer, older, reason in decided.values()
        if reason == Reason.CORRECTION
        for claim_id in (newer, older)
        for source in sources.get(claim_id, ())
    }
    return {
        row["id"]: row
        for row in filter_in(Source.objects.values("id", "title", "published"), "id", ids)
    }


def supersessions_store(found, *, now: datetime.datetime) -> int:
    """Write the supersessions found: new ones as active records, lapsed ones (and undone ones
    whose claims changed since) active again, known ones refreshed. Each change of status is
    kept in the record's history. Returns how many were written."""
    if not found.supersessions:
        return 0
    existing = {
        (row["newer_id"], row["older_id"]): row
        for row in _of_pairs(
            Supersession.objects.all(),
            found.supersessions,
            "id",
            "status",
            "reason",
            "explanation",
        )
    }
    new, changed, refreshed = [], [], []
    for (newer, older), found_one in found.supersessions.items():
        row = existing.get((newer, older))
        if row is None:
            new.append(
                Supersession(
                    newer_id=newer,
                    older_id=older,
                    reason=found_one.reason,
                    explanation=found_one.explanation,
                    detected_by=DETECTOR,
                    fingerprint=found_one.fingerprint,
                    last_detected_at=now,
                )
            )
            continue
        update = {
            "id": row["id"],
            "status": SupersessionStatus.ACTIVE,
            "reason": found_one.reason,
            "explanation": found_one.explanation,
            "fingerprint": found_one.fingerprint,
            "last_detected_at": now,
            "detected_by": DETECTOR,
        }
        if (
            row["status"] != SupersessionStatus.ACTIVE
            or row["reason"] != found_one.reason
            or row["explanation"] != found_one.explanation
        ):
            changed.append(update)
        else:
            refreshed.append(update)
    # Two workers may find one new supersession at once: the unique pair keeps one record.
    Supersession.objects.bulk_create(new, ignore_conflicts=True)
    created = [
        row["id"]
        for row in _of_pairs(
            Supersession.objects.filter(created_at__gte=now),
            ((s.newer_id, s.older_id) for s in new),
            "id",
        )
    ]
    history_record_bulk(Supersession, ids=created, history_type=CREATED, reason="detected")
    fields = ["status", "reason", "explanation", "fingerprint", "last_detected_at", "detected_by"]
    update_rows(Supersession, changed, fields)
    history_record_bulk(
        Supersession, ids=[u["id"] for u in changed], history_type=CHANGED, reason="detected"
    )
    update_rows(Supersession, refreshed, ["fingerprint", "last_detected_at"], touch=False)
    return len(found.supersessions)


def supersessions_lapse_unseen(
    *, since: datetime.datetime, claim_ids: Collection[int] | None = None
) -> int:
    """Mark lapsed the active records not found again since `since` (of these claims, or all
    when claim_ids is None): their claims changed and no longer supersede one another. They are
    kept, with the change in their history."""
    query = Supersession.objects.filter(
        status=SupersessionStatus.ACTIVE, last_detected_at__lt=since
    )
    ids: list[int] = []
    if claim_ids is None:
        ids = list(query.values_list("id", flat=True))
    else:
        for chunk in chunked(sorted(set(claim_ids))):
            ids += query.filter(Q(newer_id__in=chunk) | Q(older_id__in=chunk)).values_list(
                "id", flat=True
            )
    return supersessions_lapse(ids=ids)


def supersessions_lapse(*, ids: Collection[int]) -> int:
    """Mark these active records lapsed (found no longer), with the change in their history."""
    ids = sorted(set(ids))
    if not ids:
        return 0
    for chunk in chunked(ids):
        Supersession.objects.filter(id__in=chunk, status=SupersessionStatus.ACTIVE).update(
            status=SupersessionStatus.LAPSED, updated_at=timezone.now()
        )
    history_record_bulk(Supersession, ids=ids, history_type=CHANGED, reason="no longer detected")
    return len(ids)
