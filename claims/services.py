"""Writes to predicates, claims and their appearances.

The `*_normalize` and `claim_apply_as_written` functions fill columns of an instance in memory
and leave saving to the caller, so that a form can fill them before it validates the
constraints on them (the admin does; see claims/forms.py). Errors are Django ValidationErrors
keyed by the claim's field names, so a form can show each on its field.
"""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from claims import values
from claims.confidence import (
    AnalyticConfidence,
    Credibility,
    Likelihood,
    RatingValues,
    rationale_required,
)
from claims.models import (
    Appearance,
    Claim,
    ClaimRating,
    ClaimStatus,
    ClaimStatusChange,
    Contradiction,
    ContradictionStatus,
    Predicate,
    PredicateAlias,
    ValueType,
)
from claims.roles import (
    CHANGE_CLAIM_STATUS,
    RATE_CLAIM,
    REVIEW_CONTRADICTION,
    require_permission,
)
from claims.selectors import (
    claim_changes_since,
    claim_credibility_suggestion,
    claim_vetting_blockers,
)
from claims.value_columns import interval_columns, quantity_columns, units_disagree
from tracker.bulk import chunked

CLAIM_KEY_PREFIX = "claim-"

# The columns holding each value type's value, and whether one is set. The model's
# claims_claim_value_matches_type constraint allows only the claim's own type's columns.
_VALUE_COLUMNS_SET = {
    ValueType.QUANTITY: lambda claim: (
        claim.quantity_low is not None or claim.quantity_high is not None
    ),
    ValueType.DATE: lambda claim: claim.date_from is not None or claim.date_to is not None,
    ValueType.ENTITY: lambda claim: claim.value_entity_id is not None,
    ValueType.TEXT: lambda claim: bool(claim.value_text.strip()),
}
# Where an editor enters each type's value, for error messages.
_VALUE_FIELDS = {
    ValueType.QUANTITY: ("quantity_low", "quantity_high"),
    ValueType.DATE: ("date_from", "date_to"),
    ValueType.ENTITY: ("value_entity",),
    ValueType.TEXT: ("value_text",),
}
DateParser = Callable[[str, values.PartialDate | None], values.DateInterval]
# Any date: used only to tell a relative phrase ("last month") from one that cannot be read.
_SOME_REFERENCE = values.PartialDate(2000, 6, 15)


def claim_key_generate() -> str:
    """Return a new external key: `claim-` and 12 hex digits of a random UUID.

    48 random bits make a clash with an existing key very unlikely; the unique constraint on
    Claim.key (validated by the admin form) turns one into an error, never a duplicate.
    """
    return f"{CLAIM_KEY_PREFIX}{uuid.uuid4().hex[:12]}"


def predicate_names_normalize(*, predicate: Predicate) -> None:
    """Set predicate.normalized_name from predicate.name (normalize_name)."""
    predicate.normalized_name = values.normalize_name(predicate.name)


def predicate_alias_normalize(*, alias: PredicateAlias) -> None:
    """Set alias.normalized from alias.name (normalize_name)."""
    alias.normalized = values.normalize_name(alias.name)


def claim_apply_as_written(*, claim: Claim, reference: values.PartialDate | None) -> None:
    """Fill the claim's value_type, value columns and valid-time columns from what was written.

    value_type follows the predicate (empty when the claim has no value). A `value_as_written`
    phrase is parsed by that type, quantities and dates only, and wins over the structured
    columns: for a quantity it sets quantity_given_low/high/unit as written and quantity_low/high
    converted to the predicate's unit (no conversion when the predicate has none); for a date,
    date_from/date_to and their precisions. Without a phrase, the structured columns are kept as
    given. `valid_as_written` likewise fills valid_from/valid_to ("since June 2015").

    Columns of another value type are cleared when a phrase was given and refused otherwise,
    since a text value under a quantity predicate is a mistake to show, not data to drop.

    reference is the publication date relative and year-less phrases ("May", "late last year")
    are read against; see claim_reference_date. Raises ValidationError keyed by the claim's
    field names, with every problem found; the claim may then be partly filled.
    """
    errors: dict[str, list[ValidationError]] = {}
    for apply in (_apply_value, _apply_valid_time):
        try:
            apply(claim, reference)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def claim_appearance_positions_assign(*, claim: Claim, appearances: Sequence[Appearance]) -> None:
    """Number new appearances of a saved claim after its existing ones, in the order given.

    Sets `position` in memory; the caller saves the appearances in the same transaction.
    """
    with transaction.atomic():
        # Two editors adding appearances to one claim at once would both read the same last
        # position and collide on claims_appearance_unique_position: lock the claim first.
        Claim.objects.select_for_update().only("pk").get(pk=claim.pk)
        last = Appearance.objects.filter(claim=claim).aggregate(last=Max("position"))["last"]
        first = 0 if last is None else last + 1
        for offset, appearance in enumerate(appearances):
            appearance.position = first + offset


