"""Contradiction detection against the database: what a change to claims sets going, the check of
changed claims against their candidates, the full scan in chunks, and the flags it stores.

The rules live in plain Python (claims/core/contradictions.py for structured values,
claims/core/text_compare.py for wordings); this module loads what they read, in a fixed number of
queries per claim or per chunk, and writes flags with one upsert per batch so that two workers
finding one pair make one flag (claims_contradiction_pair_unique).

Three entry points run detection:
- `claims_check(claim_ids)`: a claim saved or imported is checked against its candidates only:
  structured claims of its subject and predicate whose values can conflict (an indexed query),
  and wordings that share its rarest terms.
- `scan_run_chunk(chunk_id)`: one share of a full scan (`scan_request`, `scan_start_next`); any
  worker can take any chunk, and a chunk is done only with its results, in one transaction.
- `scan_run_here(scan)`: the whole scan in this process (`manage.py detect_contradictions`).
"""

import datetime
import functools
import hashlib
import itertools
import logging
import multiprocessing
import operator
import threading
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from kombu.exceptions import KombuError

import tracker.timings as timings
from claims.core import display, text_compare, values
from claims.core.contradictions import (
    DETECTOR as STRUCTURED_DETECTOR,
)
from claims.core.contradictions import (
    Facts,
    Kind,
    PredicateRules,
    block_conflicts,
    lower_key,
    pair_conflict,
    upper_key,
)
from claims.core.value_columns import earliest_publication
from claims.models import (
    Appearance,
    Claim,
    ClaimTerm,
    Contradiction,
    ContradictionScan,
    ContradictionScanChunk,
    ContradictionStatus,
    Predicate,
    ScanChunkKind,
    ScanStatus,
    Supersession,
    SupersessionStatus,
    ValueType,
)
from claims.services.fact_documents import fact_documents_refresh
from claims.services.supersessions import (
    Superseding,
    supersessions_decide,
    supersessions_lapse,
    supersessions_lapse_unseen,
    supersessions_store,
)
from sources.models import Entity, EntityAlias
from tracker.bulk import chunked, filter_in, insert_rows, update_rows

logger = logging.getLogger(__name__)

STRUCTURED_TYPES = (ValueType.QUANTITY, ValueType.DATE, ValueType.ENTITY)
# The columns the structured rules read, in Facts order after the block columns.
FACT_COLUMNS = (
    "id",
    "subject_id",
    "predicate_id",
    "value_type",
    "location_id",
    "negated",
    "quantity_low",
    "quantity_high",
    "quantity_low_inclusive",
    "quantity_high_inclusive",
    "date_from",
    "date_to",
    "value_entity_id",
    "holds_from",
    "holds_to",
)
# Term frequencies are counted up to this many claims when choosing a claim's rarest terms: past
# it a term is common, and how common no longer matters.
FREQUENCY_CAP = 300
# Wordings compared per batch: candidates and their stored wordings are held for one batch at a
# time, so memory follows the batch, not the number of claims.
TEXT_BATCH = 1000
# Between the terms of Claim.wording_terms: terms are single words, never containing it.
TERM_SEPARATOR = " "
PAIR_MAX = text_compare.PAIR_INDEX_MAX_TERMS


def _as_date(value) -> datetime.date | None:
    # SQLite hands raw cursors ISO strings; PostgreSQL hands dates.
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(value)


def _day_low(value) -> tuple[float, int]:
    day = _as_date(value)
    return lower_key(None if day is None else day.toordinal())


def _day_high(value) -> tuple[float, int]:
    day = _as_date(value)
    return upper_key(None if day is None else day.toordinal())


def facts_of(row: tuple) -> Facts:
    """Facts from a row of FACT_COLUMNS."""
    (
        claim_id,
        _subject,
        _predicate,
        value_type,
        location_id,
        negated,
        q_low,
        q_high,
        q_low_inc,
        q_high_inc,
        d_from,
        d_to,
        entity_id,
        holds_from,
        holds_to,
    ) = row
    if value_type == ValueType.QUANTITY:
        low, high = lower_key(q_low, bool(q_low_inc)), upper_key(q_high, bool(q_high_inc))
    elif value_type == ValueType.DATE:
        low, high = _day_low(d_from), _day_high(d_to)
    else:
        low, high = lower_key(None), upper_key(None)
    return Facts(
        claim_id,
        location_id,
        bool(negated),
        low,
        high,
        entity_id,
        _day_low(holds_from),
        _day_high(holds_to),
    )


def predicate_rules(predicate_ids: Iterable[int]) -> dict[int, PredicateRules]:
    """The rules of each predicate, read fresh: an editor may have made one time-varying."""
    rows = filter_in(
        Predicate.objects.values_list("id", "value_type", "functional", "time_varying"),
        "id",
        predicate_ids,
    )
    return {pid: PredicateRules(vt, functional, tv) for pid, vt, functional, tv in rows}


# --- what a change sets going ----------------------------------------------------------------


def claims_changed(*, claim_ids: Collection[int], derived_written: Collection[int] = ()) -> None:
    """Bring the derived columns of changed claims up to date and have them checked.

    Call inside the transaction that changed them (their values, wording, appearances or the
    dates of their sources): the time they hold and their terms are refreshed, the claims are
    marked as due a check in the same transaction, and the check is sent once it commits. If
    sending fails, the mark stays and the sweeper sends it later (claims_check_overdue).

    `derived_written`: claims whose derived columns, index rows and check mark the caller wrote
    with the rows themselves (claims_bulk_save, through claim_derived_columns and
    claim_term_rows): they are only sent to be checked.
    """
    ids = sorted(set(claim_ids))
    if not ids:
        return
    written = set(derived_written)
    stale = [claim_id for claim_id in ids if claim_id not in written]
    if stale:
        with timings.phase("holds: read and compare"):
            claim_holds_refresh(claim_ids=stale)
        with timings.phase("wording index: read and compare"):
            claim_terms_refresh(claim_ids=stale)
        with timings.phase("check requested: UPDATE claims_claim"):
            for chunk in chunked(stale):
                Claim.objects.filter(id__in=chunk).update(check_requested_at=timezone.now())
    for chunk in chunked(ids, 500):
        transaction.on_commit(functools.partial(_send_check, list(chunk)))


def _send_check(claim_ids: list[int]) -> None:
    """Send the check of committed claims. If the broker cannot be reached the change stands,
    marked, and the sweeper sends the check later: the caller's request must not fail for it."""
    from claims.tasks import check_claims  # the tasks module imports this one

    try:
        check_claims.delay(claim_ids)
    except (KombuError, OSError) as exc:
        logger.warning(
            "could not send the contradiction check of %d claims (%s); the sweeper will",
            len(claim_ids),
            exc,
        )


def holds_of(
    valid_from: datetime.date | None,
    valid_to: datetime.date | None,
    published: Iterable[values.PartialDate],
) -> tuple[datetime.date | None, datetime.date | None]:
    """A claim's holds_from and holds_to: its valid time, or else the days of the earliest of
    its sources' publication dates (`published`, the dated ones), or else none."""
    if valid_from or valid_to:
        return valid_from, valid_to
    earliest = earliest_publication(published)
    return (earliest.first_day(), earliest.last_day()) if earliest else (None, None)


