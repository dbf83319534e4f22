"""Reads of facts (vetted claims that nothing supersedes) as the public API shows them: each
fact's representation (fact_data) and the facts' stored documents (claims.models.FactDocument).
"""

from collections import defaultdict
from collections.abc import Collection
from types import SimpleNamespace

from rest_framework import serializers

from claims.models import Appearance, AppearanceVia, Claim, ClaimStatus, FactDocument
from claims.selectors.claims import (
    claims_annotate_for_api,
    facts_annotate_replaced,
)
from claims.selectors.supersessions import claims_not_superseded
from sources.models import SourceCitation
from tracker.bulk import filter_in


def _entity(entity) -> dict | None:
    if entity is None:
        return None
    return {"key": entity.key, "name": entity.name, "kind": entity.kind}


def claim_value(claim: Claim) -> dict:
    vt = claim.value_type or None
    unit = claim.predicate.unit if claim.predicate_id else ""
    return {
        "type": vt,
        "as_written": claim.value_as_written,
        "negated": claim.negated,
        "quantity": {
            "low": claim.quantity_low,
            "high": claim.quantity_high,
            "low_inclusive": claim.quantity_low_inclusive,
            "high_inclusive": claim.quantity_high_inclusive,
            "unit": unit,
        }
        if vt == "quantity"
        else None,
        "date": {
            "start": claim.date_from,
            "start_precision": claim.date_from_precision,
            "end": claim.date_to,
            "end_precision": claim.date_to_precision,
        }
        if vt == "date"
        else None,
        "entity": _entity(claim.value_entity) if vt == "entity" else None,
        "text": claim.value_text if vt == "text" else None,
    }


def claim_valid(claim: Claim) -> dict:
    return {
        "start": claim.valid_from,
        "start_precision": claim.valid_from_precision,
        "end": claim.valid_to,
        "end_precision": claim.valid_to_precision,
        "as_written": claim.valid_as_written,
    }


# --- facts, built as plain data --------------------------------------------------------------
# A page of facts is 50 claims with their appearances, sources and outlets: DRF's nested
# serializers spent 40 ms of a 60 ms request on it. fact_data builds the same representation
# (FactSerializer documents it in the schema; schemathesis and the tests check the two agree).

_datetime = serializers.DateTimeField()  # how DRF writes updated_at


def _iso(day) -> str | None:
    return None if day is None else day.isoformat()


def _predicate(predicate) -> dict | None:
    if predicate is None:
        return None
    return {
        "key": predicate.key,
        "name": predicate.name,
        "value_type": predicate.value_type,
        "unit": predicate.unit,
        "cumulative": predicate.cumulative,
    }


def _appearance_data(appearance) -> dict:
    source = appearance.source
    outlet = source.outlet
    return {
        "quote": appearance.quote,
        "stance": appearance.stance,
        "speaker": _entity(appearance.speaker),
        "speaker_description": appearance.speaker_description,
        "source": {
            "key": source.key,
            "title": source.title,
            "url": source.url,
            "published": _iso(source.published),
            "published_precision": source.published_precision,
            "outlet": None
            if outlet is None
            else {"key": outlet.key, "name": outlet.name, "reliability": outlet.reliability},
        },
    }


def _confidence_data(confidence) -> dict | None:
    if confidence is None:
        return None
    return {
        "likelihood": confidence.likelihood,
        "likelihood_label": confidence.likelihood_label,
        "likelihood_low": confidence.likelihood_low,
        "likelihood_high": confidence.likelihood_high,
        "confidence": confidence.confidence,
        "credibility": confidence.credibility,
        "ratings": confidence.ratings,
    }


