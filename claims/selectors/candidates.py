"""Reads for claim extraction: the stored names the extractor matches, and its candidates.

The extractor itself (claims.extraction) is plain Python; this module gives it the entity and
predicate look-ups from the database.
"""

import re
from dataclasses import dataclass
from datetime import date

from django.db.models import Q

from claims.core import quotes, values
from claims.core.extraction import Candidate, NameIndex, extract_candidates
from claims.core.values import PartialDate
from claims.models import Appearance, Contradiction, Predicate, PredicateAlias
from sources.models import Entity, EntityAlias


def entity_name_index() -> NameIndex:
    """Every entity by its name and each alias (two queries, values only)."""
    pairs = [
        *Entity.objects.values_list("key", "name"),
        *EntityAlias.objects.values_list("entity__key", "name"),
    ]
    return NameIndex.from_names(pairs)


def predicate_name_index() -> NameIndex:
    pairs = [
        *Predicate.objects.values_list("key", "name"),
        *PredicateAlias.objects.values_list("predicate__key", "name"),
    ]
    return NameIndex.from_names(pairs)


def article_candidates(*, text: str, published: PartialDate | None) -> list[Candidate]:
    """Candidates for text, with subjects, speakers and predicates matched to stored ones."""
    return extract_candidates(
        text,
        published=published,
        entities=entity_name_index(),
        predicates=predicate_name_index(),
    )


# --- the admin desk ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredClaim:
    """A claim already stored with an appearance in the source: a candidate it matches is not
    proposed again."""

    key: str
    pk: int
    quote: str
    value_as_written: str
    low: float | None
    high: float | None
    date_from: date | None
    date_to: date | None


def source_stored_claims(*, source_id: int) -> list[StoredClaim]:
    rows = (
        Appearance.objects.filter(source_id=source_id)
        .select_related("claim")
        .only(
            "quote",
            "claim__key",
            "claim__value_as_written",
            "claim__quantity_given_low",
            "claim__quantity_given_high",
            "claim__date_from",
            "claim__date_to",
        )
    )
    return [
        StoredClaim(
            key=a.claim.key,
            pk=a.claim_id,
            quote=a.quote,
            value_as_written=a.claim.value_as_written,
            low=a.claim.quantity_given_low,
            high=a.claim.quantity_given_high,
            date_from=a.claim.date_from,
            date_to=a.claim.date_to,
        )
        for a in rows
    ]


def candidate_stored_as(candidate: Candidate, stored: list[StoredClaim]) -> StoredClaim | None:
    """The stored claim of the source this candidate already is: its quote holds the
    candidate's value words (or is the candidate's sentence), and its value is the same."""
    value_words = quotes.fold_for_quote_search(candidate.value_words)
    sentence = quotes.fold_for_quote_search(candidate.quote)
    for claim in stored:
        quote = quotes.fold_for_quote_search(claim.quote)
        if not quote or not (quote in sentence or sentence in quote):
            continue
        if value_words not in quote and value_words not in sentence:
            continue
        if _same_value(candidate, claim):
            return claim
    return None


def _same_value(candidate: Candidate, claim: StoredClaim) -> bool:
    written = candidate.value.get("quantity") or candidate.value["date"]
    if claim.value_as_written.strip().casefold() == written["as_written"].strip().casefold():
        return True
    if "quantity" in candidate.value:
        q = candidate.value["quantity"]
        return _number(claim.low) == q["low"] and _number(claim.high) == q["high"]
    d = candidate.value["date"]
    return (
        claim.date_from is not None
        and claim.date_from.isoformat() == d["from"]
        and claim.date_to is not None
        and claim.date_to.isoformat() == d["to"]
    )


def _number(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)


def predicates_for_choice() -> list[Predicate]:
    """Every stored predicate with its aliases, for the desk's predicate menus."""
    return list(Predicate.objects.prefetch_related("aliases").order_by("name"))


_GUESS_WORD_RE = re.compile(r"[^\W\d_]{3,}")
_GUESS_IGNORED = frozenset({"number", "date", "the", "and", "who", "which", "that", "with"})


def predicate_best_guess(candidate: Candidate, predicates: list[Predicate]) -> Predicate | None:
    """The stored predicate this candidate most likely states, or None.

    The one the extractor matched by name, else the predicate of the candidate's value type
    sharing the most words with the candidate's sentence and counted noun (a quantity
    predicate whose unit is the candidate's scores more).
    """
    kind = "quantity" if "quantity" in candidate.value else "date"
    matched = candidate.predicate.get("predicate")
    for predicate in predicates:
        if predicate.key == matched:
            return predicate
    words = _guess_words(candidate.quote + " " + (candidate.predicate.get("as_written") or ""))
    unit = (candidate.value.get("quantity") or {}).get("unit") or ""
    best, best_score = None, 0
    for predicate in predicates:
        if predicate.value_type != kind:
            continue
        names = [predicate.name, *(alias.name for alias in predicate.aliases.all())]
        score = max(len(_guess_words(name) & words) for name in names)
        if kind == "quantity" and unit and predicate.unit and _units_match(unit, predicate.unit):
            score += 2
        if score > best_score:
            best, best_score = predicate, score
    return best


def _units_match(written: str, stored: str) -> bool:
    try:
        return values.units_comparable(written.split()[-1], stored)
    except values.ValueParseError:
        return False


def _guess_words(text: str) -> set[str]:
    return {
        values.normalize_unit(word)
        for word in _GUESS_WORD_RE.findall(text.lower())
        if word not in _GUESS_IGNORED
    }


def contradictions_of_claims(*, claim_ids: list[int]) -> list[Contradiction]:
    """The flags that involve any of these claims, with both claims, open ones first."""
    return list(
        Contradiction.objects.filter(Q(claim_a_id__in=claim_ids) | Q(claim_b_id__in=claim_ids))
        .select_related("claim_a", "claim_b")
        .order_by("status", "pk")
    )