def claim_holds_refresh(*, claim_ids: Collection[int]) -> int:
    """Set holds_from/holds_to of the claims (see Claim.holds_from); returns how many changed."""
    changed = []
    for chunk in chunked(sorted(set(claim_ids)), 5000):
        published = defaultdict(list)
        rows = filter_in(
            Appearance.objects.filter(source__published__isnull=False).values_list(
                "claim_id", "source__published", "source__published_precision"
            ),
            "claim_id",
            chunk,
        )
        for claim_id, day, precision in rows:
            published[claim_id].append(
                values.PartialDate.from_date(day, values.Precision(precision))
            )
        claims = filter_in(
            Claim.objects.values_list("id", "valid_from", "valid_to", "holds_from", "holds_to"),
            "id",
            chunk,
        )
        for claim_id, valid_from, valid_to, holds_from, holds_to in claims:
            holds = holds_of(valid_from, valid_to, published.get(claim_id, ()))
            if holds != (holds_from, holds_to):
                changed.append({"id": claim_id, "holds_from": holds[0], "holds_to": holds[1]})
    # Bookkeeping columns: written without touching updated_at.
    update_rows(Claim, changed, ["holds_from", "holds_to"], touch=False)
    return len(changed)


_matcher_state: dict = {}


def alias_matcher() -> text_compare.AliasMatcher:
    """The matcher of every entity name and alias, rebuilt when they change.

    Cached per process; one cheap query (counts and the latest change) tells whether it is
    stale, so that checking one claim does not read every alias.
    """
    entities = Entity.objects.aggregate(n=Count("id"), latest=Max("updated_at"))
    aliases = EntityAlias.objects.aggregate(n=Count("id"), last=Max("id"))
    version = (entities["n"], entities["latest"], aliases["n"], aliases["last"])
    if _matcher_state.get("version") != version:
        names = list(Entity.objects.values_list("id", "name"))
        names += list(EntityAlias.objects.values_list("entity_id", "name"))
        _matcher_state["matcher"] = text_compare.AliasMatcher(names)
        _matcher_state["version"] = version
    return _matcher_state["matcher"]


def is_structured(subject_id: int | None, predicate_id: int | None, value_type: str) -> bool:
    """Whether a claim's value is compared by the structured rules (the rest are text-only)."""
    return bool(subject_id and predicate_id and value_type)


@dataclass(frozen=True)
class WordingIndex:
    """What is stored of one wording: its terms (sorted, each cut to ClaimTerm.term's width: a
    longer "word" is noise, not a rare term) and the digest of its mentions."""

    terms: tuple[str, ...]
    digest: str

    @property
    def joined(self) -> str:
        return TERM_SEPARATOR.join(self.terms)

    def term_rows(self, claim_id: int, *, text_only: bool) -> list[dict]:
        """Its ClaimTerm rows: one per index key (text_compare.index_keys)."""
        size = len(self.terms)
        return [
            {"claim_id": claim_id, "term": key, "size": size, "text_only": text_only}
            for key in text_compare.index_keys(self.terms)
        ]


def wording_index(text: str, matcher: text_compare.AliasMatcher) -> WordingIndex:
    signature = text_compare.analyze(text, matcher)
    terms = {"".join(term.split())[:100] for term in signature.terms}
    return WordingIndex(tuple(sorted(terms)), text_compare.digest(signature))


class WordingIndexer:
    """The wording indexes of one batch of claims (an import, a chunk of claims refreshed):
    each distinct wording is analysed once, with the entity names as they are at the start.

    `prepare` analyses many wordings at once, in IMPORT_ANALYSIS_PROCESSES processes when there
    are PARALLEL_MIN_WORDINGS or more (an import of thousands of claims): the analysis is plain
    Python, so more processes use more cores, and a forked process has the names already."""

    PARALLEL_MIN_WORDINGS = 5000

    def __init__(self) -> None:
        self.matcher = alias_matcher()
        self._indexes: dict[str, WordingIndex] = {}

    def __call__(self, text: str) -> WordingIndex:
        index = self._indexes.get(text)
        if index is None:
            started = timings.lap()
            index = self._indexes[text] = wording_index(text, self.matcher)
            timings.add("wording analysis", started)
        return index

    def prepare(self, texts: Iterable[str]) -> None:
        """Analyse the wordings of `texts` not analysed yet, side by side when many."""
        todo = [text for text in dict.fromkeys(texts) if text not in self._indexes]
        processes = settings.IMPORT_ANALYSIS_PROCESSES
        if (
            processes < 2
            or len(todo) < self.PARALLEL_MIN_WORDINGS
            or multiprocessing.current_process().daemon  # a Celery pool process: no children
            # Forking a process with other threads (a threaded web worker, runserver) copies
            # locks they may hold: analyse in this process instead.
            or threading.active_count() > 1
            or "fork" not in multiprocessing.get_all_start_methods()
        ):
            return  # analysed one by one, when asked for
        with timings.phase("wording analysis, side by side"):
            _forked_state["matcher"] = self.matcher
            size = -(-len(todo) // (processes * 4))  # a few parts a process: even loads
            parts = [todo[i : i + size] for i in range(0, len(todo), size)]
            try:
                # Forked: the children start with the matcher and never touch the database
                # connection they inherit (they leave with os._exit, closing nothing).
                with multiprocessing.get_context("fork").Pool(processes) as pool:
                    analysed = pool.map(_wording_indexes, parts)
            finally:
                _forked_state.clear()
        for part, indexes in zip(parts, analysed, strict=True):
            self._indexes.update(zip(part, indexes, strict=True))


# What a forked analysing process reads (WordingIndexer.prepare): set only while it runs.
_forked_state: dict = {}


def _wording_indexes(texts: list[str]) -> list[WordingIndex]:
    matcher = _forked_state["matcher"]
    return [wording_index(text, matcher) for text in texts]


def claim_derived_columns(
    claim: Mapping[str, Any],
    *,
    published: Iterable[values.PartialDate],
    indexer: WordingIndexer,
    now: datetime.datetime,
) -> tuple[dict[str, Any], WordingIndex]:
    """The derived columns of a claim about to be written (`claim` holds its columns by
    attname), as claim_holds_refresh, claim_terms_refresh and claims_changed would set them
    afterwards, and its wording index; `published` are its sources' dated publications. A
    caller writing these with the claim writes its claim_term_rows too, and passes the claim to
    claims_changed as `derived_written`."""
    index = indexer(claim["text"])
    holds_from, holds_to = holds_of(claim["valid_from"], claim["valid_to"], published)
    columns = {
        "holds_from": holds_from,
        "holds_to": holds_to,
        "wording_terms": index.joined,
        "wording_digest": index.digest,
        "check_requested_at": now,
    }
    return columns, index


def claim_term_rows(claim_id: int, claim: Mapping[str, Any], index: WordingIndex) -> list[dict]:
    """The ClaimTerm rows of a claim written with claim_derived_columns."""
    text_only = not is_structured(claim["subject_id"], claim["predicate_id"], claim["value_type"])
    return index.term_rows(claim_id, text_only=text_only)


def claim_terms_refresh(*, claim_ids: Collection[int]) -> int:
    """Rewrite the stored wordings (Claim.wording_terms, wording_digest) and index terms
    (ClaimTerm) of the claims that are out of date; returns how many were."""
    indexer = WordingIndexer()
    refreshed = 0
    for chunk in chunked(sorted(set(claim_ids)), 5000):
        claims = filter_in(
            Claim.objects.values_list(
                "id",
                "text",
                "subject_id",
                "predicate_id",
                "value_type",
                "wording_terms",
                "wording_digest",
            ),
            "id",
            chunk,
        )
        indexed_text_only = dict(
            filter_in(ClaimTerm.objects.values_list("claim_id", "text_only"), "claim_id", chunk)
        )
        stale, claim_rows, term_rows = [], [], []
        for claim_id, text, subject_id, predicate_id, value_type, terms, digest in claims:
            index = indexer(text)
            text_only = not is_structured(subject_id, predicate_id, value_type)
            if (
                index.joined == terms
                and index.digest == digest
                and indexed_text_only.get(claim_id, text_only) == text_only
            ):
                continue
            stale.append(claim_id)
            claim_rows.append(
                {"id": claim_id, "wording_terms": index.joined, "wording_digest": index.digest}
            )
            term_rows += index.term_rows(claim_id, text_only=text_only)
        if stale:
            with timings.phase("DELETE claims_claimterm"):
                ClaimTerm.objects.filter(claim_id__in=stale).delete()
            insert_rows(ClaimTerm, term_rows)
            # Bookkeeping columns: written without touching updated_at.
            update_rows(Claim, claim_rows, ["wording_terms", "wording_digest"], touch=False)
            refreshed += len(stale)
    return refreshed


# --- flags ------------------------------------------------------------------------------------


@dataclass
class Found:
    """Pairs found by one run of detection, each as (lower id, higher id) -> (kind, detector),
    plus the text explanations the text detector writes itself."""

    pairs: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)
    text_explanations: dict[tuple[int, int], str] = field(default_factory=dict)
    # Pairs taken out of `pairs` because one claim supersedes the other, by (newer, older)
    # (claims/services/supersessions.py, supersessions_decide).
    supersessions: dict[tuple[int, int], Superseding] = field(default_factory=dict)
    claims: int = 0  # claims checked
    compared: int = 0  # candidate pairs the rules were applied to

    def add(self, a: int, b: int, kind: str, detector: str, explanation: str = "") -> None:
        pair = (a, b) if a < b else (b, a)
        # A structured finding is more precise than a wording one about the same pair.
        if pair in self.pairs and self.pairs[pair][1] == STRUCTURED_DETECTOR:
            return
        self.pairs[pair] = (kind, detector)
        if explanation:
            self.text_explanations[pair] = explanation


