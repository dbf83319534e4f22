"""Reads of claims. Each returns data with what it needs loaded in a fixed number of queries."""

from collections import defaultdict
from collections.abc import Collection

from claims import values
from claims.corroboration import AppearanceLink, CitationGraph, independent_source_count
from claims.models import Appearance, AppearanceVia
from claims.value_columns import earliest_publication
from sources.models import Source, SourceCitation
from tracker.bulk import filter_in


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