def fact_data(claim: Claim) -> dict:
    """FactSerializer's representation of a claim loaded by facts_queryset and annotated by
    claims_annotate_for_api."""
    value = claim_value(claim)
    if value["date"]:
        value["date"]["start"] = _iso(value["date"]["start"])
        value["date"]["end"] = _iso(value["date"]["end"])
    valid = claim_valid(claim)
    valid["start"], valid["end"] = _iso(valid["start"]), _iso(valid["end"])
    return {
        "key": claim.key,
        "text": claim.text,
        "subject": _entity(claim.subject),
        "predicate": _predicate(claim.predicate),
        "value": value,
        "valid": valid,
        "location": _entity(claim.location),
        "confidence": _confidence_data(claim.confidence),
        "independent_sources": claim.independent_sources,
        "open_contradictions": claim.open_contradictions,
        "appearances": [_appearance_data(a) for a in claim.appearances.all()],
        "replaces": getattr(claim, "replaces", []),
        "updated_at": _datetime.to_representation(claim.updated_at),
    }


# --- the stored documents (claims.models.FactDocument) ------------------------------------------


def fact_ids():
    """The facts as claim rows, unloaded: vetted claims that nothing supersedes. What the
    listing's filters narrow and its cursor walks (on the claims' primary key) before the page
    joins the facts' stored documents."""
    return claims_not_superseded(Claim.objects.filter(status=ClaimStatus.VETTED))


def facts_loaded(claim_ids: Collection[int]) -> list:
    """The facts among `claim_ids` with everything fact_data reads, in id order, in four
    queries and the annotations' four however many (the caller keeps batches to a few
    thousand).

    Read as rows rather than model instances: building tens of thousands of instances (a claim,
    its joined records, three appearances with theirs) cost more than the documents built from
    them. The rows stand in for the instances fact_data and claims_annotate_for_api read
    (attributes of the same names; `appearances.all()`, `via_links.all()`).
    """
    ids = list(claim_ids)
    rows = fact_ids().filter(pk__in=ids).order_by("pk").values(*_CLAIM_READ)
    claims = [_claim_of(row) for row in rows]
    by_id = {claim.pk: claim for claim in claims}
    appearances = list(
        Appearance.objects.filter(claim_id__in=list(by_id))
        .order_by("claim_id", "position")
        .values(*_APPEARANCE_READ)
    )
    vias: dict[int, list] = defaultdict(list)
    for appearance_id, source_id in AppearanceVia.objects.filter(
        appearance_id__in=[a["id"] for a in appearances]
    ).values_list("appearance_id", "source_id"):
        vias[appearance_id].append(SimpleNamespace(source_id=source_id))
    for row in appearances:
        by_id[row["claim_id"]].appearances.items.append(_appearance_of(row, vias[row["id"]]))
    claims_annotate_for_api(claims)
    facts_annotate_replaced(claims)
    return claims


class _Related:
    """`.all()` over a list: what a prefetched relation offers."""

    def __init__(self, items: list | None = None) -> None:
        self.items = items if items is not None else []

    def all(self) -> list:
        return self.items


_ENTITY = ("key", "name", "kind")
_PREDICATE = ("key", "name", "value_type", "unit", "cumulative")
_SOURCE = ("key", "title", "url", "published", "published_precision")
_OUTLET = ("key", "name", "reliability")
_CLAIM_COLUMNS = (
    "id",
    "key",
    "text",
    "value_type",
    "value_as_written",
    "negated",
    "quantity_low",
    "quantity_high",
    "quantity_low_inclusive",
    "quantity_high_inclusive",
    "date_from",
    "date_from_precision",
    "date_to",
    "date_to_precision",
    "value_text",
    "valid_from",
    "valid_from_precision",
    "valid_to",
    "valid_to_precision",
    "valid_as_written",
    "updated_at",
)
_CLAIM_ENTITIES = ("subject", "value_entity", "location")
_CLAIM_READ = (
    *_CLAIM_COLUMNS,
    "predicate_id",
    *(f"predicate__{f}" for f in _PREDICATE),
    *(f"{name}_id" for name in _CLAIM_ENTITIES),
    *(f"{name}__{f}" for name in _CLAIM_ENTITIES for f in _ENTITY),
)
_APPEARANCE_READ = (
    "id",
    "claim_id",
    "quote",
    "stance",
    "speaker_description",
    "speaker_id",
    *(f"speaker__{f}" for f in _ENTITY),
    "source_id",
    *(f"source__{f}" for f in _SOURCE),
    "source__outlet_id",
    *(f"source__outlet__{f}" for f in _OUTLET),
)