# --- lost-update protection ---------------------------------------------------------------------


class ClaimChangedError(ValidationError):
    """The claim was saved by someone else after the form about to be saved was loaded."""


def claim_lock_unchanged(*, claim_id: int, loaded_version: int) -> Claim:
    """Lock the claim until the caller's transaction ends and check it is still at the version
    an edit form was loaded with; return it, its version raised by one for the caller's save.

    Raises ClaimChangedError saying what changed since (who, when, each field before and
    after, from the claim's history) when it is not. The lock is what makes the check hold:
    without it two reviewers could both read the old version and both save, the second
    overwriting the first. Must run inside the transaction that saves the claim.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("claim_lock_unchanged must run inside the saving transaction")
    claim = Claim.objects.select_for_update().get(pk=claim_id)
    if claim.version != loaded_version:
        changes = claim_changes_since(claim_id=claim_id, version=loaded_version)
        lines = [
            "This claim was changed by someone else after you opened it, so your changes were "
            "not saved; they are kept in the form below. Changed since you opened it:",
            *(changes or ["(the history does not say what)"]),
            "Open the claim again to see it as it is now, and make your changes there.",
        ]
        raise ClaimChangedError([ValidationError(line, code="claim_changed") for line in lines])
    # A plain integer, not F("version") + 1: simple-history cannot record an F() in save().
    claim.version += 1
    return claim


def claim_versions_bump(*, claim_ids: Sequence[int]) -> None:
    """Raise the version of claims written in bulk (imports), so that an edit form loaded
    before is refused. In SQL, `version + 1`, so that it counts a concurrent save too; the
    caller writes the history entries afterwards, which then carry the new version."""
    for chunk in chunked(claim_ids):
        Claim.objects.filter(id__in=chunk).update(version=F("version") + 1)


def _apply_value(claim: Claim, reference: values.PartialDate | None) -> None:
    claim.value_as_written = claim.value_as_written.strip()
    phrase = claim.value_as_written
    predicate = claim.predicate
    if predicate is None:
        if phrase or any(is_set(claim) for is_set in _VALUE_COLUMNS_SET.values()):
            raise ValidationError({"predicate": "A value needs a predicate: say what it is of."})
        _clear_value_columns(claim, keep="")
        claim.value_type = ""
        return
    value_type = ValueType(predicate.value_type)
    if phrase:
        if value_type == ValueType.QUANTITY:
            _apply_quantity_phrase(claim, predicate, phrase)
        elif value_type == ValueType.DATE:
            _apply_date_phrase(claim, phrase, reference)
        else:
            field = _VALUE_FIELDS[value_type][0].replace("_", " ")
            raise ValidationError(
                {
                    "value_as_written": f'"{predicate}" takes {value_type.value} values, which are '
                    f"not read from a phrase: fill in {field} instead."
                }
            )
    else:
        misplaced = {
            field: f'"{predicate}" takes {value_type.value} values: leave this empty.'
            for other, fields in _VALUE_FIELDS.items()
            if other != value_type
            for field in fields
            if getattr(claim, field) not in (None, "")
        }
        if misplaced:
            raise ValidationError(misplaced)
    if _VALUE_COLUMNS_SET[value_type](claim):
        _clear_value_columns(claim, keep=value_type)
        claim.value_type = value_type
    else:  # a predicate and no value yet: a text-only claim as far as the model is concerned
        _clear_value_columns(claim, keep="")
        claim.value_type = ""


def _apply_quantity_phrase(claim: Claim, predicate: Predicate, phrase: str) -> None:
    try:
        quantity = values.parse_quantity(phrase)
    except values.ValueParseError as error:
        raise ValidationError({"value_as_written": str(error)}) from None
    unit_field = claim.quantity_given_unit.strip()
    if units_disagree(quantity.unit, unit_field):
        raise ValidationError(
            {
                "quantity_given_unit": f'The phrase says "{quantity.unit}" and this field '
                f'"{unit_field}": make them agree or leave this empty.'
            }
        )
    try:
        columns = quantity_columns(
            quantity,
            given_unit=unit_field or quantity.unit or "",
            predicate_unit=predicate.unit.strip(),
        )
    except values.ValueParseError as error:
        field = "quantity_given_unit" if unit_field else "value_as_written"
        raise ValidationError(
            {field: f'{error}: "{predicate}" compares quantities in {predicate.unit}.'}
        ) from None
    for name, value in columns.items():
        setattr(claim, name, value)


def _apply_date_phrase(claim: Claim, phrase: str, reference: values.PartialDate | None) -> None:
    interval = _parse_dates(values.parse_date_phrase, phrase, reference, "value_as_written")
    for name, value in interval_columns("date", interval).items():
        setattr(claim, name, value)


def _apply_valid_time(claim: Claim, reference: values.PartialDate | None) -> None:
    claim.valid_as_written = claim.valid_as_written.strip()
    if not claim.valid_as_written:
        return
    interval = _parse_dates(
        values.parse_valid_phrase, claim.valid_as_written, reference, "valid_as_written"
    )
    for name, value in interval_columns("valid", interval).items():
        setattr(claim, name, value)


def _parse_dates(
    parse: DateParser, phrase: str, reference: values.PartialDate | None, field: str
) -> values.DateInterval:
    try:
        return parse(phrase, reference)
    except values.ValueParseError as error:
        message = str(error)
        if reference is None and _parses(parse, phrase, _SOME_REFERENCE):
            message = (
                f'"{phrase}" needs a dated source: add an appearance in a source with a '
                "publication date; the phrase is read against the earliest one."
            )
        raise ValidationError({field: message}) from None


def _parses(parse: DateParser, phrase: str, reference: values.PartialDate) -> bool:
    try:
        parse(phrase, reference)
    except values.ValueParseError:
        return False
    return True


def _clear_value_columns(claim: Claim, *, keep: str) -> None:
    """Empty every value column except those of the value type `keep` ("" keeps none)."""
    if keep != ValueType.QUANTITY:
        claim.quantity_low = claim.quantity_high = None
        claim.quantity_low_inclusive = claim.quantity_high_inclusive = True
        claim.quantity_given_low = claim.quantity_given_high = None
        claim.quantity_given_unit = ""
    if keep != ValueType.DATE:
        claim.date_from, claim.date_from_precision = None, ""
        claim.date_to, claim.date_to_precision = None, ""
    if keep != ValueType.ENTITY:
        claim.value_entity = None
    if keep != ValueType.TEXT:
        claim.value_text = ""


# --- reviewing contradiction flags ----------------------------------------------------------


def _flag_for_review(contradiction_id: int) -> Contradiction:
    # Locked so that two reviewers deciding on one flag at once are applied one after the
    # other, each on the other's result, rather than both on the state they loaded.
    return Contradiction.objects.select_for_update().get(pk=contradiction_id)


def _decide(flag: Contradiction, status: str, by, reason: str = "") -> None:
    flag.status = status
    flag.dismissed_reason = reason
    flag.status_changed_by = by
    flag.status_changed_at = timezone.now()
    # The claims as the reviewer saw them: a dismissal stands until one of them changes.
    flag.reviewed_fingerprint = flag.fingerprint
    flag.save(
        update_fields=[
            "status",
            "dismissed_reason",
            "status_changed_by",
            "status_changed_at",
            "reviewed_fingerprint",
            "updated_at",
        ]
    )


def contradiction_confirm(*, contradiction_id: int, by, reason: str = "") -> Contradiction:
    """The reviewer agrees the two claims cannot both be true; it stays on the record, with the
    reviewer's reason when one is given."""
    require_permission(by, REVIEW_CONTRADICTION)
    with transaction.atomic():
        flag = _flag_for_review(contradiction_id)
        _decide(flag, ContradictionStatus.CONFIRMED, by, reason.strip())
    return flag


