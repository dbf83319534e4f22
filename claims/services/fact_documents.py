"""The facts' stored documents (claims.models.FactDocument): rebuilt when something a fact
shows changes, so that the facts API serves stored text.

Every write service that changes what a fact shows calls one of these inside its transaction,
after its own writes: the claim's services (its fields and appearances, ratings, status, flag
decisions, supersessions undone), detection (flags found and withdrawn, supersessions found and
lapsed), the sources' services (an outlet's name or grade, an entity's names, a source's title,
date or citations) and each bulk form of the claimset import, once per batch. A document is
built from the same representation the API would build per request (claims.selectors.facts
.fact_data), set-based: a fixed number of queries per thousand claims.
"""

import hashlib
from collections.abc import Collection

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from claims.core import fact_formats
from claims.models import FactDocument
from claims.selectors.facts import (
    claims_showing,
    fact_data,
    fact_documents_digests,
    fact_ids,
    facts_loaded,
)
from tracker.bulk import chunked

BATCH = 1000
PIECES = ("body", "jsonld", "csv_rows")


def fact_document_build(claim, *, now) -> FactDocument:
    """The document of a fact loaded by facts_loaded (not saved)."""
    fact = fact_data(claim)
    body = fact_formats.fact_json_piece(fact)
    jsonld = fact_formats.fact_jsonld_piece(fact)
    csv_rows = fact_formats.fact_csv_piece(fact)
    digest = hashlib.blake2b(digest_size=16)
    for piece in (body, jsonld, csv_rows):
        digest.update(piece.encode())
        digest.update(b"\0")
    return FactDocument(
        claim_id=claim.pk,
        digest=digest.hexdigest(),
        body=body,
        jsonld=jsonld,
        csv_rows=csv_rows,
        built_at=now,
    )


def fact_documents_refresh(*, claim_ids: Collection[int]) -> int:
    """Bring the stored documents of these claims up to date: build those that are facts now
    (vetted, superseded by nothing), write the ones that differ from what is stored, delete
    those of claims that are no longer facts. Returns how many documents were written.

    Safe to run twice and concurrently: a document depends only on the committed rows it is
    built from, and the upsert on the claim's unique key keeps one document per claim.
    """
    written = 0
    for chunk in chunked(sorted(set(claim_ids)), BATCH):
        with transaction.atomic():
            now = timezone.now()
            documents = [fact_document_build(claim, now=now) for claim in facts_loaded(chunk)]
            served = {document.claim_id for document in documents}
            gone = [claim_id for claim_id in chunk if claim_id not in served]
            if gone:
                FactDocument.objects.filter(claim_id__in=gone).delete()
            stored = fact_documents_digests(served)
            changed = [d for d in documents if stored.get(d.claim_id) != d.digest]
            _documents_upsert(changed)
            written += len(changed)
    return written


COLUMNS = ("claim_id", "digest", *PIECES, "built_at")


def _documents_upsert(documents: list[FactDocument]) -> None:
    """Insert or replace documents by claim. PostgreSQL: COPY into a temporary table, then one
    INSERT ... ON CONFLICT (a bulk_create binds every piece as a quoted literal, which took
    longer than building the documents)."""
    if not documents:
        return
    if connection.vendor != "postgresql":
        FactDocument.objects.bulk_create(
            documents,
            update_conflicts=True,
            unique_fields=["claim"],
            update_fields=list(COLUMNS[1:]),
        )
        return
    table = FactDocument._meta.db_table
    columns = ", ".join(COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS fact_documents_batch (claim_id bigint, "
            "digest varchar(32), body text, jsonld text, csv_rows text, built_at timestamptz)"
        )
        with cursor.cursor.copy(f"COPY fact_documents_batch ({columns}) FROM STDIN") as copy:
            for document in documents:
                copy.write_row([getattr(document, name) for name in COLUMNS])
        updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in COLUMNS[1:])
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM fact_documents_batch "  # noqa: S608 - names from the model
            f"ON CONFLICT (claim_id) DO UPDATE SET {updates}"
        )
        cursor.execute("TRUNCATE fact_documents_batch")


def fact_documents_refresh_showing(
    *,
    source_ids: Collection[int] = (),
    outlet_ids: Collection[int] = (),
    entity_ids: Collection[int] = (),
    predicate_ids: Collection[int] = (),
) -> int:
    """Refresh the documents of the facts that show one of these records (claims_showing):
    after an outlet's name or grade, an entity's name, a source's title, date or citations, or
    a predicate's name or unit changed."""
    claim_ids = claims_showing(
        source_ids=source_ids,
        outlet_ids=outlet_ids,
        entity_ids=entity_ids,
        predicate_ids=predicate_ids,
    )
    return fact_documents_refresh(claim_ids=claim_ids)


def fact_documents_build_all(*, batch: int = BATCH) -> int:
    """Refresh the documents of every fact, a batch at a time (each its own transaction), and
    delete those of claims that are no longer facts: after this migration's first deploy, or
    to repair documents written outside the services. Returns how many were written."""
    written = 0
    last = 0
    while True:
        ids = list(
            fact_ids().filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch]
        )
        if not ids:
            break
        written += fact_documents_refresh(claim_ids=ids)
        last = ids[-1]
    # NOT EXISTS, an anti-join: NOT IN over a million ids would not fit a hashed subplan.
    stale = list(
        FactDocument.objects.exclude(
            Exists(fact_ids().filter(pk=OuterRef("claim_id")))
        ).values_list("claim_id", flat=True)
    )
    fact_documents_refresh(claim_ids=stale)
    return written
