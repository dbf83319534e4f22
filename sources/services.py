"""Writes to outlets, sources and entities.

The `*_normalize` functions fill the comparison columns a row is looked up by. They change the
instance in memory and leave saving to the caller, so that a form can fill them before it
validates the constraints on them (the admin does; see sources/admin.py).
"""

# claims.values is plain Python (names and dates, no models), so this keeps sources independent
# of the claims app's models, as sources/models.py intends.
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from claims.roles import GRADE_OUTLET, require_permission
from claims.values import (
    PartialDate,
    ValueParseError,
    normalize_name,
    parse_date_phrase,
    parse_partial_date,
)
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
