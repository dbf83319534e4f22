"""Writes to outlets, sources and entities: one service per change, every channel calls it.

Each `<record>_save` owns the change of one record: its transaction, the role check, the
comparison columns it is looked up by (normalized names and URL), every field check and
constraint (tracker.validation.model_validate: errors keyed by the field a writer entered, a
taken key or URL with code `unique`), the history entry with the acting user, and what the change
means elsewhere (a source's new publication date moves the time its claims hold and has them
re-checked for contradictions on commit). The admin's forms and the API's serializers fill a
record's fields and call these; the `*_normalize` helpers let a form show a computed column's
error on its field before saving.
"""

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from claims.core.roles import (
    ADD_ENTITY,
    ADD_OUTLET,
    ADD_SOURCE,
    CHANGE_ENTITY,
    CHANGE_OUTLET,
    CHANGE_SOURCE,
    GRADE_OUTLET,
    require_permission,
)

# claims.core.values is plain Python (names and dates, no models): sources stays independent of
# the claims app's models, as sources/models.py intends. The contradiction check is a service of
# the claims app, called when a source's date moves its claims.
from claims.core.values import (
    PartialDate,
    ValueParseError,
    normalize_name,
    parse_date_phrase,
    parse_partial_date,
)
from claims.models import Appearance
from claims.services.appearance_outlets import appearance_outlets_follow
from claims.services.detection import claims_changed
from claims.services.fact_documents import fact_documents_refresh_showing
from sources.models import Entity, EntityAlias, Outlet, Source, SourceCitation, SourceCorrection
from sources.url_normalization import normalize_url
from tracker.bulk import delete_in, insert_rows, update_rows
from tracker.bulk_records import BulkRecord, BulkSaved, aliases_bulk_replace, records_bulk_save
from tracker.models import Precision
from tracker.validation import model_validate


def entity_names_normalize(*, entity: Entity) -> None:
    """Set entity.normalized_name from entity.name (normalize_name)."""
    entity.normalized_name = normalize_name(entity.name)


def entity_alias_normalize(*, alias: EntityAlias) -> None:
    """Set alias.normalized from alias.name (normalize_name)."""
    alias.normalized = normalize_name(alias.name)


def source_url_normalize(*, source: Source) -> None:
    """Set source.normalized_url from source.url (normalize_url); "" when there is no URL."""
    source.normalized_url = normalize_url(source.url)


SOURCE_KEY_PREFIX = "source-"
# The title's part of a generated key: long enough to recognise, short enough to type.
SOURCE_KEY_TITLE_LENGTH = 40


def source_key_generate(*, title: str = "") -> str:
    """Return a new external key for a source: its title as a slug and 6 random hex digits
    ("us-warns-of-potential-isis-regrouping-in-3f9a1c"), or `source-` and 12 hex digits for
    a title with no letters or digits. The unique constraint on Source.key (validated by the
    admin form) turns the rare clash into an error, never a duplicate."""
    slug = slugify(title)[:SOURCE_KEY_TITLE_LENGTH].strip("-")
    if not slug:
        return f"{SOURCE_KEY_PREFIX}{uuid.uuid4().hex[:12]}"
    return f"{slug}-{uuid.uuid4().hex[:6]}"


def source_published_parse(text: str) -> PartialDate | None:
    """Read a publication date as people write it: "6 December 2016", "December 6, 2016",
    "July 2015", "2015", or ISO ("2015-07-01", "2015-07"). None for an empty text.

    Raises ValueParseError naming what was not understood. A span ("early 2016", "2014 to
    2016") is refused: a source is published on one day, in one month or in one year.
    """
    text = " ".join(text.split())
    if not text:
        return None
    try:
        return parse_partial_date(text)
    except ValueParseError:
        pass
    try:
        interval = parse_date_phrase(text)
    except ValueParseError as error:
        # The phrase reader's own words when it recognised something ("no 31 June").
        detail = "" if str(error).startswith("cannot read") else f" ({error})"
        raise ValueParseError(
            f'cannot read "{text}" as a date: write it as 6 December 2016, July 2015, 2015 '
            f"or 2015-07-01{detail}"
        ) from None
    if interval.start is None or interval.start != interval.end:
        raise ValueParseError(
            f'"{text}" is a span of time, not a publication date: give the day, the month or '
            "the year it was published"
        )
    return interval.start


def source_published_set(*, source: Source, published: PartialDate | None) -> None:
    """Store a partial publication date as its first day and its precision."""
    if published is None:
        source.published, source.published_precision = None, ""
        return
    source.published = published.first_day()
    source.published_precision = Precision(published.precision.value)


