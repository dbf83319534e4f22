"""Writes to predicates, claims, their appearances and relations, their reviews and flags.

A service is the one door for a change, whichever channel (admin form, API serializer,
command) asks for it. It owns: the transaction (and the row lock a read-then-write race
needs); the role check (claims/core/roles.py); every validation, raised as one Django
ValidationError keyed by the field a writer entered (`text`, `appearances[2].quote`), so the
admin shows each on its field and the API answers 400 at its path (409 for a taken key or a
stale version); the derived columns (value columns parsed from phrases, the time a claim holds,
its wording index); the version bump and the refusal of a write that read an older version;
the history entry with the acting user; the return of a vetted claim to review on a material
change (claims/core/claim_changes.py); and the contradiction check sent on commit
(claims_changed). Channels fill a record's fields and call these; they write nothing
themselves. The claimset import uses the bulk forms (claimsets.py).
"""

import math
import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

import tracker.timings as timings
from claims.core import quotes, values
from claims.core.claim_changes import (
    APPEARANCE_FIELDS,
    MATERIAL_FIELDS,
    appearance_signature,
    demotion_reason,
    material_changes,
    require_finite,
)
from claims.core.confidence import (
    AnalyticConfidence,
    Credibility,
    Likelihood,
    RatingValues,
    rationale_required,
)
from claims.core.roles import (
    ADD_CLAIM,
    ADD_PREDICATE,
    ADD_RELATION,
    CHANGE_CLAIM,
    CHANGE_CLAIM_STATUS,
    CHANGE_PREDICATE,
    CHANGE_RELATION,
    RATE_CLAIM,
    REVIEW_CONTRADICTION,
    require_permission,
)
from claims.core.value_columns import (
    VALUE_COLUMNS,
    interval_columns,
    quantity_columns,
    units_disagree,
)
from claims.models import (
    Appearance,
    AppearanceVia,
    Claim,
    ClaimRating,
    ClaimRelation,
    ClaimStatus,
    ClaimStatusChange,
    ClaimTerm,
    Contradiction,
    ContradictionStatus,
    Predicate,
    PredicateAlias,
    RelationType,
    Supersession,
    SupersessionStatus,
    ValueType,
)
from claims.selectors.claims import (
    claim_changes_since,
    claim_credibility_suggestion,
    claim_reference_date,
    claim_vetting_blockers,
    claims_vetting_blockers,
)
from claims.services.appearance_outlets import appearance_outlets_follow
from claims.services.detection import (
    WordingIndex,
    WordingIndexer,
    claim_derived_columns,
    claim_term_rows,
    claims_changed,
)
from claims.services.fact_documents import fact_documents_refresh, fact_documents_refresh_showing
from claims.services.supersessions import claim_rows, fingerprint
from sources.models import Entity, Source
from sources.services import alias_errors
from tracker.bulk import chunked, delete_in, filter_in, insert_rows, update_rows
from tracker.bulk_records import BulkRecord, BulkSaved, aliases_bulk_replace, records_bulk_save
from tracker.history import (
    CHANGED,
    CREATED,
    DELETED,
    history_reason,
    history_record_bulk,
    is_tracked,
)
from tracker.validation import model_validate

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


def predicate_save(*, by, predicate: Predicate, aliases: Sequence[str] | None = None) -> Predicate:
    """Save a predicate with its normalized name, every constraint checked first; `aliases`,
    when given, replace the stored ones (errors at `aliases[i]`)."""
    require_permission(by, CHANGE_PREDICATE if predicate.pk else ADD_PREDICATE)
    with transaction.atomic():
        if predicate.pk is not None:
            stored = Predicate.objects.select_for_update().get(pk=predicate.pk)
            if stored.key != predicate.key:
                raise ValidationError({"key": "A key is a record's stable id: it cannot change."})
        predicate_names_normalize(predicate=predicate)
        rows = [PredicateAlias(predicate=predicate, name=name) for name in aliases or ()]
        for row in rows:
            predicate_alias_normalize(alias=row)
        errors = alias_errors(rows)
        try:
            model_validate(predicate)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)
        predicate.save()
        if aliases is not None:
            predicate.aliases.all().delete()
            PredicateAlias.objects.bulk_create(rows)
        fact_documents_refresh_showing(predicate_ids=[predicate.pk])  # its name and unit show
    return predicate


def relation_save(*, by, relation: ClaimRelation) -> ClaimRelation:
    """Save a relation between two claims ("updates", "retracts", ...), every constraint
    checked first (a claim related to itself, the same relation twice)."""
    require_permission(by, CHANGE_RELATION if relation.pk else ADD_RELATION)
    with transaction.atomic():
        model_validate(relation)
        relation.save()
    return relation


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


# --- lost-update protection ---------------------------------------------------------------------


class ClaimChangedError(ValidationError):
    """The claim was saved by someone else after the version the writer read: keyed by
    `version`, one message per line (what changed since). The admin shows it above the form;
    the API answers 409, its code being STALE."""


STALE = "stale"  # the error code: api.errors answers it with a 409


