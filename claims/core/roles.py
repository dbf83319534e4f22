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
# Editors' model permissions (claims/migrations/0006_review_groups), checked by the services.
ADD_CLAIM = "claims.add_claim"
CHANGE_CLAIM = "claims.change_claim"
ADD_SOURCE = "sources.add_source"
CHANGE_SOURCE = "sources.change_source"
ADD_OUTLET = "sources.add_outlet"
CHANGE_OUTLET = "sources.change_outlet"
ADD_ENTITY = "sources.add_entity"
CHANGE_ENTITY = "sources.change_entity"
ADD_PREDICATE = "claims.add_predicate"
CHANGE_PREDICATE = "claims.change_predicate"
ADD_RELATION = "claims.add_claimrelation"
CHANGE_RELATION = "claims.change_claimrelation"

_REVIEWERS_ONLY = (RATE_CLAIM, CHANGE_CLAIM_STATUS, REVIEW_CONTRADICTION, GRADE_OUTLET)
_WHAT = {
    RATE_CLAIM: "rate claims",
    CHANGE_CLAIM_STATUS: "change the status of claims",
    REVIEW_CONTRADICTION: "confirm, dismiss or resolve contradictions",
    GRADE_OUTLET: "grade outlets",
    ADD_CLAIM: "add claims",
    CHANGE_CLAIM: "change claims",
    ADD_SOURCE: "add sources",
    CHANGE_SOURCE: "change sources",
    ADD_OUTLET: "add outlets",
    CHANGE_OUTLET: "change outlets",
    ADD_ENTITY: "add entities",
    CHANGE_ENTITY: "change entities",
    ADD_PREDICATE: "add predicates",
    CHANGE_PREDICATE: "change predicates",
    ADD_RELATION: "add claim relations",
    CHANGE_RELATION: "change claim relations",
}


def require_permission(user, permission: str) -> None:
    """Raise PermissionDenied unless `user` holds `permission` (a reviewer's, or a superuser)."""
    if user is None or not user.has_perm(permission):
        who = getattr(user, "username", None) or "nobody"
        raise PermissionDenied(
            f"{who} may not {_WHAT.get(permission, permission)}: it takes the "
            f"{'reviewers' if permission in _REVIEWERS_ONLY else 'editors or reviewers'} group."
        )
