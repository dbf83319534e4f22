"""Writing one claim as a whole, with its appearances: what the API's claim endpoints call.

Kept apart from services.py (the admin's and the importer's helpers) because a claim written
over the API arrives whole: fields, references already resolved, and optionally the complete
list of its appearances, which replaces the stored one (as a claimset does).
"""

import datetime
from dataclasses import dataclass, field

from django.db import transaction

from claims.models import Appearance, AppearanceVia, Claim
from claims.services.detection import claims_changed
from sources.models import Entity, Source
from tracker.errors import ApplicationError


@dataclass
class AppearanceInput:
    source: Source
    quote: str = ""
    speaker: Entity | None = None
    speaker_description: str = ""
    stance: str = Appearance.Stance.ASSERTS
    via: list[Source] = field(default_factory=list)


class StaleClaim(ApplicationError):
    """The claim changed since the version the writer read."""


def claim_save(
    *,
    claim: Claim,
    appearances: list[AppearanceInput] | None,
    expected_updated_at: datetime.datetime | None = None,
) -> Claim:
    """Save a validated claim and, when given, replace its appearances; then have its
    contradiction check (and derived columns) run on commit (claims_changed).

    `expected_updated_at`: the version the writer read; if the stored claim has changed since,
    StaleClaim is raised and nothing is written.
    """
    with transaction.atomic():
        if claim.pk is not None:
            # Locked so that a concurrent write cannot slip between the version check and the
            # save, and two appearance replacements do not interleave.
            stored = Claim.objects.select_for_update().only("updated_at").get(pk=claim.pk)
            if expected_updated_at is not None and stored.updated_at != expected_updated_at:
                raise StaleClaim(
                    f"claim {claim.key} changed at {stored.updated_at.isoformat()}, after the "
                    f"version sent ({expected_updated_at.isoformat()}): read it again"
                )
        claim.save()
        if appearances is not None:
            Appearance.objects.filter(claim=claim).delete()
            rows = Appearance.objects.bulk_create(
                [
                    Appearance(
                        claim=claim,
                        position=position,
                        source=a.source,
                        quote=a.quote,
                        speaker=a.speaker,
                        speaker_description=a.speaker_description,
                        stance=a.stance,
                    )
                    for position, a in enumerate(appearances)
                ]
            )
            AppearanceVia.objects.bulk_create(
                [
                    AppearanceVia(appearance=row, source=source)
                    for row, a in zip(rows, appearances, strict=True)
                    for source in dict.fromkeys(a.via)
                ]
            )
        claims_changed(claim_ids=[claim.pk])
    return claim
