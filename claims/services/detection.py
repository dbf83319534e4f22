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
import time
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from kombu.exceptions import KombuError

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
    ValueType,
)
from claims.services.supersessions import (
    Superseding,
    supersessions_decide,
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


def claims_changed(*, claim_ids: Collection[int]) -> None:
    """Bring the derived columns of changed claims up to date and have them checked.

    Call inside the transaction that changed them (their values, wording, appearances or the
    dates of their sources): the time they hold and their terms are refreshed, the claims are
    marked as due a check in the same transaction, and the check is sent once it commits. If
    sending fails, the mark stays and the sweeper sends it later (claims_check_overdue).
    """
    ids = sorted(set(claim_ids))
    if not ids:
        return
    claim_holds_refresh(claim_ids=ids)
    claim_terms_refresh(claim_ids=ids)
    for chunk in chunked(ids):
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
            if valid_from or valid_to:
                holds = (valid_from, valid_to)
            else:
                earliest = earliest_publication(published.get(claim_id, ()))
                holds = (earliest.first_day(), earliest.last_day()) if earliest else (None, None)
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


def claim_terms_refresh(*, claim_ids: Collection[int]) -> int:
    """Rewrite the stored wordings (Claim.wording_terms, wording_digest) and index terms
    (ClaimTerm) of the claims that are out of date; returns how many were."""
    matcher = alias_matcher()
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
            index = wording_index(text, matcher)
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


_UPSERT = """
INSERT INTO claims_contradiction AS flag
    (claim_a_id, claim_b_id, kind, explanation, detected_by, status, dismissed_reason,
     fingerprint, reviewed_fingerprint, last_detected_at, created_at, updated_at)
VALUES (%s, %s, %s, %s, %s, 'open', '', %s, '', %s, %s, %s)
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
            cursor.executemany(_UPSERT, params)
        written += len(params)
    return written


# --- checking changed claims ------------------------------------------------------------------


def _bound_filters(low_col: str, high_col: str, facts: Facts, negated: bool) -> Q:
    """The claims whose value interval can conflict with facts' (the rules decide after)."""
    low = None if facts.low[0] == -float("inf") else facts.low[0]
    high = None if facts.high[0] == float("inf") else facts.high[0]
    if negated:
        # Affirmed claims inside the denied interval.
        inside = Q(negated=False)
        if low is not None:
            inside &= Q(**{f"{low_col}__gte": low})
        if high is not None:
            inside &= Q(**{f"{high_col}__lte": high})
        return inside
    disjoint = Q(pk__in=[])
    if low is not None:
        disjoint |= Q(**{f"{high_col}__lte": low})
    if high is not None:
        disjoint |= Q(**{f"{low_col}__gte": high})
    # Negated claims whose denied interval holds this one.
    containing = Q(negated=True)
    containing &= (
        Q(**{f"{low_col}__isnull": True}) | Q(**{f"{low_col}__lte": low})
        if low is not None
        else Q(**{f"{low_col}__isnull": True})
    )
    containing &= (
        Q(**{f"{high_col}__isnull": True}) | Q(**{f"{high_col}__gte": high})
        if high is not None
        else Q(**{f"{high_col}__isnull": True})
    )
    return (Q(negated=False) & disjoint) | containing


def _to_value(column: str, key_value: float):
    if column.startswith("date"):
        return datetime.date.fromordinal(int(key_value))
    return key_value


def structured_candidates(row: tuple, rules: PredicateRules) -> list[tuple]:
    """Rows of the claims of row's subject and predicate whose values can conflict with it."""
    facts = facts_of(row)
    claim_id, subject_id, predicate_id, value_type = row[:4]
    query = Claim.objects.filter(
        subject_id=subject_id, predicate_id=predicate_id, value_type=value_type
    ).exclude(pk=claim_id)
    if facts.location_id:
        query = query.filter(Q(location__isnull=True) | Q(location_id=facts.location_id))
    if rules.time_varying:
        holds_from, holds_to = _as_date(row[13]), _as_date(row[14])
        if holds_to is not None:
            query = query.filter(Q(holds_from__isnull=True) | Q(holds_from__lte=holds_to))
        if holds_from is not None:
            query = query.filter(Q(holds_to__isnull=True) | Q(holds_to__gte=holds_from))
    if value_type == ValueType.ENTITY:
        entity = facts.entity_id
        if facts.negated:
            query = query.filter(negated=False, value_entity_id=entity)
        else:
            conflicting = Q(negated=True, value_entity_id=entity)
            if rules.functional:
                conflicting |= Q(negated=False) & ~Q(value_entity_id=entity)
            query = query.filter(conflicting)
    else:
        low_col, high_col = (
            ("quantity_low", "quantity_high")
            if value_type == ValueType.QUANTITY
            else ("date_from", "date_to")
        )
        converted = facts._replace(
            low=(_to_value(low_col, facts.low[0]), 0)
            if facts.low[0] > -float("inf")
            else facts.low,
            high=(_to_value(high_col, facts.high[0]), 0)
            if facts.high[0] < float("inf")
            else facts.high,
        )
        query = query.filter(_bound_filters(low_col, high_col, converted, facts.negated))
    return list(query.values_list(*FACT_COLUMNS))


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


def claims_check(*, claim_ids: Collection[int]) -> Found:
    """Check each claim against its candidates, store what is found, withdraw the open flags of
    these claims that no longer hold, and clear their check marks. Safe to run twice and
    concurrently: flags are upserted, and a mark is cleared only if no newer change set it."""
    started = timezone.now()
    found = Found()
    rows = list(
        filter_in(Claim.objects.values_list(*FACT_COLUMNS, "check_requested_at"), "id", claim_ids)
    )
    marks = {row[0]: row[-1] for row in rows}
    found.claims = len(rows)
    structured = [row[:-1] for row in rows if row[1] and row[2] and row[3] in STRUCTURED_TYPES]
    rules = predicate_rules({row[2] for row in structured})
    for row in structured:
        predicate_rule = rules.get(row[2])
        if predicate_rule is None or predicate_rule.value_type != row[3]:
            continue
        mine = facts_of(row)
        for other in structured_candidates(row, predicate_rule):
            found.compared += 1
            kind = pair_conflict(mine, facts_of(other), predicate_rule)
            if kind:
                found.add(mine.id, other[0], kind, STRUCTURED_DETECTOR)
    text_candidates_check(found, list(marks))
    # The same pass decides which conflicts are updates or corrections instead.
    supersessions_decide(found)
    with transaction.atomic():
        flags_store(found, now=started)
        supersessions_store(found, now=started)
        _withdraw_unseen(claim_ids=list(marks), since=started)
        supersessions_lapse_unseen(claim_ids=list(marks), since=started)
        for claim_id, mark in marks.items():
            if mark is not None:
                # Compare-and-set: a change that came in during the check keeps its mark.
                Claim.objects.filter(id=claim_id, check_requested_at=mark).update(
                    check_requested_at=None
                )
    return found


def _withdraw_unseen(*, claim_ids: list[int], since: datetime.datetime) -> int:
    """Remove the open flags of these claims that this check did not find again: nobody has
    reviewed them, and their claims no longer contradict. Reviewed flags are kept as records."""
    removed = 0
    for chunk in chunked(claim_ids):
        removed += Contradiction.objects.filter(
            Q(claim_a_id__in=chunk) | Q(claim_b_id__in=chunk),
            status=ContradictionStatus.OPEN,
            last_detected_at__lt=since,
        ).delete()[0]
    return removed


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


def _plan_chunks(scan: ContradictionScan) -> list[ContradictionScanChunk]:
    chunks = []
    counts = (
        Claim.objects.filter(
            subject__isnull=False, predicate__isnull=False, value_type__in=STRUCTURED_TYPES
        )
        .values_list("subject_id")
        .annotate(n=Count("id"))
        .order_by("subject_id")
    )
    first, size, last = None, 0, None
    for subject_id, n in counts:
        if first is None:
            first = subject_id
        size += n
        last = subject_id
        if size >= settings.CONTRADICTION_SCAN_CHUNK_CLAIMS:
            chunks.append((ScanChunkKind.STRUCTURED, first, last))
            first, size = None, 0
    if first is not None:
        chunks.append((ScanChunkKind.STRUCTURED, first, last))
    text_ids = Claim.objects.filter(_text_only()).order_by("id").values_list("id", flat=True)
    for batch in chunked(list(text_ids), settings.CONTRADICTION_TEXT_CHUNK_CLAIMS):
        chunks.append((ScanChunkKind.TEXT, batch[0], batch[-1]))
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
        withdrawn = Contradiction.objects.filter(
            status=ContradictionStatus.OPEN, last_detected_at__lt=scan.started_at
        ).delete()[0]
        supersessions_lapse_unseen(since=scan.started_at)
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