def _joined(row: dict, name: str, fields: tuple[str, ...]) -> SimpleNamespace | None:
    if row[f"{name}_id"] is None:
        return None
    return SimpleNamespace(**{f: row[f"{name}__{f}"] for f in fields})


def _claim_of(row: dict) -> SimpleNamespace:
    claim = SimpleNamespace(**{c: row[c] for c in _CLAIM_COLUMNS})
    claim.pk = claim.id
    claim.predicate_id = row["predicate_id"]
    claim.predicate = _joined(row, "predicate", _PREDICATE)
    for name in _CLAIM_ENTITIES:
        setattr(claim, name, _joined(row, name, _ENTITY))
    claim.appearances = _Related()
    return claim


def _appearance_of(row: dict, vias: list) -> SimpleNamespace:
    source = _joined(row, "source", _SOURCE)
    source.outlet_id = row["source__outlet_id"]
    source.outlet = _joined(row, "source__outlet", _OUTLET)
    return SimpleNamespace(
        quote=row["quote"],
        stance=row["stance"],
        speaker_description=row["speaker_description"],
        speaker=_joined(row, "speaker", _ENTITY),
        source_id=row["source_id"],
        source=source,
        via_links=_Related(vias),
    )


def fact_documents_digests(claim_ids: Collection[int]) -> dict[int, str]:
    """Claim id -> the digest of its stored document, for those of `claim_ids` that have one."""
    return dict(
        FactDocument.objects.filter(claim_id__in=list(claim_ids)).values_list("claim_id", "digest")
    )


def fact_documents_of(claim_ids: Collection[int], piece: str) -> dict[int, tuple[str, str]]:
    """Claim id -> (digest, `piece`) of the stored documents of `claim_ids` (one query)."""
    return {
        claim_id: (digest, text)
        for claim_id, digest, text in FactDocument.objects.filter(
            claim_id__in=list(claim_ids)
        ).values_list("claim_id", "digest", piece)
    }


def claims_showing(
    *,
    source_ids: Collection[int] = (),
    outlet_ids: Collection[int] = (),
    entity_ids: Collection[int] = (),
    predicate_ids: Collection[int] = (),
) -> set[int]:
    """Ids of the vetted claims whose fact shows one of these records: a source (its title,
    date, or, through citations, its independent sources), an outlet (name, grade), an entity
    (subject, value, location or speaker) or a predicate."""
    found: set[int] = set()
    vetted = Claim.objects.filter(status=ClaimStatus.VETTED)
    appearing = Appearance.objects.filter(claim__status=ClaimStatus.VETTED)
    if source_ids:
        citing = sources_citing(source_ids)
        found.update(filter_in(appearing.values_list("claim_id", flat=True), "source_id", citing))
        found.update(
            filter_in(
                AppearanceVia.objects.filter(
                    appearance__claim__status=ClaimStatus.VETTED
                ).values_list("appearance__claim_id", flat=True),
                "source_id",
                citing,
            )
        )
    if outlet_ids:
        found.update(
            filter_in(appearing.values_list("claim_id", flat=True), "source__outlet_id", outlet_ids)
        )
    if entity_ids:
        for column in ("subject_id", "value_entity_id", "location_id"):
            found.update(filter_in(vetted.values_list("id", flat=True), column, entity_ids))
        found.update(
            filter_in(appearing.values_list("claim_id", flat=True), "speaker_id", entity_ids)
        )
    if predicate_ids:
        found.update(filter_in(vetted.values_list("id", flat=True), "predicate_id", predicate_ids))
    return found


def sources_citing(source_ids: Collection[int]) -> set[int]:
    """`source_ids` and every source that cites one of them, directly or through others: the
    sources whose independent-source count a change of these sources' citations can move (a
    query per step along the citations)."""
    reached = set(source_ids)
    frontier = set(source_ids)
    while frontier:
        frontier = (
            set(
                filter_in(
                    SourceCitation.objects.values_list("citing_id", flat=True),
                    "cited_id",
                    frontier,
                )
            )
            - reached
        )
        reached |= frontier
    return reached