def contradiction_dismiss(*, contradiction_id: int, by, reason: str) -> Contradiction:
    """A false alarm, with the reviewer's reason. Detection will not reopen it unless one of the
    two claims changes."""
    require_permission(by, REVIEW_CONTRADICTION)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"dismissed_reason": "Say why the flag is dismissed."})
    with transaction.atomic():
        flag = _flag_for_review(contradiction_id)
        _decide(flag, ContradictionStatus.DISMISSED, by, reason)
    return flag


def contradiction_resolve(
    *, contradiction_id: int, by, refuted_claim_id: int, reason: str = ""
) -> Contradiction:
    """Settle the flag by marking one of its two claims refuted (kept, never deleted); the
    status change is recorded like any other, the flag as its reason. The reviewer's reason,
    when given, is kept with the flag and with the claim's status change."""
    require_permission(by, REVIEW_CONTRADICTION)
    with transaction.atomic():
        flag = _flag_for_review(contradiction_id)
        if refuted_claim_id not in (flag.claim_a_id, flag.claim_b_id):
            raise ValidationError(
                f"claim {refuted_claim_id} is not one of the two claims of flag {flag.pk}"
            )
        claim = Claim.objects.select_for_update().get(pk=refuted_claim_id)
        other = flag.claim_b if claim.pk == flag.claim_a_id else flag.claim_a
        reason = reason.strip()
        if claim.status != ClaimStatus.REFUTED:
            resolves = f"resolves the contradiction with {other.key}: {flag.explanation}"
            _status_set(
                claim,
                ClaimStatus.REFUTED,
                by=by,
                reason=f"{reason} ({resolves})" if reason else resolves,
            )
        _decide(flag, ContradictionStatus.RESOLVED, by, reason)
    return flag


