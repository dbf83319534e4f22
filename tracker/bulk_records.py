"""Records with a stable external key, written in bulk: what every `*_bulk_save` service shares.

A bulk save gets, for every record of a batch, the columns to write and two flags computed by
its caller against the stored row (the columns differ, the child rows differ), and does what a
save of each would have done, set-based: new rows inserted (COPY on PostgreSQL), changed rows
updated (one UPDATE per batch), the version of versioned rows raised, and one history entry per
created or changed row naming the acting user (tracker/history.py). Aliases, the child rows of
entities and predicates, are replaced here too. Callers run these inside their transaction.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import F

import tracker.timings as timings
from tracker.bulk import chunked, delete_in, insert_rows, update_rows
from tracker.history import CHANGED, CREATED, history_record_bulk, is_tracked


@dataclass(frozen=True)
class BulkRecord:
    """One record of a batch: its key, the columns to write (attnames), and, when the key is
    stored already, whether those columns and whether its child rows differ from the stored."""

    key: str
    columns: dict[str, Any]
    differs: bool = False
    children_differ: bool = False


@dataclass
class BulkSaved:
    """What a bulk save did: the id of every key of the batch and of the stored rows it was
    given, how many records it created, updated and left alone, the ids of the rows it changed
    (columns or children), and the keys whose child rows are to be written again (new, or
    children differing)."""

    ids: dict[str, int]
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    created_ids: list[int] = field(default_factory=list)
    changed_ids: list[int] = field(default_factory=list)
    written_ids: set[int] = field(default_factory=set)
    children: list[str] = field(default_factory=list)


def records_bulk_save(
    model: type[models.Model],
    *,
    records: Sequence[BulkRecord],
    stored_ids: Mapping[str, int],
    user_id: int | None,
    reason: str,
    before_history: Callable[[BulkSaved], None] | None = None,
) -> BulkSaved:
    """Insert the new and update the changed records of one model, raise the version of the
    changed ones (when the model has one), and record their history with the acting user.

    `before_history` runs after the rows are written and before their history entries are, so
    that a caller's further changes to the same rows (a claim's status) are in the entries.
    """
    saved = BulkSaved(ids=dict(stored_ids))
    new, changed = [], []
    for record in records:
        if record.key not in stored_ids:
            new.append({"key": record.key, **record.columns})
            saved.children.append(record.key)
            continue
        if record.differs:
            changed.append({"id": stored_ids[record.key], **record.columns})
        if record.children_differ:
            saved.children.append(record.key)
        if record.differs or record.children_differ:
            saved.updated += 1
            saved.written_ids.add(stored_ids[record.key])
        else:
            saved.unchanged += 1
    for row, new_id in zip(new, insert_rows(model, new), strict=True):
        saved.ids[row["key"]] = new_id
        saved.created_ids.append(new_id)
    saved.created = len(new)
    saved.written_ids.update(saved.created_ids)
    saved.changed_ids = [row["id"] for row in changed]
    if changed:
        update_rows(model, changed, [name for name in changed[0] if name != "id"])
        if any(f.attname == "version" for f in model._meta.concrete_fields):
            # An edit form loaded before the import is refused (claim_lock_unchanged). In SQL,
            # `version + 1`, so that it counts a concurrent save too.
            with timings.phase(f"version: UPDATE {model._meta.db_table}"):
                for chunk in chunked(saved.changed_ids):
                    model.objects.filter(id__in=chunk).update(version=F("version") + 1)
    if before_history is not None:
        before_history(saved)
    if is_tracked(model):  # what a save would have recorded
        history_record_bulk(
            model, ids=saved.created_ids, history_type=CREATED, reason=reason, user_id=user_id
        )
        history_record_bulk(
            model, ids=saved.changed_ids, history_type=CHANGED, reason=reason, user_id=user_id
        )
    return saved


def aliases_bulk_replace(
    alias_model: type[models.Model],
    *,
    parent: str,
    saved: BulkSaved,
    stored_ids: Mapping[str, int],
    aliases: Mapping[str, Sequence[tuple[str, str]]],
) -> None:
    """Replace the aliases of the records whose children were to be written again; `aliases`
    gives each key's (name, normalized name) pairs."""
    delete_in(
        alias_model, f"{parent}_id", [saved.ids[k] for k in saved.children if k in stored_ids]
    )
    insert_rows(
        alias_model,
        [
            {f"{parent}_id": saved.ids[key], "name": name, "normalized": normalized}
            for key in saved.children
            for name, normalized in aliases[key]
        ],
    )
