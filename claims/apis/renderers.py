"""Facts as CSV and as schema.org ClaimReview JSON-LD, from the facts' JSON representation."""

import csv
import io
import json

from rest_framework import renderers

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


def _facts(data) -> list[dict]:
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


class FactsCSVRenderer(renderers.BaseRenderer):
    """`?format=csv`: one row per appearance of each fact, cells safe from formula injection."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        for fact in _facts(data):
            for row in fact_rows(fact):
                writer.writerow({name: spreadsheet_cell(row.get(name)) for name in CSV_COLUMNS})
        return out.getvalue().encode("utf-8")


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


class ClaimReviewRenderer(renderers.BaseRenderer):
    """`?format=jsonld`: schema.org ClaimReview; a page of facts is an `@graph` of them."""

    media_type = "application/ld+json"
    format = "jsonld"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        view = (renderer_context or {}).get("view")
        url_of = getattr(view, "fact_url", lambda key: None)
        if isinstance(data, dict) and "results" in data:
            reviews = [claim_review(f, url_of(f["key"])) for f in data["results"]]
            for review in reviews:
                del review["@context"]
            document = {"@context": "https://schema.org", "@graph": reviews}
        else:
            document = claim_review(data, url_of(data["key"]))
        return json.dumps(document, ensure_ascii=False).encode("utf-8")
