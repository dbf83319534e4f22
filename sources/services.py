"""Writes to outlets, sources and entities.

The `*_normalize` functions fill the comparison columns a row is looked up by. They change the
instance in memory and leave saving to the caller, so that a form can fill them before it
validates the constraints on them (the admin does; see sources/admin.py).
"""

# claims.values is plain Python (names and dates, no models), so this keeps sources independent
# of the claims app's models, as sources/models.py intends.
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from claims.core.roles import GRADE_OUTLET, require_permission
from claims.core.values import PartialDate, normalize_name
from sources.models import Entity, EntityAlias, Outlet, Source, SourceCitation
from sources.url_normalization import normalize_url
from tracker.bulk import delete_in, insert_rows, update_rows
from tracker.bulk_records import BulkRecord, BulkSaved, aliases_bulk_replace, records_bulk_save
from tracker.models import Precision


def entity_names_normalize(*, entity: Entity) -> None:
    """Set entity.normalized_name from entity.name (normalize_name)."""
    entity.normalized_name = normalize_name(entity.name)


def entity_alias_normalize(*, alias: EntityAlias) -> None:
    """Set alias.normalized from alias.name (normalize_name)."""
    alias.normalized = normalize_name(alias.name)


def source_url_normalize(*, source: Source) -> None:
    """Set source.normalized_url from source.url (normalize_url); "" when there is no URL."""
    source.normalized_url = normalize_url(source.url)


def source_published_set(*, source: Source, published: PartialDate | None) -> None:
    """Store a partial publication date as its first day and its precision."""
    if published is None:
        source.published, source.published_precision = None, ""
        return
    source.published = published.first_day()
    source.published_precision = Precision(published.precision.value)


def outlet_grade(*, by, outlet_id: int, reliability: str) -> Outlet:
    """Set the outlet's Admiralty source-reliability letter (A-F, or "" for none).

    Raises PermissionDenied for a user who may not grade outlets (only reviewers may).
    """
    require_permission(by, GRADE_OUTLET)
    if reliability not in ("", *Outlet.Reliability.values):
        raise ValidationError(
            {"reliability": f"{reliability!r} is not one of {', '.join(Outlet.Reliability.values)}"}
        )
    with transaction.atomic():
        outlet = Outlet.objects.select_for_update().get(pk=outlet_id)
        if outlet.reliability != reliability:
            outlet.reliability = reliability
            outlet.save(update_fields=["reliability", "updated_at"])
    return outlet


# --- bulk forms, for the claimset import (claims/services/claimsets.py) ------------------------
#
# Each takes the records of a batch by key, already read and resolved (references as keys), and
# the stored rows of the same keys as the import loaded them, and writes what is new or changed,
# set-based, with a history entry per row naming `by`. `by` None is the system (a command run
# without --user), which holds every role. Each owns its transaction (a savepoint inside the
# import's).

OUTLET_COLUMNS = ("name", "url", "kind", "country", "reliability")
ENTITY_COLUMNS = ("name", "normalized_name", "kind", "role")
SOURCE_COLUMNS = (
    "title",
    "url",
    "normalized_url",
    "published",
    "published_precision",
    "authors",
    "language",
    "text",
)


def _user_id(by) -> int | None:
    return None if by is None else by.pk


def outlet_grades_kept(
    *, outlets: Mapping[str, dict[str, Any]], stored: Mapping[str, Mapping[str, Any]]
) -> None:
    """Give every outlet of the batch that leaves out its grade (`reliability` absent or None)
    the grade stored: a batch that does not mention a reviewer's decision keeps it."""
    for key, row in outlets.items():
        if row.get("reliability") is None:
            row["reliability"] = stored[key]["reliability"] if key in stored else ""