# What a flag's explanation shows of a claim, besides what the rules read.
DISPLAY_COLUMNS = (
    *FACT_COLUMNS,
    "key",
    "text",
    "value_as_written",
    "quantity_given_low",
    "quantity_given_high",
    "quantity_given_unit",
    "date_from_precision",
    "date_to_precision",
    "value_entity__name",
    "subject__name",
    "predicate__name",
    "predicate__unit",
    "predicate__time_varying",
    "location__name",
)
# What the rules read of a claim, and its wording: a dismissed flag reopens when any changes.
_FINGERPRINT_COLUMNS = ("text", *FACT_COLUMNS[1:])


def _fingerprint(a: dict, b: dict) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for claim in (a, b):
        digest.update(repr([claim[c] for c in _FINGERPRINT_COLUMNS]).encode())
    return digest.hexdigest()


def explain_structured(a: dict, b: dict) -> str:
    """One line a reviewer can check: "at least 400 fighters vs fewer than 100 fighters — number
    of fighters who escaped, Battle of Sirte (2016)"."""
    context = f"{a['predicate__name']}, {a['subject__name']}"
    location = a["location__name"] or b["location__name"]
    if location:
        context += f", at {location}"
    if a["predicate__time_varying"]:
        start = max(filter(None, map(_as_date, (a["holds_from"], b["holds_from"]))), default=None)
        end = min(filter(None, map(_as_date, (a["holds_to"], b["holds_to"]))), default=None)
        context += f", both holding {display.period_text(start, end)}"
    said_a, said_b = (display.value_text(claim, style="written") for claim in (a, b))
    return f"{said_a} vs {said_b} — {context}"


def _display_rows(claim_ids: Iterable[int]) -> dict[int, dict]:
    return {
        row["id"]: row for row in filter_in(Claim.objects.values(*DISPLAY_COLUMNS), "id", claim_ids)
    }


_UPSERT_INTO = """
INSERT INTO claims_contradiction AS flag
    (claim_a_id, claim_b_id, kind, explanation, detected_by, status, dismissed_reason,
     fingerprint, reviewed_fingerprint, last_detected_at, created_at, updated_at)
VALUES """
_UPSERT_ROW = "(%s, %s, %s, %s, %s, 'open', '', %s, '', %s, %s, %s)"
# Rows per upsert statement: one round trip for a check's flags (SQLite caps a statement's
# parameters at 32,766; nine a row).
_UPSERT_ROWS = 500
_UPSERT_CONFLICT = """
ON CONFLICT (claim_a_id, claim_b_id) DO UPDATE SET
    kind = excluded.kind,
    explanation = excluded.explanation,
    detected_by = excluded.detected_by,
    fingerprint = excluded.fingerprint,
    last_detected_at = excluded.last_detected_at,
    updated_at = CASE
        WHEN flag.kind <> excluded.kind OR flag.explanation <> excluded.explanation
            OR (flag.status = 'dismissed' AND flag.reviewed_fingerprint <> excluded.fingerprint)
        THEN excluded.updated_at ELSE flag.updated_at END,
    status_changed_at = CASE
        WHEN flag.status = 'dismissed' AND flag.reviewed_fingerprint <> excluded.fingerprint
        THEN excluded.last_detected_at ELSE flag.status_changed_at END,
    status_changed_by_id = CASE
        WHEN flag.status = 'dismissed' AND flag.reviewed_fingerprint <> excluded.fingerprint
        THEN NULL ELSE flag.status_changed_by_id END,
    dismissed_reason = CASE
        WHEN flag.status = 'dismissed' AND flag.reviewed_fingerprint <> excluded.fingerprint
        THEN '' ELSE flag.dismissed_reason END,
    status = CASE
        WHEN flag.status = 'dismissed' AND flag.reviewed_fingerprint <> excluded.fingerprint
        THEN 'open' ELSE flag.status END
"""


def flags_store(found: Found, *, now: datetime.datetime) -> int:
    """Upsert a flag for every pair found; returns how many pairs were written.

    A new pair becomes an open flag. A known one gets its explanation and `last_detected_at`
    refreshed and keeps its review, except that a dismissed flag whose claims changed since the
    dismissal (its fingerprint differs from the reviewed one) opens again.
    """
    pairs = sorted(found.pairs)
    written = 0
    for chunk in chunked(pairs, 2000):
        rows = _display_rows({claim_id for pair in chunk for claim_id in pair})
        params = []
        for a_id, b_id in chunk:
            if a_id not in rows or b_id not in rows:
                continue  # deleted while we looked
            a, b = rows[a_id], rows[b_id]
            kind, detector = found.pairs[(a_id, b_id)]
            if detector == STRUCTURED_DETECTOR:
                explanation = explain_structured(a, b)
            else:
                explanation = found.text_explanations.get((a_id, b_id), "")
            params.append(
                (a_id, b_id, kind, explanation[:500], detector, _fingerprint(a, b), now, now, now)
            )
        with connection.cursor() as cursor:
            for rows_of in chunked(params, _UPSERT_ROWS):
                # One statement for many rows: each pair is in it once (found.pairs is a dict),
                # so ON CONFLICT never meets one row twice.
                values_sql = ", ".join([_UPSERT_ROW] * len(rows_of))
                cursor.execute(
                    _UPSERT_INTO + values_sql + _UPSERT_CONFLICT,
                    [value for row in rows_of for value in row],
                )
        written += len(params)
    return written


# --- checking changed claims ------------------------------------------------------------------