# --- reviewing claims: ratings and status --------------------------------------------------------


def _claim_locked(claim_id: int) -> Claim:
    # Locked so that two reviewers rating or moving one claim at once are applied one after the
    # other: the second supersedes the first's rating, or sees the first's status.
    return Claim.objects.select_for_update().get(pk=claim_id)


def claim_rate(
    *,
    by,
    claim_id: int,
    likelihood: str,
    confidence: str,
    credibility: str,
    rationale: str = "",
) -> ClaimRating:
    """Record `by`'s confidence in a claim; it supersedes their previous rating, which is kept.

    The tracker's suggested credibility grade is computed now and stored with the rating. A
    rationale is required below "likely" and when the grade differs from the suggestion.
    Raises PermissionDenied for a user who may not rate, ValidationError (by field) for bad
    values.
    """
    require_permission(by, RATE_CLAIM)
    rationale = rationale.strip()
    errors = {}
    for field, value, choices in (
        ("likelihood", likelihood, Likelihood),
        ("confidence", confidence, AnalyticConfidence),
        ("credibility", credibility, Credibility),
    ):
        if value not in choices.values:
            errors[field] = f"{value!r} is not one of {', '.join(choices.values)}"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        claim = _claim_locked(claim_id)
        suggested = claim_credibility_suggestion(claim_id=claim.pk).grade
        needs = rationale_required(
            likelihood=likelihood, credibility=credibility, suggested=suggested
        )
        if needs and not rationale:
            raise ValidationError({"rationale": needs})
        now = timezone.now()
        previous = ClaimRating.objects.filter(
            claim=claim, reviewer=by, superseded_at__isnull=True
        ).first()
        if previous is not None:
            # save(), not update(): the history of the superseded rating records it.
            previous.superseded_at = now
            previous.save(update_fields=["superseded_at"])
        rating = ClaimRating.objects.create(
            claim=claim,
            reviewer=by,
            likelihood=likelihood,
            confidence=confidence,
            credibility=credibility,
            suggested_credibility=suggested,
            rationale=rationale,
        )
        _review_changed(claim.pk)
    return rating


