"""Facts as CSV and as schema.org ClaimReview JSON-LD, from the facts' JSON representation.

The facts endpoints serve stored pieces (claims.core.fact_formats) and need these renderers
only for content negotiation and the schema; bench/api.py's baseline renders through them.
"""

import csv
import io
import json

from rest_framework import renderers

from claims.core.fact_formats import CSV_COLUMNS, claim_review, fact_rows, facts_in
from tracker.spreadsheets import spreadsheet_cell


class FactsCSVRenderer(renderers.BaseRenderer):
    """`?format=csv`: one row per appearance of each fact, cells safe from formula injection."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        for fact in facts_in(data):
            for row in fact_rows(fact):
                writer.writerow({name: spreadsheet_cell(row.get(name)) for name in CSV_COLUMNS})
        return out.getvalue().encode("utf-8")


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