# One probe's candidates are a SELECT of the claims of its block whose values can conflict with
# it, exactly (pair_conflict still decides, and must agree): disjoint intervals among affirmed
# claims, and the negated claims that deny the probe (or the affirmed ones a negated probe
# denies). Each arm is a range on one column of a block's value index (claims_claim_block_*), so
# a claim in a block of 100,000 that agree reads its few conflicting neighbours, not the block.
# The SELECTs of every probe of a check go in one statement (UNION ALL): one round trip.
_CANDIDATE_COLUMNS = ", ".join(FACT_COLUMNS)
# Probes per statement: SQLite caps a compound SELECT at 500 terms.
_PROBES_PER_STATEMENT = 200


def _value_arms(value_type: str, facts: Facts, negated: bool) -> tuple[str, list]:
    """The value conditions of a probe's candidates (quantities and dates), as one OR."""
    if value_type == ValueType.QUANTITY:
        low_col, high_col = "quantity_low", "quantity_high"
        low_inc, high_inc = "quantity_low_inclusive", "quantity_high_inclusive"

        def bound(value):
            return value

    else:
        low_col, high_col = "date_from", "date_to"
        low_inc = high_inc = None  # dates are whole days, both ends included

        def bound(value):
            return connection.ops.adapt_datefield_value(datetime.date.fromordinal(int(value)))

    def closed(inclusive_col: str | None, want_inclusive: bool) -> str:
        # "the other claim's end is included" (or not): without a flag column every end is.
        if inclusive_col is None:
            return "1 = 1" if want_inclusive else "1 = 0"
        return inclusive_col if want_inclusive else f"NOT {inclusive_col}"

    arms: list[str] = []
    params: list = []
    (low, low_flag), (high, high_flag) = facts.low, facts.high
    has_low, has_high = low != -float("inf"), high != float("inf")
    if negated:
        # Affirmed claims wholly inside the denied interval: its low >= ours, its high <= ours.
        parts, part_params = ["NOT negated"], []
        if has_low:
            if low_flag == 0:  # ours included: any other low at or above it
                parts.append(f"{low_col} >= %s")
                part_params.append(bound(low))
            else:  # ours excluded: above it, or at it and excluded too
                excluded = closed(low_inc, False)
                parts.append(f"({low_col} > %s OR ({low_col} = %s AND {excluded}))")
                part_params += [bound(low), bound(low)]
        if has_high:
            if high_flag == 0:
                parts.append(f"{high_col} <= %s")
                part_params.append(bound(high))
            else:
                excluded = closed(high_inc, False)
                parts.append(f"({high_col} < %s OR ({high_col} = %s AND {excluded}))")
                part_params += [bound(high), bound(high)]
        return "(" + " AND ".join(parts) + ")", part_params
    # Affirmed claims entirely below ours (their high key < our low key) ...
    if has_low:
        if low_flag == 1:  # ours excluded: any other high at or below it
            arms.append(f"(NOT negated AND {high_col} <= %s)")
            params.append(bound(low))
        else:
            arms.append(f"(NOT negated AND {high_col} < %s)")
            params.append(bound(low))
            if high_inc is not None:
                arms.append(f"(NOT negated AND {high_col} = %s AND NOT {high_inc})")
                params.append(bound(low))
    # ... or entirely above it (their low key > our high key).
    if has_high:
        if high_flag == -1:
            arms.append(f"(NOT negated AND {low_col} >= %s)")
            params.append(bound(high))
        else:
            arms.append(f"(NOT negated AND {low_col} > %s)")
            params.append(bound(high))
            if low_inc is not None:
                arms.append(f"(NOT negated AND {low_col} = %s AND NOT {low_inc})")
                params.append(bound(high))
    # Negated claims whose denied interval holds ours: their low key <= ours, high key >= ours.
    parts, part_params = ["negated"], []
    if has_low:
        if low_flag == 1:
            parts.append(f"({low_col} IS NULL OR {low_col} <= %s)")
            part_params.append(bound(low))
        else:
            parts.append(
                f"({low_col} IS NULL OR {low_col} < %s OR ({low_col} = %s AND "
                f"{closed(low_inc, True)}))"
            )
            part_params += [bound(low), bound(low)]
    else:
        parts.append(f"{low_col} IS NULL")
    if has_high:
        if high_flag == -1:
            parts.append(f"({high_col} IS NULL OR {high_col} >= %s)")
            part_params.append(bound(high))
        else:
            parts.append(
                f"({high_col} IS NULL OR {high_col} > %s OR ({high_col} = %s AND "
                f"{closed(high_inc, True)}))"
            )
            part_params += [bound(high), bound(high)]
    else:
        parts.append(f"{high_col} IS NULL")
    arms.append("(" + " AND ".join(parts) + ")")
    params += part_params
    return "(" + " OR ".join(arms) + ")", params


def _candidate_select(row: tuple, rules: PredicateRules) -> tuple[str, list]:
    """One probe's SELECT (FACT_COLUMNS and the probe's id) of its candidates."""
    facts = facts_of(row)
    claim_id, subject_id, predicate_id, value_type = row[:4]
    if value_type not in STRUCTURED_TYPES:
        raise ValueError(f"not a structured value type: {value_type!r}")
    # The type as a literal, not a parameter: the planner matches it to the partial indexes.
    where = ["subject_id = %s", "predicate_id = %s", f"value_type = '{value_type}'", "id <> %s"]
    params: list = [subject_id, predicate_id, claim_id]
    if facts.location_id:
        where.append("(location_id IS NULL OR location_id = %s)")
        params.append(facts.location_id)
    if rules.time_varying:
        holds_from, holds_to = _as_date(row[13]), _as_date(row[14])
        adapt = connection.ops.adapt_datefield_value
        if holds_to is not None:
            where.append("(holds_from IS NULL OR holds_from <= %s)")
            params.append(adapt(holds_to))
        if holds_from is not None:
            where.append("(holds_to IS NULL OR holds_to >= %s)")
            params.append(adapt(holds_from))
    if value_type == ValueType.ENTITY:
        entity = facts.entity_id
        same = "value_entity_id IS NULL" if entity is None else "value_entity_id = %s"
        same_params = [] if entity is None else [entity]
        if facts.negated:
            where.append(f"NOT negated AND {same}")
            params += same_params
        else:
            arms = [f"(negated AND {same})"]
            arm_params = list(same_params)
            if rules.functional:
                # Any other entity: two ranges of the block's entity index.
                if entity is None:
                    arms.append("(NOT negated AND value_entity_id IS NOT NULL)")
                else:
                    arms.append(
                        "(NOT negated AND (value_entity_id < %s OR value_entity_id > %s "
                        "OR value_entity_id IS NULL))"
                    )
                    arm_params += [entity, entity]
            where.append("(" + " OR ".join(arms) + ")")
            params += arm_params
    else:
        sql, value_params = _value_arms(value_type, facts, facts.negated)
        where.append(sql)
        params += value_params
    table = Claim._meta.db_table
    sql = (
        f"SELECT {_CANDIDATE_COLUMNS}, %s AS probe FROM {table} "  # noqa: S608 - fixed names
        f"WHERE {' AND '.join(where)}"
    )
    return sql, [claim_id, *params]


def structured_candidates_of(
    probes: Iterable[tuple[tuple, PredicateRules]],
) -> dict[int, list[tuple]]:
    """Rows (FACT_COLUMNS) of the claims that conflict with each probe (a row of FACT_COLUMNS
    with its predicate's rules), by probe id: one statement for up to _PROBES_PER_STATEMENT
    probes, exact (pair_conflict agrees on every row)."""
    out: dict[int, list[tuple]] = defaultdict(list)
    for chunk in chunked(list(probes), _PROBES_PER_STATEMENT):
        selects, params = [], []
        for row, rules in chunk:
            sql, select_params = _candidate_select(row, rules)
            selects.append(sql)
            params += select_params
            out[row[0]]  # noqa: B018 - every probe gets its (maybe empty) list
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(selects), params)
            for candidate in cursor.fetchall():
                out[candidate[-1]].append(candidate[:-1])
    return out