def claim_lock_unchanged(*, claim_id: int, loaded_version: int) -> Claim:
    """Lock the claim until the caller's transaction ends and check it is still at the version
    the writer read; return it as stored.

    Raises ClaimChangedError saying what changed since (who, when, each field before and
    after, from the claim's history) when it is not. The lock is what makes the check hold:
    without it two writers could both read the old version and both save, the second
    overwriting the first. Must run inside the transaction that saves the claim (claim_save
    runs it; the admin's form runs it first, to show the changes in the form).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("claim_lock_unchanged must run inside the saving transaction")
    claim = Claim.objects.select_for_update().get(pk=claim_id)
    if claim.version != loaded_version:
        changes = claim_changes_since(claim_id=claim_id, version=loaded_version)
        lines = [
            "This claim was changed by someone else after you opened it, so your changes were "
            f"not saved; they are kept in the form below (you had version {loaded_version}, it "
            f"is at version {claim.version} now). Changed since you opened it:",
            *(changes or ["(the history does not say what)"]),
            "Open the claim again to see it as it is now, and make your changes there.",
        ]
        raise ClaimChangedError({"version": [ValidationError(line, code=STALE) for line in lines]})
    return claim


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
    flag._history_user = by  # simple-history: who, also when no request is around
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


def contradiction_decide(
    *, by, contradiction_id: int, status: str, reason: str = "", refuted_claim_id: int | None = None
) -> Contradiction:
    """A reviewer's decision on a contradiction flag, from the admin or the API.

    `status` is one of:
    - "confirmed": the two claims cannot both be true; the flag stays on the record.
    Any decision keeps the reviewer's `reason` with the flag when one is given.
    - "dismissed": a false alarm, with the reviewer's `reason`; detection will not reopen it
      unless one of the two claims changes.
    - "resolved": one of its two claims, `refuted_claim_id`, is marked refuted (kept, never
      deleted); the status change is recorded like any other, with the reviewer's reason and
      the flag.

    Raises PermissionDenied for a user who may not decide on flags, ValidationError by field
    (`status`, `dismissed_reason`, `refuted_claim`) for a decision that cannot be made.
    """
    require_permission(by, REVIEW_CONTRADICTION)
    decisions = (
        ContradictionStatus.CONFIRMED,
        ContradictionStatus.DISMISSED,
        ContradictionStatus.RESOLVED,
    )
    if status not in decisions:
        raise ValidationError({"status": f"{status!r} is not one of {', '.join(decisions)}"})
    reason = reason.strip()
    if status == ContradictionStatus.DISMISSED and not reason:
        raise ValidationError({"dismissed_reason": "Say why the flag is dismissed."})
    if status == ContradictionStatus.RESOLVED and refuted_claim_id is None:
        raise ValidationError({"refuted_claim": "Name the claim found false."})
    with transaction.atomic():
        flag = _flag_for_review(contradiction_id)
        if status == ContradictionStatus.RESOLVED:
            if refuted_claim_id not in (flag.claim_a_id, flag.claim_b_id):
                raise ValidationError(
                    {
                        "refuted_claim": f"claim {refuted_claim_id} is not one of the two claims "
                        f"of flag {flag.pk}"
                    }
                )
            claim = Claim.objects.select_for_update().get(pk=refuted_claim_id)
            other = flag.claim_b if claim.pk == flag.claim_a_id else flag.claim_a
            if claim.status != ClaimStatus.REFUTED:
                resolves = f"resolves the contradiction with {other.key}: {flag.explanation}"
                _status_set(
                    claim,
                    ClaimStatus.REFUTED,
                    by=by,
                    reason=f"{reason} ({resolves})" if reason else resolves,
                )
        # Every decision keeps the reviewer's reason when one is given (required to dismiss).
        _decide(flag, status, by, reason)
        # A fact shows its number of open flags.
        fact_documents_refresh(claim_ids=[flag.claim_a_id, flag.claim_b_id])
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
            previous._history_user = by
            previous.save(update_fields=["superseded_at"])
        rating = ClaimRating(
            claim=claim,
            reviewer=by,
            likelihood=likelihood,
            confidence=confidence,
            credibility=credibility,
            suggested_credibility=suggested,
            rationale=rationale,
        )
        rating._history_user = by
        rating.save()
        _review_changed(claim.pk)
        fact_documents_refresh(claim_ids=[claim.pk])  # a fact shows its reviewers' consensus
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
    claim._history_user = by
    claim._change_reason = history_reason(reason)
    claim.save(update_fields=["status", "version", "updated_at"])
    _review_changed(claim.pk)
    fact_documents_refresh(claim_ids=[claim.pk])  # vetted: served; otherwise no longer


def _review_changed(claim_id: int) -> None:
    """A rating or status of the claim changed (in the open transaction): once it commits, its
    outlets' and speakers' track records are recounted and a full recompute is sent."""
    from claims import tasks
    from claims.services import credibility

    credibility.track_records_request()
    tasks.refresh_track_records.delay_on_commit([claim_id])


# --- a claim written with its appearances: every channel's one door -----------------------------


@dataclass
class AppearanceInput:
    """One appearance of a claim as a writer sends it.

    `id` names a stored appearance of the claim to change in place (the admin's inline rows);
    without it the appearance is new. `delete` removes the stored one. `via`, the sources it is
    attributed to, replaces the stored ones when given and leaves them alone when None.
    """

    source: Source | None
    quote: str = ""
    speaker: Entity | None = None
    speaker_description: str = ""
    stance: str = Appearance.Stance.ASSERTS
    via: list[Source] | None = None
    id: int | None = None
    delete: bool = False
    # The row as written, set by claim_save.
    saved: Appearance | None = dataclass_field(default=None, repr=False, compare=False)


# The value columns that hold numbers: Infinity and NaN are refused on each.
_NUMBER_COLUMNS = ("quantity_low", "quantity_high", "quantity_given_low", "quantity_given_high")
# Derived and bookkeeping columns no writer sets: the services fill them.
_DERIVED_COLUMNS = ("holds_from", "holds_to", "check_requested_at", "version", "status")


def appearance_path(index: int, field: str) -> str:
    """Where an error about the index-th appearance sent is reported: `appearances[2].quote`."""
    return f"appearances[{index}].{field}"


def claim_fields_validate(
    *, claim: Claim, reference: values.PartialDate | None, constraints: bool = True
) -> None:
    """Fill the claim's derived value columns from what was written and check every field.

    Parses the phrases (claim_apply_as_written, read against `reference`), refuses numbers that
    are not finite, and runs every field check and constraint of the model. Raises one
    ValidationError keyed by the claim's field names with every problem found (a key another
    claim holds has code `unique`). The admin's form runs it on clean without `constraints`
    (a ModelForm checks those itself, each on its field); claim_save runs it all again.
    """
    claim.key = claim.key.strip()
    if not claim.key and claim._state.adding:
        claim.key = claim_key_generate()
    errors: dict[str, list[ValidationError]] = {}
    try:
        claim_apply_as_written(claim=claim, reference=reference)
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    for column in _NUMBER_COLUMNS:
        try:
            require_finite(getattr(claim, column), column)
        except ValueError as error:
            # Read from the phrase, the number is the phrase's fault: say so on it.
            field = "value_as_written" if claim.value_as_written else column
            errors.setdefault(field, []).append(ValidationError(str(error), code="not_finite"))
    if errors:  # the constraints would only repeat what is wrong, on columns half filled
        raise ValidationError(errors)
    if constraints:
        model_validate(claim, exclude=_DERIVED_COLUMNS)


def claim_appearances_validate(
    *, claim: Claim, appearances: Sequence[AppearanceInput], replace: bool = False
) -> None:
    """Check the appearances a writer sends for a claim, each as it will be saved.

    Each must name a source (and a stored appearance of this claim, when it names one); its quote
    must occur in the source's text when the source has one; speaker and speaker description
    exclude each other; every model check runs. Raises one ValidationError keyed by
    `appearances[i].field` (i: the position in `appearances`).
    """
    stored = _stored_appearances(claim, [a.id for a in appearances if a.id is not None])
    errors: dict[str, list[ValidationError]] = {}

    def refuse(index: int, field: str, message: str) -> None:
        path = appearance_path(index, field)
        errors.setdefault(path, []).append(ValidationError(message, code="invalid"))

    for index, sent in enumerate(appearances):
        if sent.id is not None and sent.id not in stored:
            refuse(index, "id", f"appearance {sent.id} is not one of this claim's")
            continue
        if sent.delete:
            continue
        if sent.source is None:
            refuse(index, "source", "Say in which source the claim appears.")
            continue
        quote, text = sent.quote.strip(), sent.source.text
        if (
            quote
            and text.strip()
            and not quotes.quote_occurs_in(quote, quotes.fold_for_quote_search(text))
        ):
            refuse(index, "quote", f'does not occur in the text of source "{sent.source.key}"')
        if sent.speaker is not None and sent.speaker_description.strip():
            refuse(index, "speaker", "Give a speaker or a speaker description, not both.")
        row = _appearance_row(claim, sent, stored)
        try:
            model_validate(row, exclude=("claim", "position"))
        except ValidationError as error:
            for field, found in error.message_dict.items():
                for message in found:
                    refuse(index, "" if field == NON_FIELD_ERRORS else field, message)
    if errors:
        raise ValidationError(errors)


def claim_save(
    *,
    by,
    claim: Claim,
    appearances: Sequence[AppearanceInput] | None = None,
    replace_appearances: bool = False,
    expected_version: int | None = None,
) -> Claim:
    """Save a claim and changes to its appearances: the one write of a claim, whoever sends it.

    In one transaction: check `by` may add or change claims; lock the stored claim and refuse
    (ClaimChangedError) when it moved on from `expected_version`, the version the writer read;
    validate the fields and appearances (claim_fields_validate, claim_appearances_validate);
    write the appearances (with `replace_appearances`, every stored one not named by id is
    removed: the API's full list); raise the version; return a vetted claim whose wording, value,
    subject, predicate, negation, valid time or appearances changed to review, recorded as a
    status change; save with `by` as the history's user; and have the time it holds, its wording
    index and its contradiction check brought up to date (claims_changed, the check on commit).
    Status and key never change here: statuses through claim_status_change, keys never.
    """
    require_permission(by, CHANGE_CLAIM if claim.pk else ADD_CLAIM)
    appearances = list(appearances or [])
    with transaction.atomic():
        stored = None
        if claim.pk is not None:
            # Locked: a concurrent write cannot slip between the version check and the save,
            # and two appearance changes of one claim do not interleave.
            stored = (
                claim_lock_unchanged(claim_id=claim.pk, loaded_version=expected_version)
                if expected_version is not None
                else Claim.objects.select_for_update().get(pk=claim.pk)
            )
            if claim.key != stored.key:
                raise ValidationError(
                    {"key": "A claim's key is its stable id: it cannot change."}, code="invalid"
                )
            claim.status = stored.status
            before = {name: getattr(stored, name) for name in MATERIAL_FIELDS}
            appearances_before = _appearance_signature(claim.pk)
        source_ids = _source_ids_after(claim, appearances, replace_appearances)
        errors: dict[str, list[ValidationError]] = {}
        for check in (
            lambda: claim_fields_validate(
                claim=claim, reference=claim_reference_date(source_ids=source_ids)
            ),
            lambda: claim_appearances_validate(claim=claim, appearances=appearances),
        ):
            try:
                check()
            except ValidationError as error:
                errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)
        claim.version = stored.version + 1 if stored is not None else 1
        claim._history_user = by  # simple-history: who, also when no request is around
        if stored is None:
            claim.status = ClaimStatus.UNREVIEWED
            claim.save()
        _appearances_write(claim, appearances, replace=replace_appearances, by=by)
        if stored is not None:
            changed = material_changes(before, {n: getattr(claim, n) for n in MATERIAL_FIELDS})
            moved = _appearance_signature(claim.pk) != appearances_before
            if stored.status == ClaimStatus.VETTED and (changed or moved):
                reason = demotion_reason(changed, moved)
                ClaimStatusChange.objects.create(
                    claim=claim,
                    from_status=stored.status,
                    to_status=ClaimStatus.UNDER_REVIEW,
                    changed_by=by,
                    reason=reason,
                )
                claim.status = ClaimStatus.UNDER_REVIEW
                claim._change_reason = history_reason(reason)
                _review_changed(claim.pk)
            claim.save()
        claims_changed(claim_ids=[claim.pk])
        fact_documents_refresh(claim_ids=[claim.pk])
    return claim


def _stored_appearances(claim: Claim, ids: Sequence[int]) -> dict[int, Appearance]:
    if claim.pk is None or not ids:
        return {}
    return Appearance.objects.filter(claim_id=claim.pk).in_bulk(list(ids))


def _appearance_row(claim: Claim, sent: AppearanceInput, stored: dict[int, Appearance]):
    row = stored[sent.id] if sent.id is not None else Appearance(claim=claim)
    row.source = sent.source
    row.outlet_id = sent.source.outlet_id  # derived (Appearance.outlet); see _appearances_write
    row.quote = sent.quote
    row.speaker = sent.speaker
    row.speaker_description = sent.speaker_description
    row.stance = sent.stance
    return row


def _source_ids_after(claim: Claim, appearances: Sequence[AppearanceInput], replace: bool):
    """The sources of the claim's appearances once the write is done: what its relative dates
    are read against."""
    stored = (
        {}
        if claim.pk is None or replace
        else dict(Appearance.objects.filter(claim_id=claim.pk).values_list("id", "source_id"))
    )
    new = set()
    for sent in appearances:
        if sent.delete:
            stored.pop(sent.id, None)
        elif sent.source is None:
            continue
        elif sent.id is not None:
            stored[sent.id] = sent.source.pk
        else:
            new.add(sent.source.pk)
    return set(stored.values()) | new


def _appearances_write(
    claim: Claim, appearances: Sequence[AppearanceInput], *, replace: bool, by
) -> None:
    """Write validated appearance changes of a locked claim, each saved (not in bulk) so that
    its history records the change and who made it."""
    kept = {a.id for a in appearances if a.id is not None and not a.delete}
    gone = [a.id for a in appearances if a.id is not None and a.delete]
    removed = Appearance.objects.filter(claim_id=claim.pk)
    removed = removed.exclude(id__in=kept) if replace else removed.filter(id__in=gone)
    for row in removed:
        row._history_user = by
        row.delete()
    stored = _stored_appearances(claim, list(kept))
    last = Appearance.objects.filter(claim_id=claim.pk).aggregate(last=Max("position"))["last"]
    position = 0 if last is None else last + 1
    for sent in appearances:
        if sent.delete:
            continue
        row = _appearance_row(claim, sent, stored)
        if row.pk is None:
            row.position, position = position, position + 1
        row._history_user = by
        row.save()
        sent.saved = row
        if sent.via is not None:
            AppearanceVia.objects.filter(appearance=row).delete()
            AppearanceVia.objects.bulk_create(
                [AppearanceVia(appearance=row, source=source) for source in dict.fromkeys(sent.via)]
            )
    if any(not sent.delete for sent in appearances):
        # The outlets were copied from the sources as the writer loaded them; one may have moved
        # to another outlet since (source_save): read them again as committed now.
        appearance_outlets_follow(claim_ids=[claim.pk])


def _appearance_signature(claim_id: int) -> frozenset:
    rows = list(
        Appearance.objects.filter(claim_id=claim_id).order_by("id").values("id", *APPEARANCE_FIELDS)
    )
    via: dict[int, list[int]] = {}
    for appearance_id, source_id in AppearanceVia.objects.filter(
        appearance__claim_id=claim_id
    ).values_list("appearance_id", "source_id"):
        via.setdefault(appearance_id, []).append(source_id)
    return appearance_signature(rows, {i: via.get(row["id"], ()) for i, row in enumerate(rows)})


# --- supersessions (spec: "Updates and corrections"; detection writes them in
# claims/services/supersessions.py) -----------------------------------------------------------


def supersession_undo(*, supersession_id: int, by, reason: str) -> Supersession:
    """A reviewer says the newer claim does not replace the older one after all, and why.

    The supersession stays on the record as undone, and stays undone until either claim
    changes; meanwhile the two claims are checked again, so that a contradiction between them
    is flagged like any other.
    """
    require_permission(by, REVIEW_CONTRADICTION)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"undone_reason": "Say why the supersession is undone."})
    with transaction.atomic():
        # Locked so that a reviewer's undo and detection's refresh of the record, or two
        # reviewers, are applied one after the other rather than each on a stale copy.
        supersession = Supersession.objects.select_for_update().get(pk=supersession_id)
        if supersession.status != SupersessionStatus.ACTIVE:
            raise ValidationError(
                f"supersession {supersession.pk} is {supersession.get_status_display()}, "
                "not active: only an active supersession can be undone"
            )
        # Checked again once this commits; their derived columns are brought up to date now,
        # before the fingerprint reads them.
        claims_changed(claim_ids=[supersession.newer_id, supersession.older_id])
        rows = claim_rows([supersession.newer_id, supersession.older_id])
        supersession.status = SupersessionStatus.UNDONE
        supersession.undone_reason = reason
        supersession.undone_by = by
        supersession.undone_at = timezone.now()
        # The claims as the reviewer saw them: the undo stands until one of them changes.
        supersession.reviewed_fingerprint = fingerprint(
            rows[supersession.newer_id], rows[supersession.older_id]
        )
        supersession._history_user = by
        supersession.save(
            update_fields=[
                "status",
                "undone_reason",
                "undone_by",
                "undone_at",
                "reviewed_fingerprint",
                "updated_at",
            ]
        )
        # The older claim is a fact again; the newer one no longer names it as replaced.
        fact_documents_refresh(claim_ids=[supersession.newer_id, supersession.older_id])
    return supersession


# --- bulk forms, for the claimset import (claims/services/claimsets.py) ------------------------
#
# Each takes the records of a batch by key, already read and resolved (references as keys), and
# the stored rows of the same keys as the import loaded them, and does what the single-record
# services do, set-based (COPY and one UPDATE per batch, never a query per row): validation,
# derived columns, the version bump of changed claims, history entries naming `by`, the return of
# materially changed vetted claims to review, and the contradiction check on commit. `by` None
# is the system (a command run without --user). Each owns its transaction (a savepoint inside the
# import's).

PREDICATE_COLUMNS = (
    "name",
    "normalized_name",
    "value_type",
    "unit",
    "functional",
    "time_varying",
    "cumulative",
)
# The claim columns a batch writes: references (subject, predicate, location, value_entity) by
# key in the batch and in the stored rows (`<name>__key`), by id in the table.
CLAIM_REFERENCE_COLUMNS = ("subject", "predicate", "location", "value_entity")
CLAIM_COLUMNS = (
    "text",
    "subject",
    "predicate",
    "value_type",
    "negated",
    "location",
    *VALUE_COLUMNS,
)
CLAIM_PLAIN_COLUMNS = tuple(c for c in CLAIM_COLUMNS if c not in CLAIM_REFERENCE_COLUMNS)
# The stored columns a batch is compared with (claims_bulk_save's `stored`).
CLAIM_STORED_COLUMNS = (
    "id",
    "key",
    "status",
    *(f"{c}__key" if c in CLAIM_REFERENCE_COLUMNS else c for c in CLAIM_COLUMNS),
)
_QUANTITY_NUMBERS = ("quantity_low", "quantity_high", "quantity_given_low", "quantity_given_high")
# The system, named in the status history when a command run without --user returns a vetted
# claim to review (ClaimStatusChange names a user). Created on first need, never able to log in.
SYSTEM_USERNAME = "tracker-system"


@dataclass(frozen=True)
class AppearanceRow:
    """An appearance in a batch: sources and speaker by key, `via` a tuple of source keys."""

    source: str
    quote: str = ""
    speaker: str | None = None
    speaker_description: str = ""
    stance: str = Appearance.Stance.ASSERTS
    via: tuple[str, ...] = ()


def _user_id(by) -> int | None:
    return None if by is None else by.pk


def _system_user():
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        **{user_model.USERNAME_FIELD: SYSTEM_USERNAME}, defaults={"is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@transaction.atomic  # within the caller's transaction: a savepoint
def predicates_bulk_save(
    *,
    predicates: Mapping[str, dict],
    stored: Mapping[str, Mapping],
    stored_aliases: Mapping[str, Sequence[str]],
    by,
    reason: str,
) -> BulkSaved:
    """Create and update predicates (PREDICATE_COLUMNS, `aliases` a tuple of names) and replace
    the aliases of those whose aliases changed. The caller re-checks the claims of the
    predicates written (their rules may have changed): see `written_ids`."""
    records = []
    for key, row in predicates.items():
        data = {c: row[c] for c in PREDICATE_COLUMNS}
        if data["functional"] and data["value_type"] != ValueType.ENTITY:
            raise ValidationError({key: "only an entity-valued predicate can be functional"})
        if data["unit"] and data["value_type"] != ValueType.QUANTITY:
            raise ValidationError({key: "only a quantity predicate has a unit"})
        old = stored.get(key)
        differs = old is not None and any(old[c] != data[c] for c in PREDICATE_COLUMNS)
        aliases_differ = tuple(stored_aliases.get(key, ())) != tuple(row["aliases"])
        records.append(BulkRecord(key, data, differs, aliases_differ))
    stored_ids = {key: s["id"] for key, s in stored.items()}
    saved = records_bulk_save(
        Predicate, records=records, stored_ids=stored_ids, user_id=_user_id(by), reason=reason
    )
    aliases_bulk_replace(
        PredicateAlias,
        parent="predicate",
        saved=saved,
        stored_ids=stored_ids,
        aliases={
            key: [(alias, values.normalize_name(alias)) for alias in predicates[key]["aliases"]]
            for key in saved.children
        },
    )
    fact_documents_refresh_showing(predicate_ids=saved.written_ids)
    return saved


def claims_status_refusals(
    *, claims: Mapping[str, dict], stored: Mapping[str, Mapping], by
) -> dict[str, str]:
    """Why each claim of a batch that asks for another status cannot have it, by key: changing
    a status takes the reviewer role, and vetting the same conditions as claim_status_change.
    A claim's `status` None (left out) keeps the stored status, and a new claim starts
    unreviewed; asking for the status it has is no change."""
    wanted = {
        key: row["status"]
        for key, row in claims.items()
        if row.get("status") is not None
        and row["status"] != (stored[key]["status"] if key in stored else ClaimStatus.UNREVIEWED)
    }
    if not wanted:
        return {}
    if by is None or not by.has_perm(CHANGE_CLAIM_STATUS):
        who = getattr(by, "username", None) or "an import without a user"
        message = f"{who} may not change the status of claims: it takes the reviewers group"
        return dict.fromkeys(wanted, message)
    refusals = {}
    if any(status not in ClaimStatus.values for status in wanted.values()):
        choices = ", ".join(ClaimStatus.values)
        refusals.update(
            (key, f"{status!r} is not one of {choices}")
            for key, status in wanted.items()
            if status not in ClaimStatus.values
        )
    vetting = [key for key, status in wanted.items() if status == ClaimStatus.VETTED]
    blockers = claims_vetting_blockers(claim_ids=[stored[k]["id"] for k in vetting if k in stored])
    for key in vetting:
        reasons = (
            blockers.get(stored[key]["id"])
            if key in stored
            else ['no current rating says "likely" or higher']
        )
        if reasons:
            refusals[key] = "the claim cannot be vetted: " + "; ".join(reasons)
    return refusals


@transaction.atomic  # within the caller's transaction: a savepoint
def claims_bulk_save(
    *,
    claims: Mapping[str, dict],
    stored: Mapping[str, Mapping],
    stored_appearances: Mapping[str, tuple[AppearanceRow, ...]],
    entity_ids: Mapping[str, int],
    predicate_ids: Mapping[str, int],
    source_ids: Mapping[str, int],
    by,
    reason: str,
    recheck_source_ids: Collection[int] = (),
    recheck_predicate_ids: Collection[int] = (),
) -> BulkSaved:
    """Create and update claims and replace the appearances of those whose appearances changed.

    A row holds CLAIM_COLUMNS (references by key), `appearances` (a tuple of AppearanceRow, in
    order) and `status` (None: keep; for a new claim, unreviewed). `stored` holds
    CLAIM_STORED_COLUMNS of the stored claims of the batch. Changed claims get their version
    raised and a history entry naming `by`; a status change, which takes the reviewer role
    (ValidationError by key otherwise, see claims_status_refusals), is recorded as
    claim_status_change records it; a vetted claim whose text, value, subject, predicate,
    negation, valid time or appearances change is returned to review (claim_changes). Then the
    derived columns of every claim written (written with its row: detection's
    claim_derived_columns and claim_term_rows), and of the claims appearing in
    `recheck_source_ids` or of `recheck_predicate_ids` (refreshed), are up to date and their
    contradiction check is sent on commit (claims_changed).
    """
    refusals = claims_status_refusals(claims=claims, stored=stored, by=by)
    if refusals:
        raise ValidationError({key: [message] for key, message in refusals.items()})
    records, status_wanted = [], {}
    for key, row in claims.items():
        for name in _QUANTITY_NUMBERS:
            if row[name] is not None and not math.isfinite(row[name]):
                raise ValidationError({key: f"{name} is {row[name]!r}, not a finite number"})
        old = stored.get(key)
        current = old["status"] if old is not None else ClaimStatus.UNREVIEWED
        if row.get("status") is not None and row["status"] != current:
            status_wanted[key] = row["status"]
        differs = old is not None and (
            key in status_wanted
            or any(
                old[f"{c}__key" if c in CLAIM_REFERENCE_COLUMNS else c] != row[c]
                for c in CLAIM_COLUMNS
            )
        )
        appearances_differ = tuple(stored_appearances.get(key, ())) != tuple(row["appearances"])
        data = {c: row[c] for c in CLAIM_PLAIN_COLUMNS}
        for c in CLAIM_REFERENCE_COLUMNS:
            ids = predicate_ids if c == "predicate" else entity_ids
            data[f"{c}_id"] = ids[row[c]] if row[c] else None
        records.append(BulkRecord(key, data, differs, appearances_differ))

    # Each appearance carries its source's outlet (Appearance.outlet, derived).
    source_outlets = dict(
        filter_in(
            Source.objects.values_list("id", "outlet_id"),
            "id",
            {source_ids[a.source] for row in claims.values() for a in row["appearances"]},
        )
    )

    def appearance_columns(appearance: AppearanceRow) -> dict:
        return {
            "source_id": source_ids[appearance.source],
            "outlet_id": source_outlets[source_ids[appearance.source]],
            "quote": appearance.quote,
            "speaker_id": entity_ids[appearance.speaker] if appearance.speaker else None,
            "speaker_description": appearance.speaker_description,
            "stance": appearance.stance,
        }

    # The statuses of the stored claims about to change, read again and locked: the batch was
    # compared with rows read before this transaction, and a reviewer may have moved one since
    # (vetted it, or made it what the batch asks for).
    status_now = _claims_status_locked(
        claim_ids=[
            stored[r.key]["id"]
            for r in records
            if r.key in stored and (r.differs or r.children_differ)
        ]
    )
    for key in [k for k in status_wanted if k in stored]:
        if status_now.get(stored[key]["id"], stored[key]["status"]) == status_wanted[key]:
            del status_wanted[key]
    # Vetted claims written without a status of their own: returned to review when the change
    # is material. Usually none, and then nothing more is read.
    vetted_changed = [
        r
        for r in records
        if r.key in stored
        and status_now.get(stored[r.key]["id"]) == ClaimStatus.VETTED
        and r.key not in status_wanted
        and (r.differs or r.children_differ)
    ]
    demoted = _claims_materially_changed(
        records=vetted_changed,
        stored_ids={key: s["id"] for key, s in stored.items()},
        appearances={
            r.key: [
                (appearance_columns(a), [source_ids[v] for v in a.via])
                for a in claims[r.key]["appearances"]
            ]
            for r in vetted_changed
        },
    )

    def statuses_write(saved: BulkSaved) -> None:
        # Before the history entries, which then carry the new status.
        changes = [
            (
                saved.ids[key],
                status_now[saved.ids[key]] if key in stored else ClaimStatus.UNREVIEWED,
                status,
                reason,
            )
            for key, status in status_wanted.items()
        ] + [
            (saved.ids[key], ClaimStatus.VETTED, ClaimStatus.UNDER_REVIEW, note)
            for key, note in demoted.items()
        ]
        if not changes:
            return
        update_rows(Claim, [{"id": i, "status": to} for i, _, to, _ in changes], ["status"])
        changed_by = by if by is not None else _system_user()
        insert_rows(
            ClaimStatusChange,
            [
                {
                    "claim_id": claim_id,
                    "from_status": before,
                    "to_status": after,
                    "changed_by_id": changed_by.pk,
                    "reason": why,
                }
                for claim_id, before, after, why in changes
            ],
        )
        from claims import tasks
        from claims.services import credibility

        credibility.track_records_request()
        tasks.refresh_track_records.delay_on_commit([claim_id for claim_id, *_ in changes])

    # A claim whose status changes, or whose appearances do, is a changed claim: its version is
    # raised and its history records the change.
    records = [
        BulkRecord(r.key, r.columns, True, r.children_differ)
        if r.key in stored and not r.differs and (r.key in demoted or r.children_differ)
        else r
        for r in records
    ]
    # The derived columns of the claims to write (the time each holds, its wording, its check
    # mark) go in with their rows, and their index rows after them, rather than each being
    # read back and updated afterwards (claims_changed, told so by derived_written).
    written = [r for r in records if r.key not in stored or r.differs]
    with timings.phase("claims: derived columns"):
        indexes = _claims_derived_columns(
            records=written, claims=claims, source_ids=source_ids, now=timezone.now()
        )
    stored_ids = {key: s["id"] for key, s in stored.items()}
    saved = records_bulk_save(
        Claim,
        records=records,
        stored_ids=stored_ids,
        user_id=_user_id(by),
        reason=reason,
        before_history=statuses_write,
    )
    with timings.phase("claims: index rows"):
        delete_in(ClaimTerm, "claim_id", [saved.ids[r.key] for r in written if r.key in stored])
        insert_rows(
            ClaimTerm,
            [
                row
                for r in written
                for row in claim_term_rows(saved.ids[r.key], r.columns, indexes[r.key])
            ],
        )

    _appearances_bulk_delete(
        claim_ids=[saved.ids[k] for k in saved.children if k in stored],
        user_id=_user_id(by),
        reason=reason,
    )
    appearance_rows, vias = [], []
    for key in saved.children:
        for position, appearance in enumerate(claims[key]["appearances"]):
            appearance_rows.append(
                {"claim_id": saved.ids[key], "position": position, **appearance_columns(appearance)}
            )
            vias.append(appearance.via)
    appearance_ids = insert_rows(Appearance, appearance_rows)
    history_record_bulk(
        Appearance, ids=appearance_ids, history_type=CREATED, reason=reason, user_id=_user_id(by)
    )
    insert_rows(
        AppearanceVia,
        [
            {"appearance_id": appearance_id, "source_id": source_ids[via_key]}
            for appearance_id, via in zip(appearance_ids, vias, strict=True)
            for via_key in dict.fromkeys(via)
        ],
    )

    to_check = set(saved.written_ids)
    with timings.phase("claims: recheck look-ups"):
        _recheck_add(to_check, recheck_source_ids, recheck_predicate_ids)
    claims_changed(claim_ids=to_check, derived_written=saved.written_ids)
    fact_documents_refresh(claim_ids=to_check)
    return saved


def _claims_derived_columns(
    *,
    records: Sequence[BulkRecord],
    claims: Mapping[str, dict],
    source_ids: Mapping[str, int],
    now,
) -> dict[str, WordingIndex]:
    """Add the derived columns to the columns of each record (claim_derived_columns) and
    return the wording index of each, by key."""
    wanted = {source_ids[a.source] for r in records for a in claims[r.key]["appearances"]}
    published = {
        source_id: values.PartialDate.from_date(day, values.Precision(precision))
        for source_id, day, precision in filter_in(
            Source.objects.filter(published__isnull=False).values_list(
                "id", "published", "published_precision"
            ),
            "id",
            wanted,
        )
    }
    indexer = WordingIndexer()
    indexer.prepare(record.columns["text"] for record in records)
    indexes = {}
    for record in records:
        dates = [
            published[source_ids[a.source]]
            for a in claims[record.key]["appearances"]
            if source_ids[a.source] in published
        ]
        derived, indexes[record.key] = claim_derived_columns(
            record.columns, published=dates, indexer=indexer, now=now
        )
        record.columns.update(derived)
    return indexes


def _recheck_add(
    to_check: set[int], recheck_source_ids: Collection[int], recheck_predicate_ids: Collection[int]
) -> None:
    if recheck_predicate_ids:
        to_check.update(
            filter_in(
                Claim.objects.values_list("id", flat=True), "predicate_id", recheck_predicate_ids
            )
        )
    if recheck_source_ids:
        to_check.update(
            filter_in(
                Appearance.objects.values_list("claim_id", flat=True),
                "source_id",
                recheck_source_ids,
            )
        )


def _claims_status_locked(*, claim_ids: Sequence[int]) -> dict[int, str]:
    """The claims' statuses, their rows locked until the transaction ends (a review of one of
    them waits for the import to commit)."""
    return dict(
        filter_in(Claim.objects.select_for_update().values_list("id", "status"), "id", claim_ids)
    )


def _appearances_bulk_delete(*, claim_ids: Sequence[int], user_id: int | None, reason: str):
    """Delete the appearances of the claims, their `via` links with them, after one history
    entry each naming the user. Not a queryset delete, which would send a signal and write the
    history entry row by row (and name no user outside a request)."""
    ids = list(filter_in(Appearance.objects.values_list("id", flat=True), "claim_id", claim_ids))
    if not ids:
        return
    history_record_bulk(Appearance, ids=ids, history_type=DELETED, reason=reason, user_id=user_id)
    for chunk in chunked(ids):
        AppearanceVia.objects.filter(appearance_id__in=chunk)._raw_delete(AppearanceVia.objects.db)
        Appearance.objects.filter(id__in=chunk)._raw_delete(Appearance.objects.db)


def _claims_materially_changed(
    *,
    records: Sequence[BulkRecord],
    stored_ids: Mapping[str, int],
    appearances: Mapping[str, list[tuple[dict, list[int]]]],
) -> dict[str, str]:
    """Of vetted claims about to be written, those whose change is material (claim_changes),
    with the history note of their return to review, by key. Reads their stored state in two
    queries; a batch that changes no vetted claim reads nothing."""
    if not records:
        return {}
    ids = [stored_ids[r.key] for r in records]
    before = {
        row["id"]: row for row in filter_in(Claim.objects.values("id", *MATERIAL_FIELDS), "id", ids)
    }
    stored_appearances: dict[int, list[dict]] = defaultdict(list)
    via_of: dict[int, list[int]] = defaultdict(list)
    rows = Appearance.objects.order_by("claim_id", "position").values(
        "id", "claim_id", *APPEARANCE_FIELDS
    )
    for row in filter_in(rows, "claim_id", ids):
        stored_appearances[row["claim_id"]].append(row)
    appearance_ids = [a["id"] for items in stored_appearances.values() for a in items]
    for appearance_id, source_id in filter_in(
        AppearanceVia.objects.values_list("appearance_id", "source_id"),
        "appearance_id",
        appearance_ids,
    ):
        via_of[appearance_id].append(source_id)
    demoted = {}
    for record in records:
        claim_id = stored_ids[record.key]
        fields = material_changes(before[claim_id], record.columns) if record.differs else []
        old = stored_appearances.get(claim_id, [])
        new = appearances[record.key]
        appearances_changed = record.children_differ and appearance_signature(
            old, {i: via_of[a["id"]] for i, a in enumerate(old)}
        ) != appearance_signature([c for c, _ in new], {i: v for i, (_, v) in enumerate(new)})
        if fields or appearances_changed:
            demoted[record.key] = demotion_reason(fields, appearances_changed)
    return demoted


@transaction.atomic  # within the caller's transaction: a savepoint
def relations_bulk_save(
    *, relations: Mapping[tuple[int, int, str], str], by, reason: str
) -> tuple[int, int, int]:
    """Create editor-asserted relations (from claim id, to claim id, type) with their notes and
    update the notes that changed; returns (created, updated, unchanged)."""
    if not relations:
        return 0, 0, 0
    existing = {
        (r["from_claim_id"], r["to_claim_id"], r["type"]): r
        for r in filter_in(
            ClaimRelation.objects.values("id", "from_claim_id", "to_claim_id", "type", "note"),
            "from_claim_id",
            {a for a, _, _ in relations},
        )
    }
    new, changed, unchanged = [], [], 0
    for (from_id, to_id, type_), note in relations.items():
        if from_id == to_id or type_ not in RelationType.values:
            raise ValidationError(f"no relation {type_!r} of claim {from_id} to {to_id}")
        old = existing.get((from_id, to_id, type_))
        if old is None:
            new.append(
                {"from_claim_id": from_id, "to_claim_id": to_id, "type": type_, "note": note}
            )
        elif old["note"] != note:
            changed.append({"id": old["id"], "note": note})
        else:
            unchanged += 1
    created_ids = insert_rows(ClaimRelation, new)
    update_rows(ClaimRelation, changed, ["note"])
    if is_tracked(ClaimRelation):
        history_record_bulk(
            ClaimRelation,
            ids=created_ids,
            history_type=CREATED,
            reason=reason,
            user_id=_user_id(by),
        )
        history_record_bulk(
            ClaimRelation,
            ids=[row["id"] for row in changed],
            history_type=CHANGED,
            reason=reason,
            user_id=_user_id(by),
        )
    return len(new), len(changed), unchanged
