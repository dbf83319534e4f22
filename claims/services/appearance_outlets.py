"""The outlet copied onto every appearance (Appearance.outlet), kept equal to its source's.

The track-record recompute reads appearances with their outlets from one table; this column is
what makes that possible. It is derived, so no writer sets it: claim_save and claims_bulk_save
call `appearance_outlets_follow` for the appearances they write, source_save and
sources_bulk_save for the sources whose outlet they change. `appearances_outlet_drifted`
(selectors) finds rows that disagree, none unless something wrote around the services: the
database check (`manage.py check --database default`) reports them and
`manage.py shell -c "...appearance_outlets_follow()"` without arguments repairs every row.
"""

from collections.abc import Collection

from django.db.models import OuterRef, Subquery

from claims.selectors.claims import appearances_outlet_drifted
from sources.models import Source
from tracker.bulk import chunked


def appearance_outlets_follow(
    *, source_ids: Collection[int] | None = None, claim_ids: Collection[int] | None = None
) -> int:
    """Copy the source's outlet onto the appearances of these sources or claims that disagree
    (every appearance when both are None), one UPDATE per few thousand ids; returns how many
    rows changed.

    Run after the write it follows, in the same transaction. Its statement reads the outlets as
    committed at that moment: an appearance written from a source its writer loaded before
    another transaction moved the source to another outlet is corrected here (the appearance's
    foreign key made one of the two transactions wait for the other).
    """
    source_outlet = Subquery(Source.objects.filter(pk=OuterRef("source_id")).values("outlet_id"))
    rows = appearances_outlet_drifted()
    if source_ids is None and claim_ids is None:
        return rows.update(outlet_id=source_outlet)
    changed = 0
    for field, ids in (("source_id", source_ids), ("claim_id", claim_ids)):
        for chunk in chunked(sorted(set(ids or ()))):
            changed += rows.filter(**{f"{field}__in": chunk}).update(outlet_id=source_outlet)
    return changed
