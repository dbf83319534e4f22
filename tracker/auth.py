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


def client_ip(request) -> str | None:
    """The client's address as the API's throttles read it (DRF's NUM_PROXIES, from
    API_NUM_PROXIES): this many hops from the right of X-Forwarded-For, or the connection's
    address with no proxy. Login throttling (django-axes) counts failures per this address: behind
    a proxy, REMOTE_ADDR is the proxy's, and every user would share one lockout."""
    from rest_framework.settings import api_settings

    remote_addr = request.META.get("REMOTE_ADDR")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    proxies = api_settings.NUM_PROXIES or 0
    if proxies == 0 or not forwarded:
        return remote_addr
    hops = forwarded.split(",")
    return hops[-min(proxies, len(hops))].strip() or remote_addr
