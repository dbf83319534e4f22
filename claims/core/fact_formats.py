"""A fact's public representation (claims.selectors.facts.fact_data) written out: as the JSON
the facts API serves, as CSV rows and as a schema.org ClaimReview, each a piece that a page
joins with others as it is (claims.models.FactDocument stores the pieces).

Plain Python: json and csv only. The JSON is written as DRF's JSONRenderer writes it (compact
separators, no ASCII escaping, U+2028 and U+2029 escaped), so a stored piece is byte for byte
what the API served when it serialised each request.
"""

import csv
import io
import json

from tracker.spreadsheets import spreadsheet_cell

CSV_COLUMNS = (
    "key",
    "text",
    "subject_key",
    "subject",
    "predicate_key",
    "predicate",
    "value_type",
    "value_as_written",
    "negated",
    "quantity_low",
    "quantity_high",
    "quantity_low_inclusive",
    "quantity_high_inclusive",
    "unit",
    "date_start",
    "date_start_precision",
    "date_end",
    "date_end_precision",
    "value_entity_key",
    "value_entity",
    "value_text",
    "valid_start",
    "valid_start_precision",
    "valid_end",
    "valid_end_precision",
    "valid_as_written",
    "location",
    "likelihood",
    "likelihood_low",
    "likelihood_high",
    "confidence",
    "independent_sources",
    "open_contradictions",
    "appearance",
    "quote",
    "stance",
    "speaker",
    "source_key",
    "source_title",
    "source_url",
    "source_published",
    "source_published_precision",
    "outlet",
    "outlet_reliability",
)

LIKELIHOOD_SCALE = (
    "almost_no_chance",
    "very_unlikely",
    "unlikely",
    "roughly_even",
    "likely",
    "very_likely",
    "almost_certain",
)


def facts_in(data) -> list[dict]:
    if isinstance(data, dict) and "results" in data:
        return data["results"]
    return [data]


def fact_rows(fact: dict):
    """One row per appearance (the fact's columns repeated); one row for a fact without any."""
    value = fact["value"]
    quantity, date, valid = value["quantity"] or {}, value["date"] or {}, fact["valid"]
    subject, predicate = fact["subject"] or {}, fact["predicate"] or {}
    entity, location = value["entity"] or {}, fact["location"] or {}
    confidence = fact.get("confidence") or {}
    base = {
        "key": fact["key"],
        "text": fact["text"],
        "subject_key": subject.get("key"),
        "subject": subject.get("name"),
        "predicate_key": predicate.get("key"),
        "predicate": predicate.get("name"),
        "value_type": value["type"],
        "value_as_written": value["as_written"],
        "negated": value["negated"],
        "quantity_low": quantity.get("low"),
        "quantity_high": quantity.get("high"),
        "quantity_low_inclusive": quantity.get("low_inclusive"),
        "quantity_high_inclusive": quantity.get("high_inclusive"),
        "unit": quantity.get("unit"),
        "date_start": date.get("start"),
        "date_start_precision": date.get("start_precision"),
        "date_end": date.get("end"),
        "date_end_precision": date.get("end_precision"),
        "value_entity_key": entity.get("key"),
        "value_entity": entity.get("name"),
        "value_text": value["text"],
        "valid_start": valid["start"],
        "valid_start_precision": valid["start_precision"],
        "valid_end": valid["end"],
        "valid_end_precision": valid["end_precision"],
        "valid_as_written": valid["as_written"],
        "location": location.get("name"),
        "likelihood": confidence.get("likelihood"),
        "likelihood_low": confidence.get("likelihood_low"),
        "likelihood_high": confidence.get("likelihood_high"),
        "confidence": confidence.get("confidence"),
        "independent_sources": fact["independent_sources"],
        "open_contradictions": fact["open_contradictions"],
    }
    if not fact["appearances"]:
        yield base
    for number, appearance in enumerate(fact["appearances"], start=1):
        source = appearance["source"]
        outlet = source["outlet"] or {}
        speaker = appearance["speaker"]
        yield {
            **base,
            "appearance": number,
            "quote": appearance["quote"],
            "stance": appearance["stance"],
            "speaker": speaker["name"] if speaker else appearance["speaker_description"],
            "source_key": source["key"],
            "source_title": source["title"],
            "source_url": source["url"],
            "source_published": source["published"],
            "source_published_precision": source["published_precision"],
            "outlet": outlet.get("name"),
            "outlet_reliability": outlet.get("reliability"),
        }


def _partial(day: str | None, precision: str) -> str | None:
    if not day:
        return None
    return {"year": day[:4], "month": day[:7]}.get(precision, day)


def _thing(entity: dict | None, default_type: str = "Thing") -> dict | None:
    if not entity:
        return None
    kind = {"person": "Person", "organization": "Organization", "place": "Place"}
    return {
        "@type": kind.get(entity.get("kind", ""), default_type),
        "name": entity["name"],
        "identifier": entity["key"],
    }