def alias_errors(rows: Sequence) -> dict[str, list[str]]:
    """What is wrong with a record's aliases, each normalized, at `aliases[i]`: one without
    letters or digits, or one that is another once normalized ("ISIS", "Isis")."""
    errors: dict[str, list[str]] = {}
    seen: dict[str, str] = {}
    for index, row in enumerate(rows):
        if not row.normalized:
            errors[f"aliases[{index}]"] = ["has no letters or digits."]
        elif row.normalized in seen:
            errors[f"aliases[{index}]"] = [f'is "{seen[row.normalized]}" once normalised.']
        seen.setdefault(row.normalized, row.name)
    return errors


def _locked(model, instance):
    # Locked so that two writers of one record are applied one after the other, each on the
    # other's result (and a publication date compared with what is really stored).
    if instance.pk is None:
        return None
    return model.objects.select_for_update().get(pk=instance.pk)


def _key_kept(instance, stored) -> None:
    if stored is not None and instance.key != stored.key:
        raise ValidationError({"key": "A key is a record's stable id: it cannot change."})


def outlet_save(*, by, outlet: Outlet, reliability: str | None = None) -> Outlet:
    """Save an outlet. Its grade changes only when `reliability` is given and differs from the
    stored one, and then only for a user who may grade outlets (outlet_grade's rule); None keeps
    the stored grade, so that a writer who leaves it out never clears a reviewer's decision."""
    require_permission(by, CHANGE_OUTLET if outlet.pk else ADD_OUTLET)
    with transaction.atomic():
        stored = _locked(Outlet, outlet)
        _key_kept(outlet, stored)
        outlet.reliability = stored.reliability if stored is not None else ""
        if reliability is not None and reliability != outlet.reliability:
            require_permission(by, GRADE_OUTLET)
            outlet.reliability = reliability
        model_validate(outlet)
        outlet._history_user = by
        outlet.save()
        if stored is not None:
            fact_documents_refresh_showing(outlet_ids=[outlet.pk])  # its name or grade shows
    return outlet


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
            outlet._history_user = by
            outlet.save(update_fields=["reliability", "updated_at"])
            fact_documents_refresh_showing(outlet_ids=[outlet.pk])
    return outlet


def entity_save(*, by, entity: Entity, aliases: Sequence[str] | None = None) -> Entity:
    """Save an entity with its normalized name; `aliases`, when given, replace the stored ones
    (errors at `aliases[i]`)."""
    require_permission(by, CHANGE_ENTITY if entity.pk else ADD_ENTITY)
    with transaction.atomic():
        stored = _locked(Entity, entity)
        _key_kept(entity, stored)
        entity_names_normalize(entity=entity)
        errors: dict[str, list[str]] = {}
        if entity.pk is not None and entity.affiliation_id == entity.pk:
            errors["affiliation"] = ["An entity cannot be affiliated with itself."]
        rows = [EntityAlias(entity=entity, name=name) for name in aliases or ()]
        for row in rows:
            entity_alias_normalize(alias=row)
        errors.update(alias_errors(rows))
        try:
            model_validate(entity, exclude=("affiliation",) if "affiliation" in errors else ())
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)
        entity._history_user = by
        entity.save()
        if aliases is not None:
            entity.aliases.all().delete()
            EntityAlias.objects.bulk_create(rows)
        if stored is not None:
            fact_documents_refresh_showing(entity_ids=[entity.pk])  # its name and kind show
    return entity


