"""The roles of the tracker and the permissions the services check.

Two groups, made by migration claims/0006_review_groups: editors enter and edit outlets,
sources, entities, claims and appearances; reviewers do all that and also rate claims, change
their status, decide on contradictions and grade outlets. Staff in neither group read only
(tracker/auth.py). Superusers may do everything.
"""

from django.core.exceptions import PermissionDenied

EDITORS = "editors"
REVIEWERS = "reviewers"

RATE_CLAIM = "claims.rate_claim"
CHANGE_CLAIM_STATUS = "claims.change_claim_status"
REVIEW_CONTRADICTION = "claims.review_contradiction"
GRADE_OUTLET = "sources.grade_outlet"

_WHAT = {
    RATE_CLAIM: "rate claims",
    CHANGE_CLAIM_STATUS: "change the status of claims",
    REVIEW_CONTRADICTION: "confirm, dismiss or resolve contradictions",
    GRADE_OUTLET: "grade outlets",
}


def require_permission(user, permission: str) -> None:
    """Raise PermissionDenied unless `user` holds `permission` (a reviewer's, or a superuser)."""
    if user is None or not user.has_perm(permission):
        who = getattr(user, "username", None) or "nobody"
        raise PermissionDenied(
            f"{who} may not {_WHAT.get(permission, permission)}: it takes the reviewers group."
        )
