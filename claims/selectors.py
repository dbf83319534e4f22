"""Reads of claims. Each returns data with what it needs loaded in a fixed number of queries."""

import datetime
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, Prefetch, Q, When

from claims import values
from claims.corroboration import AppearanceLink, CitationGraph, independent_source_count
from claims.models import (
    Appearance,
    AppearanceVia,
    Claim,
    ClaimStatus,
    Contradiction,
    ContradictionStatus,
    Predicate,
)
from claims.value_columns import earliest_publication
from sources.models import Entity, Source, SourceCitation
from tracker.bulk import filter_in
from tracker.errors import ApplicationError


def citation_graph() -> CitationGraph:
    cites: dict[int, list[int]] = defaultdict(list)
    for citing, cited in SourceCitation.objects.values_list("citing_id", "cited_id"):
        cites[citing].append(cited)
    return CitationGraph(cites)


def independent_sources_by_claim(claim_ids: list[int] | None = None) -> dict[int, int]:
    """Claim id -> number of independent sources (spec: "Independent sources").

    With `claim_ids` None, every claim that has appearances; claims without any count 0.
    """
    appearances = Appearance.objects.values_list("id", "claim_id", "source_id", "source__outlet_id")
    vias = AppearanceVia.objects.values_list("appearance_id", "source_id")
    if claim_ids is None:
        rows = list(appearances)
        via_rows = list(vias)
    else:
        rows = list(filter_in(appearances, "claim_id", claim_ids))
        via_rows = list(filter_in(vias, "appearance__claim_id", claim_ids))
    via_of: dict[int, list[int]] = defaultdict(list)
    for appearance_id, source_id in via_rows:
        via_of[appearance_id].append(source_id)
    links: dict[int, list[AppearanceLink]] = defaultdict(list)
    for appearance_id, claim_id, source_id, outlet_id in rows:
        links[claim_id].append(AppearanceLink(source_id, outlet_id, tuple(via_of[appearance_id])))
    graph = citation_graph()
    return {claim_id: independent_source_count(items, graph) for claim_id, items in links.items()}


def claim_reference_date(*, source_ids: Collection[int]) -> values.PartialDate | None:
    """The date a claim's relative and year-less phrases are read against, or None.

    That is the earliest publication date among the given sources (a claim's appearances'),
    at its precision; of two starting the same day, the more precise one ("2015-01-01" says more
    than "2015"). None when no source is dated.
    """
    rows = Source.objects.filter(pk__in=source_ids, published__isnull=False).values_list(
        "published", "published_precision"
    )
    dates = [values.PartialDate.from_date(day, values.Precision(p)) for day, p in rows]
    if not dates:
        return None
    return earliest_publication(dates)


@dataclass(frozen=True)
class ContradictionFilters:
    """What a report or list of flags is narrowed to; None means any."""

    statuses: tuple[str, ...] | None = None
    kinds: tuple[str, ...] | None = None
    subject: str | None = None  # an entity key, name or alias
    since: datetime.date | None = None  # detected on or after


def contradictions_for_report(filters: ContradictionFilters = ContradictionFilters()):
    """Flags with both claims, their subjects, predicates and values loaded (3 queries), open
    first, then by subject and predicate name. Raises ApplicationError for an unknown subject."""
    query = Contradiction.objects.select_related(
        "claim_a__subject",
        "claim_a__predicate",
        "claim_a__value_entity",
        "claim_b__subject",
        "claim_b__predicate",
        "claim_b__value_entity",
        "status_changed_by",
    )
    if filters.statuses:
        query = query.filter(status__in=filters.statuses)
    if filters.kinds:
        query = query.filter(kind__in=filters.kinds)
    if filters.subject:
        entity_ids = entity_ids_named(filters.subject)
        if not entity_ids:
            raise ApplicationError(f'no entity has the key, name or alias "{filters.subject}"')
        query = query.filter(
            Q(claim_a__subject_id__in=entity_ids) | Q(claim_b__subject_id__in=entity_ids)
        )
    if filters.since:
        query = query.filter(last_detected_at__date__gte=filters.since)
    open_first = Case(When(status=ContradictionStatus.OPEN, then=0), default=1)
    return query.order_by(
        open_first,
        "claim_a__subject__name",
        "claim_a__predicate__name",
        "claim_a__key",
        "claim_b__key",
    )


