"""History entries for rows written in bulk.

django-simple-history records saves and deletes (queryset deletes too: they send post_delete
per row), but nothing for COPY, `bulk_create`, `update()` or `bulk_update`, which the claimset
importer's bulk services use (tracker/bulk.py, tracker/bulk_records.py). They call
`history_record_bulk` for the rows they created and changed, and before deleting rows, in the
same transaction, so an import leaves one entry per row like a save would, naming the user who
sent it, with the change reason saying it came from an import. The entries are written with
COPY too.
"""

from collections.abc import Sequence

from django.db import models
from django.utils import timezone

from tracker import timings
from tracker.bulk import filter_in, insert_rows

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
    entries."""
    with timings.phase(f"history entries {model._meta.db_table}"):
        columns = [f.attname for f in model.history.model.tracked_fields]
        rows = list(filter_in(model.objects.values(*columns), model._meta.pk.attname, ids))
        if not rows:
            return 0
        now = timezone.now()
        for row in rows:
            row.update(
                history_date=now,
                history_type=history_type,
                history_change_reason=history_reason(reason),
                history_user_id=user_id,
            )
        insert_rows(model.history.model, rows)
        return len(rows)