def outlets_regraded(
    *, outlets: Mapping[str, dict[str, Any]], stored: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """The keys of the outlets whose grade the batch would change: a different letter, or one
    given to a new outlet. Grading takes the reviewer role (GRADE_OUTLET)."""
    return [
        key
        for key, row in outlets.items()
        if row.get("reliability") is not None
        and row["reliability"] != (stored[key]["reliability"] if key in stored else "")
    ]


@transaction.atomic  # within the caller's transaction: a savepoint
def outlets_bulk_save(
    *,
    outlets: Mapping[str, dict[str, Any]],
    stored: Mapping[str, Mapping[str, Any]],
    by,
    reason: str,
) -> BulkSaved:
    """Create and update outlets (OUTLET_COLUMNS by key). An omitted grade keeps the stored one;
    changing one takes the reviewer role (PermissionDenied otherwise)."""
    outlet_grades_kept(outlets=outlets, stored=stored)
    if by is not None and outlets_regraded(outlets=outlets, stored=stored):
        require_permission(by, GRADE_OUTLET)
    records = []
    for key, row in outlets.items():
        data = {c: row[c] for c in OUTLET_COLUMNS}
        if data["reliability"] not in ("", *Outlet.Reliability.values):
            raise ValidationError({key: f"{data['reliability']!r} is not an outlet grade"})
        differs = key in stored and any(stored[key][c] != data[c] for c in OUTLET_COLUMNS)
        records.append(BulkRecord(key, data, differs))
    return records_bulk_save(
        Outlet,
        records=records,
        stored_ids={key: s["id"] for key, s in stored.items()},
        user_id=_user_id(by),
        reason=reason,
    )


@transaction.atomic  # within the caller's transaction: a savepoint
def entities_bulk_save(
    *,
    entities: Mapping[str, dict[str, Any]],
    stored: Mapping[str, Mapping[str, Any]],
    stored_aliases: Mapping[str, Sequence[str]],
    by,
    reason: str,
) -> BulkSaved:
    """Create and update entities (ENTITY_COLUMNS, `aliases` as a tuple of names, `affiliation`
    as an entity key or None) and replace the aliases of those whose aliases changed. The stored
    rows carry `affiliation__key`. An affiliation may name an entity of the same batch."""
    records = []
    for key, row in entities.items():
        data = {c: row[c] for c in ENTITY_COLUMNS}
        old = stored.get(key)
        differs = old is not None and (
            any(old[c] != data[c] for c in ENTITY_COLUMNS)
            or old["affiliation__key"] != row["affiliation"]
        )
        aliases_differ = tuple(stored_aliases.get(key, ())) != tuple(row["aliases"])
        records.append(BulkRecord(key, data, differs, aliases_differ))
    stored_ids = {key: s["id"] for key, s in stored.items()}
    saved = records_bulk_save(
        Entity, records=records, stored_ids=stored_ids, user_id=_user_id(by), reason=reason
    )
    # Written once every row exists: an entity may name one that comes later in the batch.
    moved = [
        {
            "id": saved.ids[key],
            "affiliation_id": saved.ids[row["affiliation"]] if row["affiliation"] else None,
        }
        for key, row in entities.items()
        if (stored[key]["affiliation__key"] if key in stored else None) != row["affiliation"]
    ]
    update_rows(Entity, moved, ["affiliation_id"])
    aliases_bulk_replace(
        EntityAlias,
        parent="entity",
        saved=saved,
        stored_ids=stored_ids,
        aliases={
            key: [(alias, normalize_name(alias)) for alias in entities[key]["aliases"]]
            for key in saved.children
        },
    )
    return saved


@transaction.atomic  # within the caller's transaction: a savepoint
def sources_bulk_save(
    *,
    sources: Mapping[str, dict[str, Any]],
    stored: Mapping[str, Mapping[str, Any]],
    stored_cites: Mapping[str, Sequence[str]],
    outlet_ids: Mapping[str, int],
    by,
    reason: str,
) -> BulkSaved:
    """Create and update sources (SOURCE_COLUMNS, `outlet` as an outlet key or None, `cites` as
    a tuple of source keys of the batch or stored) and replace the citations of those whose
    citations changed. The caller re-checks the claims of the sources written (a publication
    date decides when a claim without valid time holds): see `written_ids`."""
    records = []
    for key, row in sources.items():
        data = {c: row[c] for c in SOURCE_COLUMNS}
        data["outlet_id"] = outlet_ids[row["outlet"]] if row["outlet"] else None
        old = stored.get(key)
        differs = old is not None and (
            any(old[c] != row[c] for c in SOURCE_COLUMNS) or old["outlet__key"] != row["outlet"]
        )
        cites_differ = tuple(stored_cites.get(key, ())) != tuple(row["cites"])
        records.append(BulkRecord(key, data, differs, cites_differ))
    stored_ids = {key: s["id"] for key, s in stored.items()}
    saved = records_bulk_save(
        Source, records=records, stored_ids=stored_ids, user_id=_user_id(by), reason=reason
    )
    delete_in(SourceCitation, "citing_id", [saved.ids[k] for k in saved.children if k in stored])
    insert_rows(
        SourceCitation,
        [
            {"citing_id": saved.ids[key], "cited_id": saved.ids[cited]}
            for key in saved.children
            for cited in dict.fromkeys(sources[key]["cites"])
        ],
    )
    return saved