def entity_ids_named(reference: str) -> list[int]:
    """Ids of the entities whose key, name or alias is `reference` (names compared normalised)."""
    normalized = values.normalize_name(reference)
    return list(
        Entity.objects.filter(
            Q(key=reference) | Q(normalized_name=normalized) | Q(aliases__normalized=normalized)
        )
        .values_list("id", flat=True)
        .distinct()
    )


def claim_open_contradictions(*, claim_id: int):
    """The open flags of one claim with the other claim loaded, for its admin page."""
    return (
        Contradiction.objects.filter(Q(claim_a_id=claim_id) | Q(claim_b_id=claim_id))
        .filter(status=ContradictionStatus.OPEN)
        .select_related("claim_a", "claim_b")
        .order_by("kind", "id")
    )


# --- vetted facts and claims for the API (claims/apis) ----------------------------------------


def facts_queryset():
    """Vetted claims with what a page of facts shows loaded: subject, predicate, values,
    location (joined) and appearances with their sources, outlets, speakers and via links
    (prefetched, two queries per page whatever its size)."""
    return claims_with_appearances().filter(status=ClaimStatus.VETTED)


def claims_with_appearances():
    appearances = Appearance.objects.select_related("source__outlet", "speaker").prefetch_related(
        Prefetch("via_links", queryset=AppearanceVia.objects.only("appearance_id", "source_id"))
    )
    return Claim.objects.select_related(
        "subject", "predicate", "value_entity", "location"
    ).prefetch_related(Prefetch("appearances", queryset=appearances.order_by("position")))


def predicate_ids_named(reference: str) -> list[int]:
    """Ids of the predicates whose key, name or alias is `reference` (names normalised)."""
    normalized = values.normalize_name(reference)
    return list(
        Predicate.objects.filter(
            Q(key=reference) | Q(normalized_name=normalized) | Q(aliases__normalized=normalized)
        )
        .values_list("id", flat=True)
        .distinct()
    )


def citation_graph_from(source_ids: Collection[int]) -> CitationGraph:
    """The citations reachable from `source_ids`, in one recursive query: what the independent
    sources of a page of claims need, rather than every citation stored (citation_graph)."""
    ids = sorted(set(source_ids))
    if not ids:
        return CitationGraph({})
    table = SourceCitation._meta.db_table
    placeholders = ", ".join(["%s"] * len(ids))
    query = (
        f"WITH RECURSIVE reach(id) AS (SELECT id FROM {Source._meta.db_table} "  # noqa: S608 - names from the models, values bound
        f"WHERE id IN ({placeholders}) UNION SELECT c.cited_id FROM {table} c "
        f"JOIN reach r ON c.citing_id = r.id) "
        f"SELECT c.citing_id, c.cited_id FROM {table} c JOIN reach r ON c.citing_id = r.id"
    )
    cites: dict[int, list[int]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(query, ids)
        for citing, cited in cursor.fetchall():
            cites[citing].append(cited)
    return CitationGraph(cites)


def open_contradiction_counts(claim_ids: Collection[int]) -> dict[int, int]:
    """Claim id -> number of open flags it is in, in one query (pair index and claim_b's)."""
    ids = list(claim_ids)
    counts: dict[int, int] = dict.fromkeys(ids, 0)
    if not ids:
        return counts
    rows = Contradiction.objects.filter(status=ContradictionStatus.OPEN).filter(
        Q(claim_a_id__in=ids) | Q(claim_b_id__in=ids)
    )
    for a, b in rows.values_list("claim_a_id", "claim_b_id"):
        for claim_id in (a, b):
            if claim_id in counts:
                counts[claim_id] += 1
    return counts


def claims_annotate_for_api(claims: Sequence[Claim]) -> None:
    """Set `independent_sources` and `open_contradictions` on claims loaded by
    claims_with_appearances: two queries for the whole page (the citations it reaches, its
    open flags), none per claim."""
    source_ids = {a.source_id for claim in claims for a in claim.appearances.all()}
    source_ids |= {
        v.source_id for claim in claims for a in claim.appearances.all() for v in a.via_links.all()
    }
    graph = citation_graph_from(source_ids)
    flags = open_contradiction_counts([claim.pk for claim in claims])
    for claim in claims:
        links = [
            AppearanceLink(
                a.source_id, a.source.outlet_id, tuple(v.source_id for v in a.via_links.all())
            )
            for a in claim.appearances.all()
        ]
        claim.independent_sources = independent_source_count(links, graph)
        claim.open_contradictions = flags[claim.pk]