def structured_candidates(row: tuple, rules: PredicateRules) -> list[tuple]:
    """Rows of the claims of row's subject and predicate whose values conflict with it."""
    return structured_candidates_of([(row, rules)])[row[0]]


def _frequencies(terms: Collection[str]) -> dict[str, int]:
    """How many claims have each term, counted up to FREQUENCY_CAP, in one query."""
    if not terms:
        return {}
    table = ClaimTerm._meta.db_table
    parts, params = [], []
    for term in terms:
        parts.append(
            f"SELECT %s, (SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE term = %s "  # noqa: S608
            f"LIMIT {FREQUENCY_CAP}) AS hits)"
        )
        params += [term, term]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return dict(cursor.fetchall())


class _TermFrequencies:
    """Term frequencies (capped, see _frequencies) read once each per run: a scan's batches
    share most of their terms. Any consistent order of terms keeps probe_terms exact; the
    counts only make it pick rare ones."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def load(self, terms: Iterable[str]) -> None:
        missing = sorted(set(terms) - self.counts.keys())
        for chunk in chunked(missing, 500):
            self.counts.update(_frequencies(chunk))

    def __call__(self, term: str) -> int:
        return self.counts.get(term, 0)


@dataclass
class _Wording:
    """A claim's stored wording (Claim.wording_terms, wording_digest)."""

    id: int
    structured: bool
    terms: frozenset[str]
    digest: str
    signature: text_compare.TextSignature | None = None

    def read(self) -> text_compare.TextSignature:
        if self.signature is None:
            self.signature = text_compare.from_digest(self.terms, self.digest)
        return self.signature


def _wordings(claim_ids: Iterable[int]) -> dict[int, _Wording]:
    rows = filter_in(
        Claim.objects.values_list(
            "id", "subject_id", "predicate_id", "value_type", "wording_terms", "wording_digest"
        ),
        "id",
        claim_ids,
    )
    return {
        claim_id: _Wording(
            claim_id,
            is_structured(subject_id, predicate_id, value_type),
            frozenset(terms.split(TERM_SEPARATOR)) if terms else frozenset(),
            digest,
        )
        for claim_id, subject_id, predicate_id, value_type, terms, digest in rows
    }


def _text_batch(
    found: Found,
    probes: dict[int, _Wording],
    frequencies: _TermFrequencies,
) -> None:
    """Compare the wording of each probe with the wordings that may be near-identical to it.

    Candidates come from the term index (ClaimTerm), narrowed there: claims listed under one
    of the probe's look-ups (text_compare.probes: pairs of its terms and its rarest terms, under
    one of which any near-identical wording is listed) with a number of terms in the look-up's
    range, and text-only ones only for a structured probe (two structured claims are compared
    by value alone, spec: "Contradictions"). The incremental check's way (claims_check); the
    scan joins every wording at once instead (_text_chunk). Decisions are taken on stored
    digests; only the pairs in conflict are read again, to be explained.
    """
    probes = {claim_id: w for claim_id, w in probes.items() if w.terms and w.digest}
    if not probes:
        return
    frequencies.load(t for w in probes.values() for t in w.terms)
    lookups = {
        claim_id: text_compare.probes(w.terms, frequencies) for claim_id, w in probes.items()
    }
    postings = defaultdict(set)
    # Read in groups, so that a common key's long list is read only where it is needed: the
    # wordings up to PAIR_INDEX_MAX_TERMS terms apart from the few longer ones, and for the
    # keys only structured probes look up, the text-only wordings alone.
    groups = defaultdict(set)
    for probe_id, probe_lookups in lookups.items():
        for lookup in probe_lookups:
            groups[lookup.low <= PAIR_MAX, probes[probe_id].structured].add(lookup.key)
    for (short, structured), keys in groups.items():
        if structured:
            keys = keys - groups.get((short, False), set())
        query = ClaimTerm.objects.filter(**{"size__lte" if short else "size__gt": PAIR_MAX})
        if structured:
            query = query.filter(text_only=True)
        for row in filter_in(
            query.values_list("term", "claim_id", "size", "text_only"), "term", keys
        ):
            postings[row[0]].add(row[1:])
    candidates_of = {}
    for probe_id, probe_lookups in lookups.items():
        probe = probes[probe_id]
        candidates = set()
        for lookup in probe_lookups:
            for claim_id, size, text_only in postings[lookup.key]:
                if lookup.low <= size <= lookup.high and (text_only or not probe.structured):
                    candidates.add(claim_id)
        candidates.discard(probe_id)
        candidates_of[probe_id] = candidates
    del postings
    others = _wordings(set().union(*candidates_of.values()) - probes.keys())
    others.update(probes)
    threshold = text_compare.SIMILARITY_THRESHOLD
    in_conflict = []
    for probe_id, candidates in candidates_of.items():
        probe = probes[probe_id]
        for other_id in candidates:
            other = others.get(other_id)
            if other is None or (probe.structured and other.structured):
                continue  # deleted meanwhile, or made structured since it was indexed
            found.compared += 1
            # The stored terms settle most candidates before any mention is read.
            if text_compare.similarity(probe.terms, other.terms) < threshold:
                continue
            if text_compare.conflicting(probe.read(), other.read()):
                in_conflict.append((probe_id, other_id))
    _explain_wordings(found, in_conflict)


def _explain_wordings(found: Found, pairs: list[tuple[int, int]]) -> None:
    """Read the wordings of pairs found in conflict and add them with compare()'s explanation."""
    if not pairs:
        return
    texts = dict(
        filter_in(
            Claim.objects.values_list("id", "text"), "id", {i for pair in pairs for i in pair}
        )
    )
    matcher = alias_matcher()
    signatures: dict[int, text_compare.TextSignature] = {}

    def signature(claim_id: int) -> text_compare.TextSignature:
        if claim_id not in signatures:
            signatures[claim_id] = text_compare.analyze(texts[claim_id], matcher)
        return signatures[claim_id]

    for a, b in pairs:
        if a not in texts or b not in texts:
            continue
        # None only if a wording changed since its digest was stored; its own check follows.
        conflict = text_compare.compare(signature(a), signature(b))
        if conflict is not None:
            found.add(a, b, Kind.TEXT, text_compare.DETECTOR, conflict.explanation)


def text_candidates_check(found: Found, claim_ids: Collection[int]) -> None:
    """Compare the wording of each claim with the wordings that may be near-identical to it."""
    probes = _wordings(claim_ids)
    frequencies = _TermFrequencies()
    for batch in chunked(sorted(probes), TEXT_BATCH):
        _text_batch(found, {i: probes[i] for i in batch}, frequencies)


# The claim rows a check reads: what the rules read, its mark, and its predicate's rules.
_CHECK_COLUMNS = (
    *FACT_COLUMNS,
    "check_requested_at",
    "predicate__value_type",
    "predicate__functional",
    "predicate__time_varying",
)


