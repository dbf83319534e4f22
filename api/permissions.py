"""Who may call what: the roles of the contract between review and API (editors, reviewers).

Every protected endpoint answers 401 without a token (or session) and 403 to a user whose
groups lack the permission. Permissions are Django's: editors hold add/change/view on the
records they write, reviewers also `claims.review_contradiction` and
`claims.change_claim_status` (see README, "API").
"""

from rest_framework import permissions

# Model permissions each HTTP method needs, DRF's DjangoModelPermissions map with reads
# protected too: a user outside the roles may not read the unpublished records either.
_METHOD_PERMS = {
    "GET": ["%(app_label)s.view_%(model_name)s"],
    "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    "HEAD": ["%(app_label)s.view_%(model_name)s"],
    "POST": ["%(app_label)s.add_%(model_name)s"],
    "PUT": ["%(app_label)s.change_%(model_name)s"],
    "PATCH": ["%(app_label)s.change_%(model_name)s"],
    "DELETE": ["%(app_label)s.delete_%(model_name)s"],
}


class HasModelPermissions(permissions.DjangoModelPermissions):
    """The view's model permission for the method, reads included; the default for every
    view, so that an endpoint is closed unless it says otherwise."""

    perms_map = _METHOD_PERMS


class HasPermissions(permissions.BasePermission):
    """Every permission a view lists in `required_permissions` (a dict of method to list)."""

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        needed = view.required_permissions.get(request.method, ())
        return request.user.has_perms(needed)
