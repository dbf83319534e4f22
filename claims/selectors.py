"""Reads of claims. Each returns data with what it needs loaded in a fixed number of queries."""

from collections import defaultdict

from claims.corroboration import AppearanceLink, CitationGraph, independent_source_count
from claims.models import Appearance, AppearanceVia
from sources.models import SourceCitation
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
