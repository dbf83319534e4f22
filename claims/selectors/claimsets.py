"""Export of everything stored as one claimset/1 document (see ../shared/spec/claimset.md).

Deterministic: every section sorted by key (relations by their two claim keys and type), each
record's fields in the spec's order, empty optional fields left out. Importing the export into
an empty database and exporting again gives the same document.
"""

import datetime
from collections import defaultdict
from typing import Any

from claims.core.values import PartialDate, Precision
from claims.models import (
    Appearance,
    AppearanceVia,
    Claim,
    ClaimRelation,
    Predicate,
    PredicateAlias,
    Stance,
    ValueType,
)
from claims.selectors.claims import independent_sources_by_claim
from claims.selectors.supersessions import superseded_by_claim
from sources.models import Entity, EntityAlias, Outlet, Source, SourceCitation, SourceCorrection

FORMAT = "claimset/1"


def _number(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value.is_integer() else value


def _partial(day: datetime.date | None, precision: str) -> str | None:
    if day is None:
        return None
    return PartialDate.from_date(day, Precision(precision)).isoformat()


def _put(record: dict[str, Any], name: str, value: Any) -> None:
    """Set an optional field, leaving out empty values so that records stay short."""
    if value not in (None, "", [], {}, False):
        record[name] = value


def _interval(
    start: datetime.date | None,
    start_precision: str,
    end: datetime.date | None,
    end_precision: str,
    as_written: str,
) -> dict[str, str]:
    out: dict[str, str] = {}
    _put(out, "from", _partial(start, start_precision))
    _put(out, "to", _partial(end, end_precision))
    _put(out, "as_written", as_written)
    return out


def _aliases(model, parent: str) -> dict[int, list[str]]:
    aliases: dict[int, list[str]] = defaultdict(list)
    for parent_id, name in model.objects.order_by("id").values_list(f"{parent}_id", "name"):
        aliases[parent_id].append(name)
    return aliases


def _outlets() -> list[dict]:
    out = []
    for o in Outlet.objects.order_by("key").values(
        "key", "name", "url", "kind", "country", "reliability"
    ):
        record = {"key": o["key"], "name": o["name"]}
        for name in ("url", "kind", "country", "reliability"):
            _put(record, name, o[name])
        out.append(record)
    return out


def _entities(entity_keys: dict[int, str]) -> list[dict]:
    aliases = _aliases(EntityAlias, "entity")
    out = []
    for e in Entity.objects.order_by("key").values(
        "id", "key", "name", "kind", "affiliation_id", "role"
    ):
        record = {"key": e["key"], "name": e["name"], "kind": e["kind"]}
        _put(record, "aliases", aliases.get(e["id"]))
        _put(record, "affiliation", entity_keys.get(e["affiliation_id"]))
        _put(record, "role", e["role"])
        out.append(record)
    return out


def _predicates() -> list[dict]:
    aliases = _aliases(PredicateAlias, "predicate")
    out = []
    for p in Predicate.objects.order_by("key").values(
        "id", "key", "name", "value_type", "unit", "functional", "time_varying", "cumulative"
    ):
        record = {"key": p["key"], "name": p["name"], "value_type": p["value_type"]}
        _put(record, "unit", p["unit"])
        _put(record, "functional", p["functional"])
        _put(record, "time_varying", p["time_varying"])
        _put(record, "cumulative", p["cumulative"])
        _put(record, "aliases", aliases.get(p["id"]))
        out.append(record)
    return out


def _sources(source_keys: dict[int, str]) -> list[dict]:
    cites: dict[int, list[str]] = defaultdict(list)
    for citing, cited in SourceCitation.objects.order_by("id").values_list("citing_id", "cited_id"):
        cites[citing].append(source_keys[cited])
    corrects: dict[int, list[str]] = defaultdict(list)
    for correcting, corrected in SourceCorrection.objects.order_by("id").values_list(
        "correcting_id", "corrected_id"
    ):
        corrects[correcting].append(source_keys[corrected])
    out = []
    for s in Source.objects.order_by("key").values(
        "id",
        "key",
        "title",
        "outlet__key",
        "url",
        "published",
        "published_precision",
        "authors",
        "language",
        "text",
    ):
        record = {"key": s["key"], "title": s["title"]}
        _put(record, "outlet", s["outlet__key"])
        _put(record, "url", s["url"])
        _put(record, "published", _partial(s["published"], s["published_precision"]))
        _put(record, "authors", s["authors"])
        if s["language"] != "en":
            record["language"] = s["language"]
        _put(record, "text", s["text"])
        _put(record, "cites", cites.get(s["id"]))
        _put(record, "corrects", corrects.get(s["id"]))
        out.append(record)
    return out


def _value(c: dict, entity_keys: dict[int, str]) -> dict | None:
    kind = c["value_type"]
    if kind == ValueType.QUANTITY:
        quantity = {
            "low": _number(c["quantity_given_low"]),
            "high": _number(c["quantity_given_high"]),
        }
        _put(quantity, "unit", c["quantity_given_unit"])
        _put(quantity, "as_written", c["value_as_written"])
        return {"quantity": quantity}
    if kind == ValueType.DATE:
        return {
            "date": _interval(
                c["date_from"],
                c["date_from_precision"],
                c["date_to"],
                c["date_to_precision"],
                c["value_as_written"],
            )
        }
    if kind == ValueType.ENTITY:
        return {"entity": entity_keys[c["value_entity_id"]]}
    if kind == ValueType.TEXT:
        return {"text": c["value_text"]}
    return None


def _appearances(source_keys: dict[int, str], entity_keys: dict[int, str]) -> dict[int, list]:
    via: dict[int, list[str]] = defaultdict(list)
    for appearance_id, source_id in AppearanceVia.objects.order_by("id").values_list(
        "appearance_id", "source_id"
    ):
        via[appearance_id].append(source_keys[source_id])
    by_claim: dict[int, list[dict]] = defaultdict(list)
    for a in Appearance.objects.order_by("claim_id", "position", "id").values(
        "id", "claim_id", "source_id", "quote", "speaker_id", "speaker_description", "stance"
    ):
        record: dict[str, Any] = {"source": source_keys[a["source_id"]]}
        _put(record, "quote", a["quote"])
        if a["speaker_id"]:
            record["speaker"] = entity_keys[a["speaker_id"]]
        elif a["speaker_description"]:
            record["speaker"] = {"description": a["speaker_description"]}
        _put(record, "via", via.get(a["id"]))
        if a["stance"] != Stance.ASSERTS:
            record["stance"] = a["stance"]
        by_claim[a["claim_id"]].append(record)
    return by_claim


def _claims(entity_keys: dict[int, str], source_keys: dict[int, str]) -> list[dict]:
    predicate_keys = dict(Predicate.objects.values_list("id", "key"))
    appearances = _appearances(source_keys, entity_keys)
    independent = independent_sources_by_claim()
    superseded = superseded_by_claim()
    out = []
    for c in Claim.objects.order_by("key").values():
        record: dict[str, Any] = {"key": c["key"], "text": c["text"]}
        _put(record, "subject", entity_keys.get(c["subject_id"]))
        _put(record, "predicate", predicate_keys.get(c["predicate_id"]))
        _put(record, "value", _value(c, entity_keys))
        _put(record, "negated", c["negated"])
        _put(
            record,
            "valid",
            _interval(
                c["valid_from"],
                c["valid_from_precision"],
                c["valid_to"],
                c["valid_to_precision"],
                c["valid_as_written"],
            ),
        )
        _put(record, "location", entity_keys.get(c["location_id"]))
        _put(record, "appearances", appearances.get(c["id"]))
        record["status"] = c["status"]
        record["independent_sources"] = independent.get(c["id"], 0)
        _put(record, "superseded_by", superseded.get(c["id"]))
        out.append(record)
    return out


def _relations() -> list[dict]:
    rows = ClaimRelation.objects.values_list("from_claim__key", "to_claim__key", "type", "note")
    out = []
    for from_key, to_key, type_, note in sorted(rows):
        record: dict[str, Any] = {"claims": [from_key, to_key], "type": type_}
        _put(record, "note", note)
        out.append(record)
    return out


def export_claimset() -> dict[str, Any]:
    """Everything stored, as one claimset/1 document."""
    entity_keys = dict(Entity.objects.values_list("id", "key"))
    source_keys = dict(Source.objects.values_list("id", "key"))
    return {
        "format": FORMAT,
        "outlets": _outlets(),
        "entities": _entities(entity_keys),
        "predicates": _predicates(),
        "sources": _sources(source_keys),
        "claims": _claims(entity_keys, source_keys),
        "relations": _relations(),
    }
