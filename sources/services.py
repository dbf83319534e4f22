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

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction

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
from claims.core.values import PartialDate, normalize_name
from claims.models import Appearance
from claims.services.detection import claims_changed
from sources.models import Entity, EntityAlias, Outlet, Source, SourceCitation, SourceCorrection
from sources.url_normalization import normalize_url
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
        if cites is not None:
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
    return source