def source_save(
    *,
    by,
    source: Source,
    cites: Sequence[Source] | None = None,
    corrects: Sequence[Source] | None = None,
) -> Source:
    """Save a source with its normalized URL; `cites` and `corrects`, when given, replace the
    sources it relies on and the earlier sources it corrects. When its publication date or what
    it corrects changed, every claim appearing in it (and in the sources it corrects) gets the
    time it holds refreshed and is re-checked once this commits (claims_changed), so a
    contradiction or correction the change makes is found at once, not by the nightly scan."""
    require_permission(by, CHANGE_SOURCE if source.pk else ADD_SOURCE)
    with transaction.atomic():
        stored = _locked(Source, source)
        _key_kept(source, stored)
        source_url_normalize(source=source)
        if cites and source.pk is not None and any(c.pk == source.pk for c in cites):
            raise ValidationError({"cites": "A source cannot cite itself."})
        if corrects and source.pk is not None and any(c.pk == source.pk for c in corrects):
            raise ValidationError({"corrects": "A source cannot correct itself."})
        model_validate(source, fields={"normalized_url": "url"})
        source._history_user = by
        source.save()
        if stored is not None and stored.outlet_id != source.outlet_id:
            appearance_outlets_follow(source_ids=[source.pk])
        if cites is not None:
            before = set(
                SourceCitation.objects.filter(citing=source).values_list("cited_id", flat=True)
            )
            if before != {c.pk for c in cites}:
                SourceCitation.objects.filter(citing=source).delete()
                SourceCitation.objects.bulk_create(
                    [SourceCitation(citing=source, cited=c) for c in dict.fromkeys(cites)]
                )
        recheck_sources = set()
        if corrects is not None:
            before = set(
                SourceCorrection.objects.filter(correcting=source).values_list(
                    "corrected_id", flat=True
                )
            )
            after = {c.pk for c in corrects}
            if before != after:
                SourceCorrection.objects.filter(correcting=source).delete()
                SourceCorrection.objects.bulk_create(
                    [SourceCorrection(correcting=source, corrected_id=pk) for pk in after]
                )
                recheck_sources |= {source.pk} | before | after
        dated = (source.published, source.published_precision)
        if stored is not None and dated != (stored.published, stored.published_precision):
            recheck_sources.add(source.pk)
        if recheck_sources:
            claims_changed(
                claim_ids=list(
                    Appearance.objects.filter(source_id__in=recheck_sources)
                    .values_list("claim_id", flat=True)
                    .distinct()
                )
            )
        if stored is not None:
            # Its title, URL, date and outlet show, and its citations count in the independent
            # sources of the facts in it and in every source citing it.
            fact_documents_refresh_showing(source_ids=[source.pk])
    return source


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
    saved = records_bulk_save(
        Outlet,
        records=records,
        stored_ids={key: s["id"] for key, s in stored.items()},
        user_id=_user_id(by),
        reason=reason,
    )
    fact_documents_refresh_showing(outlet_ids=saved.written_ids)
    return saved


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
    fact_documents_refresh_showing(entity_ids=saved.written_ids)
    return saved


@transaction.atomic  # within the caller's transaction: a savepoint
def sources_bulk_save(
    *,
    sources: Mapping[str, dict[str, Any]],
    stored: Mapping[str, Mapping[str, Any]],
    stored_cites: Mapping[str, Sequence[str]],
    stored_corrects: Mapping[str, Sequence[str]],
    outlet_ids: Mapping[str, int],
    by,
    reason: str,
) -> BulkSaved:
    """Create and update sources (SOURCE_COLUMNS, `outlet` as an outlet key or None, `cites` and
    `corrects` as tuples of source keys of the batch or stored) and replace the citations and
    corrections of those whose links changed. The caller re-checks the claims of the sources
    written (a publication date decides when a claim without valid time holds; a correction
    settles a contradiction): see `written_ids`."""
    records = []
    for key, row in sources.items():
        data = {c: row[c] for c in SOURCE_COLUMNS}
        data["outlet_id"] = outlet_ids[row["outlet"]] if row["outlet"] else None
        old = stored.get(key)
        differs = old is not None and (
            any(old[c] != row[c] for c in SOURCE_COLUMNS) or old["outlet__key"] != row["outlet"]
        )
        links_differ = tuple(stored_cites.get(key, ())) != tuple(row["cites"]) or tuple(
            stored_corrects.get(key, ())
        ) != tuple(row["corrects"])
        records.append(BulkRecord(key, data, differs, links_differ))
    stored_ids = {key: s["id"] for key, s in stored.items()}
    saved = records_bulk_save(
        Source, records=records, stored_ids=stored_ids, user_id=_user_id(by), reason=reason
    )
    # A source whose cites or corrects changed has both rewritten; its claims are re-checked
    # (written_ids), which finds the corrections it now makes.
    rewritten = [saved.ids[k] for k in saved.children if k in stored]
    # Their appearances carry the outlet too (Appearance.outlet, derived).
    appearance_outlets_follow(
        source_ids=[
            saved.ids[k]
            for k, row in sources.items()
            if k in stored and stored[k]["outlet__key"] != row["outlet"]
        ]
    )
    delete_in(SourceCitation, "citing_id", rewritten)
    delete_in(SourceCorrection, "correcting_id", rewritten)
    insert_rows(
        SourceCitation,
        [
            {"citing_id": saved.ids[key], "cited_id": saved.ids[cited]}
            for key in saved.children
            for cited in dict.fromkeys(sources[key]["cites"])
        ],
    )
    insert_rows(
        SourceCorrection,
        [
            {"correcting_id": saved.ids[key], "corrected_id": saved.ids[corrected]}
            for key in saved.children
            for corrected in dict.fromkeys(sources[key]["corrects"])
        ],
    )
    fact_documents_refresh_showing(source_ids=saved.written_ids)
    return saved