def claims_check(*, claim_ids: Collection[int]) -> Found:
    """Check each claim against its candidates, store what is found, withdraw the open flags of
    these claims that no longer hold, and clear their check marks. Safe to run twice and
    concurrently: flags are upserted, and a mark is cleared only if no newer change set it.

    Round trips, whatever the size of the claims' blocks: the claims with their predicates'
    rules (one query), their structured candidates (one statement), the wording candidates
    (text_candidates_check), and in one transaction the flags found (one upsert per 100), the
    flags and supersessions no longer found (one query) and the marks (one update)."""
    started = timezone.now()
    found = Found()
    rows = list(filter_in(Claim.objects.values_list(*_CHECK_COLUMNS), "id", claim_ids))
    marks = {row[0]: row[15] for row in rows}
    found.claims = len(rows)
    probes = [
        # The predicate's rules are read fresh with the claim: an editor may have made it
        # time-varying since.
        (row[:15], PredicateRules(row[16], row[17], row[18]))
        for row in rows
        if row[1] and row[2] and row[3] in STRUCTURED_TYPES and row[16] == row[3]
    ]
    candidates = structured_candidates_of(probes)
    for row, rules in probes:
        mine = facts_of(row)
        for other in candidates[mine.id]:
            found.compared += 1
            kind = pair_conflict(mine, facts_of(other), rules)
            if kind:
                found.add(mine.id, other[0], kind, STRUCTURED_DETECTOR)
    text_candidates_check(found, list(marks))
    # The same pass decides which conflicts are updates or corrections instead.
    supersessions_decide(found)
    with transaction.atomic():
        # Facts show their open flags and what they replace: the claims checked, those found
        # with them, and those whose flag or supersession with them may be withdrawn.
        shown = {*marks, *_found_claims(found), *_related_claims(list(marks))}
        flags_store(found, now=started)
        supersessions_store(found, now=started)
        flag_ids, supersession_ids = _unseen_records(claim_ids=list(marks), since=started)
        if flag_ids:
            # Open flags nobody reviewed whose claims no longer contradict; reviewed flags are
            # kept as records. Deleted through the ORM, so that their history records it.
            Contradiction.objects.filter(
                id__in=flag_ids, status=ContradictionStatus.OPEN, last_detected_at__lt=started
            ).delete()
        if supersession_ids:
            supersessions_lapse(ids=supersession_ids)
        fact_documents_refresh(claim_ids=shown)
        marked = [Q(id=claim_id, check_requested_at=m) for claim_id, m in marks.items() if m]
        for chunk in chunked(marked, 200):
            # Compare-and-set: a change that came in during the check keeps its mark.
            Claim.objects.filter(functools.reduce(operator.or_, chunk)).update(
                check_requested_at=None
            )
    return found


def _found_claims(found: Found) -> set[int]:
    return {i for pair in (*found.pairs, *found.supersessions) for i in pair}


def _related_claims(claim_ids: list[int]) -> set[int]:
    """The claims sharing an open flag or an active supersession with one of `claim_ids`."""
    related: set[int] = set()
    for chunk in chunked(claim_ids):
        for a, b in Contradiction.objects.filter(
            Q(claim_a_id__in=chunk) | Q(claim_b_id__in=chunk), status=ContradictionStatus.OPEN
        ).values_list("claim_a_id", "claim_b_id"):
            related.update((a, b))
        for a, b in Supersession.objects.filter(
            Q(newer_id__in=chunk) | Q(older_id__in=chunk), status=SupersessionStatus.ACTIVE
        ).values_list("newer_id", "older_id"):
            related.update((a, b))
    return related


