"""History entries for rows written in bulk.

django-simple-history records saves and deletes (queryset deletes too: they send post_delete
per row), but nothing for COPY, `bulk_create`, `update()` or `bulk_update`, which the claimset
importer's bulk services use (tracker/bulk.py, tracker/bulk_records.py). They call
`history_record_bulk` for the rows they created and changed, and before deleting rows, in the
same transaction, so an import leaves one entry per row like a save would, naming the user who
sent it, with the change reason saying it came from an import. The entries are copied from the
rows inside the database (INSERT ... SELECT).
"""

from collections.abc import Sequence

from django.db import connection, models
from django.utils import timezone

import tracker.timings as timings
from tracker.bulk import chunked

CREATED, CHANGED, DELETED = "+", "~", "-"


def is_tracked(model: type[models.Model]) -> bool:
    """Whether the model keeps a history (has HistoricalRecords)."""
    return hasattr(model._meta, "simple_history_manager_attribute")


# django-simple-history keeps a change's reason in a column of 100 characters (its
# history_change_reason). A longer reason (a status change naming the flag it resolves, a
# demotion listing every changed field) is shortened there; its full text stays where the
# change itself is recorded (ClaimStatusChange.reason).
CHANGE_REASON_MAX_LENGTH = 100


def history_reason(reason: str | None) -> str | None:
    """A reason as the history's column can hold it: whole, or cut with an ellipsis."""
    if reason is None or len(reason) <= CHANGE_REASON_MAX_LENGTH:
        return reason
    return reason[: CHANGE_REASON_MAX_LENGTH - 1] + "…"


def history_record_bulk(
    model: type[models.Model],
    *,
    ids: Sequence[int],
    history_type: str,
    reason: str,
    user_id: int | None = None,
) -> int:
    """Write one history entry per row, from the rows' current state. Returns the number of
    entries.

    One `INSERT INTO <history> SELECT ... FROM <table>` per batch: the rows are copied inside the
    database, as they are stored, never read into Python and written back.
    """
    if not ids:
        return 0
    with timings.phase(f"history entries {model._meta.db_table}"):
        history = model.history.model
        quote = connection.ops.quote_name
        pairs = [(history._meta.get_field(f.name), f.column) for f in history.tracked_fields]
        stamped = {
            "history_date": timezone.now(),
            "history_type": history_type,
            "history_change_reason": history_reason(reason),
            "history_user_id": user_id,
        }
        written = {target.attname for target, _ in pairs} | stamped.keys()
        extra = [
            f
            for f in history._meta.concrete_fields
            if not f.primary_key and f.attname not in written
        ]
        constants = [(history._meta.get_field(name), value) for name, value in stamped.items()]
        constants += [(f, f.get_default()) for f in extra]  # fields a customised history adds
        columns = ", ".join(quote(f.column) for f, _ in [*pairs, *constants])
        selected = ", ".join([*(quote(column) for _, column in pairs), *["%s"] * len(constants)])
        params = [f.get_db_prep_save(value, connection) for f, value in constants]
        pk = quote(model._meta.pk.column)
        statement = (
            f"INSERT INTO {quote(history._meta.db_table)} ({columns}) "  # noqa: S608 - names from the models
            f"SELECT {selected} FROM {quote(model._meta.db_table)} WHERE {pk} "
        )
        count = 0
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # One array parameter, whatever the number of ids (tracker.bulk.filter_in).
                cursor.execute(statement + "= ANY(%s)", [*params, list(ids)])
                return cursor.rowcount
            for chunk in chunked(list(ids)):
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(statement + f"IN ({marks})", [*params, *chunk])
                count += cursor.rowcount
        return count