def _appearance(appearance: dict) -> dict:
    source = appearance["source"]
    work: dict = {"@type": "CreativeWork", "name": source["title"], "identifier": source["key"]}
    if source["url"]:
        work["url"] = source["url"]
    published = _partial(source["published"], source["published_precision"])
    if published:
        work["datePublished"] = published
    if source["outlet"]:
        work["publisher"] = {"@type": "Organization", "name": source["outlet"]["name"]}
    quotation: dict = {"@type": "Quotation", "isPartOf": work}
    if appearance["quote"]:
        quotation["text"] = appearance["quote"]
    if appearance["speaker"]:
        quotation["creator"] = _thing(appearance["speaker"], "Person")
    elif appearance["speaker_description"]:
        quotation["creator"] = {"@type": "Person", "description": appearance["speaker_description"]}
    return quotation


def claim_review(fact: dict, url: str | None) -> dict:
    """A fact as a schema.org ClaimReview: the claim (itemReviewed) with its appearances, and the
    rating from its current confidence (absent while no reviewer has rated it)."""
    appearances = [_appearance(a) for a in fact["appearances"]]
    claim: dict = {"@type": "Claim", "text": fact["text"], "appearance": appearances}
    if appearances:
        dated = [a for a in appearances if a["isPartOf"].get("datePublished")]
        first = min(dated, key=lambda a: a["isPartOf"]["datePublished"]) if dated else None
        claim["firstAppearance"] = first or appearances[0]
    if fact["subject"]:
        claim["about"] = _thing(fact["subject"])
    review: dict = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "identifier": fact["key"],
        "claimReviewed": fact["text"],
        "dateModified": fact["updated_at"],
        "author": {"@type": "Organization", "name": "Claim tracker"},
        "itemReviewed": claim,
    }
    if url:
        review["url"] = url
    confidence = fact.get("confidence")
    if confidence:
        review["reviewRating"] = {
            "@type": "Rating",
            "ratingValue": LIKELIHOOD_SCALE.index(confidence["likelihood"]) + 1,
            "worstRating": 1,
            "bestRating": len(LIKELIHOOD_SCALE),
            "alternateName": confidence["likelihood_label"],
            "ratingExplanation": (
                f"{confidence['likelihood_label']} ({confidence['likelihood_low']}-"
                f"{confidence['likelihood_high']}%), {confidence['confidence']} confidence, "
                f"from {confidence['ratings']} reviewer rating(s); "
                f"{fact['independent_sources']} independent source(s)"
            ),
        }
    return review


# --- pieces and pages ------------------------------------------------------------------------

# Where a ClaimReview's `url` goes: the piece is stored without the host a request names, and
# the page puts the fact's absolute URL in its place. JSON writes U+0000 as an escape, and no
# stored text holds one (PostgreSQL refuses NUL in text), so the marker cannot occur otherwise.
URL_MARKER = "\u0000fact-url\u0000"
URL_MARKER_JSON = json.dumps(URL_MARKER)
JSONLD_CONTEXT = "https://schema.org"


def json_text(data) -> str:
    """`data` as DRF's JSONRenderer writes it (UNICODE_JSON, COMPACT_JSON, STRICT_JSON)."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def fact_json_piece(fact: dict) -> str:
    return json_text(fact)


def fact_jsonld_piece(fact: dict) -> str:
    """The fact's ClaimReview without `@context`, its `url` the marker (jsonld_with_url)."""
    review = claim_review(fact, URL_MARKER)
    del review["@context"]
    return json.dumps(review, ensure_ascii=False)


_BASE_COLUMNS = CSV_COLUMNS[: CSV_COLUMNS.index("appearance")]
_APPEARANCE_COLUMNS = CSV_COLUMNS[len(_BASE_COLUMNS) :]


def fact_csv_piece(fact: dict) -> str:
    """The fact's CSV rows (one per appearance), without the header: fact_rows written as
    FactsCSVRenderer writes them, the fact's own cells (the first columns, the same on every
    row) made once."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    base: list[str] | None = None
    for row in fact_rows(fact):
        if base is None:
            base = [spreadsheet_cell(row.get(name)) for name in _BASE_COLUMNS]
        writer.writerow(base + [spreadsheet_cell(row.get(name)) for name in _APPEARANCE_COLUMNS])
    return out.getvalue()


def csv_header() -> str:
    out = io.StringIO()
    csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n").writeheader()
    return out.getvalue()


CSV_HEADER = csv_header()


def jsonld_with_url(piece: str, url: str | None) -> str:
    return piece.replace(URL_MARKER_JSON, json.dumps(url, ensure_ascii=False), 1)


def json_page(next_url: str | None, previous_url: str | None, pieces: list[str]) -> bytes:
    """A page as the cursor pagination's response: {"next", "previous", "results"}."""
    head = json_text({"next": next_url, "previous": previous_url})[:-1]
    return f'{head},"results":[{",".join(pieces)}]}}'.encode()


def jsonld_page(pieces: list[str]) -> bytes:
    return (
        f'{{"@context": {json.dumps(JSONLD_CONTEXT)}, "@graph": [{", ".join(pieces)}]}}'
    ).encode()


def jsonld_document(piece: str) -> bytes:
    return f'{{"@context": {json.dumps(JSONLD_CONTEXT)}, {piece[1:]}'.encode()


def csv_page(pieces: list[str]) -> bytes:
    return (CSV_HEADER + "".join(pieces)).encode()
