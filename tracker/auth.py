"""Read access for every staff user.

Staff in neither the editors nor the reviewers group read only: this backend grants every
active staff user the `view_*` permissions of the tracker's own apps (and so their admin
pages), and nothing else. Everything that changes data takes a group's permissions, checked by
Django's ModelBackend and by the services (claims/core/roles.py).
"""

from django.contrib.auth.backends import BaseBackend

READABLE_APPS = frozenset({"claims", "sources"})


def _is_staff(user) -> bool:
    return bool(user.is_active and user.is_staff)


class StaffReadOnlyBackend(BaseBackend):
    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        app_label, _, codename = perm.partition(".")
        return _is_staff(user_obj) and app_label in READABLE_APPS and codename.startswith("view_")

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        return _is_staff(user_obj) and app_label in READABLE_APPS
