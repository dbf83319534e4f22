"""Writes to outlets, sources and entities.

The `*_normalize` functions fill the comparison columns a row is looked up by. They change the
instance in memory and leave saving to the caller, so that a form can fill them before it
validates the constraints on them (the admin does; see sources/admin.py).
"""

# claims.values is plain Python (names and dates, no models), so this keeps sources independent
# of the claims app's models, as sources/models.py intends.
from django.core.exceptions import ValidationError
from django.db import transaction

from claims.core.roles import GRADE_OUTLET, require_permission
from claims.core.values import PartialDate, normalize_name
from sources.models import Entity, EntityAlias, Outlet, Source
from sources.url_normalization import normalize_url
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