def _in_list(column: str, values: list) -> tuple[str, list]:
    """`column IN values` for a raw statement: one array parameter on PostgreSQL."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [values]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _unseen_records(*, claim_ids: list[int], since: datetime.datetime) -> tuple[list, list]:
    """The open flags and active supersessions of these claims not found again since `since`
    (ids of each), in one statement."""
    flag_ids, supersession_ids = [], []
    moment = connection.ops.adapt_datetimefield_value(since)
    flags, supersessions = Contradiction._meta.db_table, Supersession._meta.db_table
    for chunk in chunked(claim_ids, 200):
        a_in, a_params = _in_list("claim_a_id", list(chunk))
        b_in, b_params = _in_list("claim_b_id", list(chunk))
        newer_in, newer_params = _in_list("newer_id", list(chunk))
        older_in, older_params = _in_list("older_id", list(chunk))
        sql = (
            f"SELECT 0, id FROM {flags} WHERE ({a_in} OR {b_in}) "  # noqa: S608 - fixed names
            f"AND status = %s AND last_detected_at < %s "
            f"UNION ALL SELECT 1, id FROM {supersessions} WHERE ({newer_in} OR {older_in}) "
            f"AND status = %s AND last_detected_at < %s"
        )
        params = [
            *a_params,
            *b_params,
            ContradictionStatus.OPEN.value,
            moment,
            *newer_params,
            *older_params,
            SupersessionStatus.ACTIVE.value,
            moment,
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for which, record_id in cursor.fetchall():
                (supersession_ids if which else flag_ids).append(record_id)
    return flag_ids, supersession_ids


def claims_check_overdue(*, older_than: datetime.timedelta) -> list[int]:
    """Claims whose check was requested longer ago than `older_than` and has not run: their
    task was lost or never sent (the broker was down at commit)."""
    cutoff = timezone.now() - older_than
    return list(
        Claim.objects.filter(check_requested_at__lt=cutoff)
        .order_by("check_requested_at")
        .values_list("id", flat=True)[:50_000]
    )


# --- the full scan ----------------------------------------------------------------------------


def scan_request(*, requested_by: str) -> ContradictionScan:
    """Queue a full scan; it starts when no other scan is running (scan_start_next)."""
    return ContradictionScan.objects.create(requested_by=requested_by[:100])


# A chunk holds at least this many claims unless the setting says fewer: below it, the cost of
# a task (its queries, the wordings' term frequencies) outweighs what sharing gains.
SCAN_CHUNK_FLOOR = 1000


def chunk_target(total: int, most: int) -> int:
    """Claims per chunk: at most `most` (the setting: what one worker holds in memory), and
    small enough that the scan has CONTRADICTION_SCAN_CHUNKS chunks of the kind for workers to
    share, but not below SCAN_CHUNK_FLOOR."""
    wanted = -(-total // max(1, settings.CONTRADICTION_SCAN_CHUNKS))
    return max(1, min(most, max(SCAN_CHUNK_FLOOR, wanted)))


def _plan_chunks(scan: ContradictionScan) -> list[ContradictionScanChunk]:
    """Cut the scan into chunks any worker can take: wordings by id range, structured claims by
    subject range (a subject's blocks are never split, so the hottest subject is the smallest
    share of structured work). The wording chunks come first, highest ids first: each compares
    its wordings with those of lower ids, so they cost the most and are best started early."""
    counts = list(
        Claim.objects.filter(
            subject__isnull=False, predicate__isnull=False, value_type__in=STRUCTURED_TYPES
        )
        .values_list("subject_id")
        .annotate(n=Count("id"))
        .order_by("subject_id")
    )
    target = chunk_target(sum(n for _, n in counts), settings.CONTRADICTION_SCAN_CHUNK_CLAIMS)
    structured = []
    first, size, last = None, 0, None
    for subject_id, n in counts:
        if first is None:
            first = subject_id
        size += n
        last = subject_id
        if size >= target:
            structured.append((ScanChunkKind.STRUCTURED, first, last))
            first, size = None, 0
    if first is not None:
        structured.append((ScanChunkKind.STRUCTURED, first, last))
    text_ids = list(Claim.objects.filter(_text_only()).order_by("id").values_list("id", flat=True))
    text_target = chunk_target(len(text_ids), settings.CONTRADICTION_TEXT_CHUNK_CLAIMS)
    text = [(ScanChunkKind.TEXT, batch[0], batch[-1]) for batch in chunked(text_ids, text_target)]
    chunks = [*reversed(text), *structured]
    return [
        ContradictionScanChunk(scan=scan, number=n, kind=kind, first_id=lo, last_id=hi)
        for n, (kind, lo, hi) in enumerate(chunks)
    ]


def _text_only() -> Q:
    return Q(subject__isnull=True) | Q(predicate__isnull=True) | Q(value_type="")


def _refresh_time_varying_holds() -> None:
    """Recompute the time held by the claims whose predicates make time matter and that have no
    valid time of their own: a repair in case a source's date changed by a path that did not
    call claims_changed."""
    ids = Claim.objects.filter(
        predicate__time_varying=True, valid_from__isnull=True, valid_to__isnull=True
    ).values_list("id", flat=True)
    claim_holds_refresh(claim_ids=list(ids))


def _refresh_unindexed_wordings() -> None:
    """Index the wordings never indexed (the digest is never empty once stored): claims written
    by a path that did not call claims_changed, or before wordings were stored."""
    ids = Claim.objects.filter(wording_digest="").values_list("id", flat=True)
    claim_terms_refresh(claim_ids=list(ids))


def scan_start_next() -> ContradictionScan | None:
    """Start the oldest queued scan unless one is running; returns it, with its chunks planned,
    or None. The partial unique constraint claims_contradictionscan_one_running is the lock: two
    workers starting scans at once cannot both succeed."""
    while True:
        if ContradictionScan.objects.filter(status=ScanStatus.RUNNING).exists():
            return None  # the worker that finishes it starts the next one (tasks.scan_chunk)
        scan = ContradictionScan.objects.filter(status=ScanStatus.QUEUED).order_by("id").first()
        if scan is None:
            return None
        if _scan_promote(scan):
            return scan


def _scan_promote(scan: ContradictionScan) -> bool:
    """Move a queued scan to running and plan its chunks; False if another scan is running (or
    this one was taken already)."""
    try:
        with transaction.atomic():
            taken = ContradictionScan.objects.filter(pk=scan.pk, status=ScanStatus.QUEUED).update(
                status=ScanStatus.RUNNING, started_at=timezone.now()
            )
            if not taken:
                return False
            scan.refresh_from_db()
            _refresh_time_varying_holds()
            _refresh_unindexed_wordings()
            chunks = _plan_chunks(scan)
            ContradictionScanChunk.objects.bulk_create(chunks)
            scan.chunks_total = len(chunks)
            scan.save(update_fields=["chunks_total", "updated_at"])
    except IntegrityError:
        return False  # another scan is running: this one waits its turn
    if not chunks:
        _scan_finish_if_done(scan.pk)
    return True


def _structured_chunk(chunk: ContradictionScanChunk, found: Found) -> None:
    rows = (
        Claim.objects.filter(
            subject_id__gte=chunk.first_id,
            subject_id__lte=chunk.last_id,
            predicate__isnull=False,
            value_type__in=STRUCTURED_TYPES,
        )
        .order_by("subject_id", "predicate_id")
        .values_list(*FACT_COLUMNS)
    )
    rows = list(rows)
    rules = predicate_rules({row[2] for row in rows})
    for (_subject, predicate_id), block in itertools.groupby(rows, key=lambda r: (r[1], r[2])):
        predicate_rule = rules.get(predicate_id)
        block = [row for row in block if predicate_rule and row[3] == predicate_rule.value_type]
        found.claims += len(block)
        if len(block) < 2:
            continue
        for a, b, kind in block_conflicts(map(facts_of, block), predicate_rule):
            found.add(a, b, kind, STRUCTURED_DETECTOR)


@dataclass
class _DigestClass:
    """The claims of one term set with one digest: conflicting() decides them alike."""

    digest: str
    text_only: list[int] = field(default_factory=list)  # ids, ascending
    structured: list[int] = field(default_factory=list)
    signature: text_compare.TextSignature | None = None


def _digest_classes(members: Iterable[tuple[int, bool, str]]) -> list[_DigestClass]:
    classes: dict[str, _DigestClass] = {}
    for claim_id, text_only, digest in members:
        kind = classes.get(digest)
        if kind is None:
            kind = classes[digest] = _DigestClass(digest)
        (kind.text_only if text_only else kind.structured).append(claim_id)
    return list(classes.values())


@dataclass
class _ScanWordings:
    """A scan's wordings grouped by term set, and which sets are near-identical to the sets of
    text-only wordings: read and joined once per process and scan, at its first text chunk."""

    scan: tuple[int, datetime.datetime | None]  # id and start: ids may be used again
    sets: list[frozenset[str] | None]  # None: a set no text-only wording can meet
    members: list[list[tuple[int, bool, str]] | None]  # (id, text-only, digest), ids ascending
    similar: dict[int, list[int]]  # a set with text-only wordings -> the sets near-identical
    empty_text_only: list[int]  # text-only claims whose wording has no terms


_scan_wordings_state: dict = {}


def _scan_wordings(scan: ContradictionScan) -> _ScanWordings:
    """The wordings of the scan: every chunk of it in this process shares one read and one
    join (text_compare.SetJoin, which indexes the sets holding a text-only wording and looks
    up every set). A wording changed after the read is checked by its own check
    (claims_changed), as a wording changed after its chunk ran would be."""
    key = (scan.pk, scan.started_at)
    cached = _scan_wordings_state.get("wordings")
    if cached is not None and cached.scan == key:
        return cached
    _scan_wordings_state.clear()  # the previous scan's, before this one's is read
    by_terms: dict[str, list[tuple[int, bool, str]]] = {}
    digests: dict[str, str] = {}  # one string per distinct digest
    empty_text_only: list[int] = []
    table = Claim._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, NOT (subject_id IS NOT NULL AND predicate_id IS NOT NULL "  # noqa: S608
            f"AND value_type <> ''), wording_terms, wording_digest FROM {table} ORDER BY id"
        )
        while rows := cursor.fetchmany(20_000):
            for claim_id, text_only, joined, digest in rows:
                if not joined or not digest:
                    if text_only:
                        empty_text_only.append(claim_id)
                    continue
                digest = digests.setdefault(digest, digest)
                members = by_terms.get(joined)
                if members is None:
                    by_terms[joined] = [(claim_id, bool(text_only), digest)]
                else:
                    members.append((claim_id, bool(text_only), digest))
    del digests
    members_of: list[list[tuple[int, bool, str]] | None] = list(by_terms.values())
    sets: list[frozenset[str] | None] = [
        frozenset(joined.split(TERM_SEPARATOR)) for joined in by_terms
    ]
    del by_terms
    texts = [n for n, members in enumerate(members_of) if any(m[1] for m in members)]
    join = text_compare.SetJoin(sets, indexed=texts)
    similar: dict[int, list[int]] = {n: [] for n in texts}
    for number in range(len(sets)):
        for text in join.similar(number):
            similar[text].append(number)
    del join
    needed = set(texts).union(*similar.values())
    for number in range(len(sets)):
        if number not in needed:
            sets[number] = members_of[number] = None
    wordings = _ScanWordings(key, sets, members_of, similar, empty_text_only)
    _scan_wordings_state["wordings"] = wordings
    return wordings


def _text_chunk(chunk: ContradictionScanChunk, found: Found) -> None:
    """Compare the wordings of the chunk's text-only claims with every wording that may be
    near-identical to theirs.

    Wordings are grouped by term set (a template said 10,000 times is one group), and the sets
    are joined exactly (_scan_wordings). Within a pair of near-identical sets (a set and itself
    included) the claims are decided per distinct digest, as conflicting() reads nothing else;
    the claims of a pair of digests in conflict are all flagged. A text-only claim is compared
    with structured ones and with text-only ones of lower id (so a pair of text-only claims is
    compared once in a scan); two structured claims are compared by value alone (spec:
    "Contradictions"). Only the pairs in conflict are read again, to be explained.
    """
    first, last = chunk.first_id, chunk.last_id
    wordings = _scan_wordings(chunk.scan)
    sets, members_of = wordings.sets, wordings.members
    found.claims += sum(1 for i in wordings.empty_text_only if first <= i <= last)
    classes: dict[int, list[_DigestClass]] = {}

    def classes_of(number: int) -> list[_DigestClass]:
        if number not in classes:
            classes[number] = _digest_classes(members_of[number])
        return classes[number]

    def signature(number: int, kind: _DigestClass) -> text_compare.TextSignature:
        if kind.signature is None:
            kind.signature = text_compare.from_digest(sets[number], kind.digest)
        return kind.signature

    in_conflict = []
    for number, partners in wordings.similar.items():
        members = members_of[number]
        if members[0][0] > last or members[-1][0] < first:
            continue
        mine = _digest_classes(m for m in members if m[1] and first <= m[0] <= last)
        found.claims += sum(len(kind.text_only) for kind in mine)
        for other in [number, *partners]:
            for kind in mine:
                for theirs in classes_of(other):
                    # Whether any claim of theirs is to be compared with one of ours here.
                    if not theirs.structured and not (
                        theirs.text_only and theirs.text_only[0] < kind.text_only[-1]
                    ):
                        continue
                    found.compared += 1
                    if not text_compare.conflicting(
                        signature(number, kind), signature(other, theirs)
                    ):
                        continue
                    for a in kind.text_only:
                        in_conflict += [(a, b) for b in theirs.structured]
                        for b in theirs.text_only:
                            if b >= a:
                                break
                            in_conflict.append((a, b))
    _explain_wordings(found, in_conflict)


def scan_run_chunk(*, chunk_id: int) -> bool:
    """Run one chunk of a running scan unless it is done already; returns whether it ran.

    The flags and the chunk's `done_at` are written in one transaction, so a worker killed
    mid-chunk leaves the chunk to be run again, and a chunk run twice upserts the same flags.
    """
    chunk = ContradictionScanChunk.objects.select_related("scan").get(pk=chunk_id)
    if chunk.scan.status != ScanStatus.RUNNING:
        return False
    if chunk.done_at is not None:
        # The run that did it may have died, or met a transient error, after its commit and
        # before finishing the scan: finishing is compare-and-set, so try it here.
        _scan_finish_if_done(chunk.scan_id)
        return False
    found = Found()
    if chunk.kind == ScanChunkKind.STRUCTURED:
        _structured_chunk(chunk, found)
    else:
        _text_chunk(chunk, found)
    supersessions_decide(found)
    with transaction.atomic():
        flags_store(found, now=chunk.scan.started_at)
        supersessions_store(found, now=chunk.scan.started_at)
        ContradictionScanChunk.objects.filter(pk=chunk.pk, done_at__isnull=True).update(
            done_at=timezone.now(),
            claims_compared=found.claims,
            candidates_compared=found.compared,
            pairs_found=len(found.pairs),
        )
        fact_documents_refresh(claim_ids=_found_claims(found))
    _scan_finish_if_done(chunk.scan_id)
    return True


def _scan_finish_if_done(scan_id: int) -> bool:
    """Finish the scan when its last chunk is done: withdraw the open flags it did not see
    again, and record its totals. Compare-and-set on the status, so exactly one worker does it."""
    with transaction.atomic():
        if ContradictionScanChunk.objects.filter(scan_id=scan_id, done_at__isnull=True).exists():
            return False
        totals = ContradictionScanChunk.objects.filter(scan_id=scan_id).aggregate(
            claims=Sum("claims_compared"),
            candidates=Sum("candidates_compared"),
            pairs=Sum("pairs_found"),
        )
        scan = ContradictionScan.objects.get(pk=scan_id)
        finished = ContradictionScan.objects.filter(pk=scan_id, status=ScanStatus.RUNNING).update(
            status=ScanStatus.FINISHED,
            finished_at=timezone.now(),
            claims_compared=totals["claims"] or 0,
            candidates_compared=totals["candidates"] or 0,
            pairs_found=totals["pairs"] or 0,
        )
        if not finished:
            return False
        _scan_wordings_state.clear()  # this process's copy of the scan's wordings
        # Every pair still true was seen again by this scan (its last_detected_at is at least
        # the scan's start); checks that ran meanwhile stamped theirs later still.
        unseen = Contradiction.objects.filter(
            status=ContradictionStatus.OPEN, last_detected_at__lt=scan.started_at
        )
        lapsing = Supersession.objects.filter(
            status=SupersessionStatus.ACTIVE, last_detected_at__lt=scan.started_at
        )
        shown = {
            *(i for pair in unseen.values_list("claim_a_id", "claim_b_id") for i in pair),
            *(i for pair in lapsing.values_list("newer_id", "older_id") for i in pair),
        }
        withdrawn = unseen.delete()[0]
        supersessions_lapse_unseen(since=scan.started_at)
        fact_documents_refresh(claim_ids=shown)
        ContradictionScan.objects.filter(pk=scan_id).update(flags_withdrawn=withdrawn)
    return True


@dataclass
class ScanReport:
    scan: ContradictionScan
    by_kind: dict[str, int]
    seconds: float


def scan_run_here(*, requested_by: str, wait_seconds: float = 3600) -> ScanReport:
    """Queue a scan and run all of it in this process once it is its turn (scans run one at a
    time); the foreground `detect_contradictions` runs exactly the code workers run."""
    began = time.monotonic()
    scan = scan_request(requested_by=requested_by)
    while not _scan_promote(scan):
        scan.refresh_from_db()
        if scan.status != ScanStatus.QUEUED:
            break  # a worker took it; it is running or done
        if time.monotonic() - began > wait_seconds:
            raise TimeoutError(f"scan {scan.pk} waited {wait_seconds:.0f} s for another scan")
        time.sleep(0.5)
    for chunk_id in scan.chunks.order_by("number").values_list("id", flat=True):
        scan_run_chunk(chunk_id=chunk_id)
    scan.refresh_from_db()
    by_kind = dict(
        Contradiction.objects.values_list("kind").annotate(n=Count("id")).order_by("kind")
    )
    return ScanReport(scan=scan, by_kind=by_kind, seconds=time.monotonic() - began)


def scan_chunks_to_send(*, stale_after: datetime.timedelta | None = None) -> list[int]:
    """Chunks of the running scan not done yet, and stamps them as sent now.

    With stale_after, only those last sent longer ago than that (their tasks may have been
    lost); the stamp is compare-and-set, so a chunk still at work is not sent again and again,
    and two sweepers at once send each chunk once.
    """
    now = timezone.now()
    query = ContradictionScanChunk.objects.filter(
        scan__status=ScanStatus.RUNNING, done_at__isnull=True
    )
    if stale_after is not None:
        query = query.filter(Q(sent_at__isnull=True) | Q(sent_at__lt=now - stale_after))
    sent = []
    for chunk_id, sent_at in query.order_by("number").values_list("id", "sent_at"):
        if ContradictionScanChunk.objects.filter(pk=chunk_id, sent_at=sent_at).update(sent_at=now):
            sent.append(chunk_id)
    return sent


def scan_chunks_pending() -> bool:
    """Whether the running scan (if any) has chunks not done."""
    return ContradictionScanChunk.objects.filter(
        scan__status=ScanStatus.RUNNING, done_at__isnull=True
    ).exists()