def claim_status_change(*, by, claim_id: int, status: str, reason: str) -> Claim:
    """Move a claim to another review status, recording who, when and why.

    Vetting needs no open contradiction and a current rating of "likely" or higher; a refuted
    or retracted claim is kept (demoted, never deleted). Raises PermissionDenied for a user
    who may not change statuses, ValidationError naming what blocks the change.
    """
    require_permission(by, CHANGE_CLAIM_STATUS)
    reason = reason.strip()
    if status not in ClaimStatus.values:
        choices = ", ".join(ClaimStatus.values)
        raise ValidationError({"status": f"{status!r} is not one of {choices}"})
    if not reason:
        raise ValidationError({"reason": "Say why the status changes."})
    with transaction.atomic():
        claim = _claim_locked(claim_id)
        if claim.status == status:
            raise ValidationError(
                {"status": f"The claim is {ClaimStatus(status).label.lower()} already."}
            )
        if status == ClaimStatus.VETTED:
            blockers = claim_vetting_blockers(claim_id=claim.pk)
            if blockers:
                raise ValidationError(
                    {"status": "The claim cannot be vetted: " + "; ".join(blockers) + "."}
                )
        _status_set(claim, status, by=by, reason=reason)
    return claim


@dataclass(frozen=True)
class ReviewOutcome:
    """What a reviewer's save did: the rating made (None if none was given), whether the status
    moved, and, when a change was asked for and refused, why the status did not move."""

    rating: ClaimRating | None
    status_changed: bool
    status_refused: str = ""


def claim_review_submit(
    *,
    by,
    claim_id: int,
    rating: RatingValues | None,
    rationale: str = "",
    status: str = "",
    status_reason: str = "",
) -> ReviewOutcome:
    """A reviewer's save on a claim: a new rating first, then a status change.

    The rating is kept even when the status change is refused (vetting blocked by an open
    contradiction, say): the reviewer's judgement does not depend on the claim's state, and
    throwing it away would lose their work. The outcome says why the status did not move.
    Raises what claim_rate raises for a bad rating (nothing is saved then).
    """
    made = None
    if rating is not None:
        made = claim_rate(
            by=by,
            claim_id=claim_id,
            likelihood=rating.likelihood,
            confidence=rating.confidence,
            credibility=rating.credibility,
            rationale=rationale,
        )
    if not status:
        return ReviewOutcome(rating=made, status_changed=False)
    try:
        claim_status_change(by=by, claim_id=claim_id, status=status, reason=status_reason)
    except ValidationError as error:
        return ReviewOutcome(
            rating=made, status_changed=False, status_refused=" ".join(error.messages)
        )
    return ReviewOutcome(rating=made, status_changed=True)


def _status_set(claim: Claim, status: str, *, by, reason: str) -> None:
    """Set a locked claim's status and record the change (the caller owns the transaction)."""
    ClaimStatusChange.objects.create(
        claim=claim, from_status=claim.status, to_status=status, changed_by=by, reason=reason
    )
    claim.status = status
    # The claim is locked (the caller's select_for_update): a plain increment is safe, and an
    # edit form loaded before this change is refused (claim_lock_unchanged).
    claim.version += 1
    claim.save(update_fields=["status", "version", "updated_at"])
    _review_changed(claim.pk)


def _review_changed(claim_id: int) -> None:
    """A rating or status of the claim changed (in the open transaction): once it commits, its
    outlets' and speakers' track records are recounted and a full recompute is sent."""
    from claims import credibility, tasks

    credibility.track_records_request()
    tasks.refresh_track_records.delay_on_commit([claim_id])
