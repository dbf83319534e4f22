"""Writes to supersessions by reviewers (spec: "Updates and corrections"; detection writes
them in claims/supersessions.py)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from claims.detection import claims_changed
from claims.models import Supersession, SupersessionStatus
from claims.roles import REVIEW_CONTRADICTION, require_permission
from claims.supersessions import claim_rows, fingerprint


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
    return supersession
