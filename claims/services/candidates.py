"""Writes of the admin's "Propose claims" desk: accepted candidates become claims.

Each accepted candidate becomes one claim with its appearance in the source, through the
claim services (claim_apply_as_written reads its value as the import and the API do;
claim_save stores it and has its contradiction check run once the transaction commits). A new
source, pasted in by the editor, is stored in the same transaction: nothing is written before
the editor accepts, and nothing at all when one accepted candidate is invalid.
"""

import uuid
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from claims.core import values
from claims.models import Appearance, Claim, Predicate, ValueType
from claims.selectors.claims import claim_reference_date, predicate_ids_named
from claims.services.claims import (
    AppearanceInput,
    claim_apply_as_written,
    claim_key_generate,
    claim_save,
    predicate_save,
)
from sources.models import Entity, Source
from sources.services import source_save

# What accepting needs: entering claims and their appearances (the editors' role).
ACCEPT_PERMISSIONS = ("claims.add_claim", "claims.add_appearance")
NEW_SOURCE_PERMISSIONS = ("sources.add_source",)


@dataclass
class AcceptedCandidate:
    """A candidate as the editor accepted it, possibly edited."""

    kind: str  # "quantity" or "date": the value type of a predicate named anew
    text: str
    quote: str
    value_as_written: str
    subject: Entity | None = None
    predicate: Predicate | None = None
    new_predicate_name: str = ""
    negated: bool = False
    speaker: Entity | None = None
    speaker_description: str = ""
    stance: str = Appearance.Stance.ASSERTS


def candidates_accept(*, by, source: Source, accepted: list[AcceptedCandidate]) -> list[Claim]:
    """Store each accepted candidate as a claim appearing in source; returns the claims.

    source may be unsaved (an article pasted in): it is saved first, in the same transaction.
    Raises ValidationError whose error_dict maps "<index>.<field>" to messages, listing every
    candidate's problems; then nothing is written.
    """
    needed = ACCEPT_PERMISSIONS + (NEW_SOURCE_PERMISSIONS if source.pk is None else ())
    if by is None or not by.has_perms(needed):
        raise PermissionDenied("Accepting candidates takes the editors group.")
    with transaction.atomic():
        if source.pk is None:
            source = source_save(by=by, source=source)
        reference = claim_reference_date(source_ids=[source.pk])
        errors: dict[str, list[str]] = {}
        claims = []
        for index, candidate in enumerate(accepted):
            try:
                claims.append(_claim_from(candidate, source, reference, by=by))
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    errors.setdefault(f"{index}.{field}", []).extend(messages)
        if errors:  # raised inside the block: the source and every claim are rolled back
            raise ValidationError(errors)
    return claims


def _claim_from(
    candidate: AcceptedCandidate, source: Source, reference: values.PartialDate | None, *, by
) -> Claim:
    predicate = candidate.predicate or _predicate_named(
        candidate.new_predicate_name, candidate.kind, by=by
    )
    claim = Claim(
        key=claim_key_generate(),
        text=candidate.text.strip(),
        subject=candidate.subject,
        predicate=predicate,
        negated=candidate.negated,
        value_as_written=candidate.value_as_written,
    )
    if not claim.text:
        raise ValidationError({"text": "A claim needs its wording."})
    claim_apply_as_written(claim=claim, reference=reference)
    return claim_save(
        by=by,
        claim=claim,
        appearances=[
            AppearanceInput(
                source=source,
                quote=candidate.quote,
                speaker=candidate.speaker,
                speaker_description=candidate.speaker_description.strip(),
                stance=candidate.stance,
            )
        ],
    )


def _predicate_named(name: str, kind: str, *, by) -> Predicate:
    """The stored predicate of that name or alias, else a new one of the candidate's type
    (as a claimset naming an undeclared predicate creates it)."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"predicate": "Choose a predicate or name a new one."})
    ids = predicate_ids_named(name)
    if len(ids) > 1:
        raise ValidationError({"predicate": f'"{name}" names {len(ids)} predicates: choose one.'})
    if ids:
        return Predicate.objects.get(pk=ids[0])
    predicate = Predicate(
        key=f"predicate-{uuid.uuid4().hex[:12]}", name=name, value_type=ValueType(kind)
    )
    return predicate_save(by=by, predicate=predicate)
