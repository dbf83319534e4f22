"""Admin login throttling (django-axes): repeated failed logins lock the address and the account
out for a while; a success clears the count; behind a proxy the client's address counts."""

import io

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "the-right-password"  # noqa: S105 - a test user's


@pytest.fixture(autouse=True)
def login_throttling(settings):
    settings.AXES_ENABLED = True  # tests/conftest.py turns it off for every other test


@pytest.fixture
def admin_user_with_password(db):
    return get_user_model().objects.create_user(
        username="chief", password=PASSWORD, is_staff=True, is_superuser=True
    )


def log_in(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def test_the_defaults_count_five_failures_per_address_or_account_for_fifteen_minutes():
    assert django_settings.AXES_FAILURE_LIMIT == 5
    assert django_settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert django_settings.AXES_LOCKOUT_PARAMETERS == ["ip_address", "username"]
    assert django_settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert django_settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


def test_failed_logins_up_to_the_limit_lock_the_address_and_the_account_out(
    client, admin_user_with_password, settings
):
    limit = settings.AXES_FAILURE_LIMIT
    statuses = [log_in(client, "chief", f"guess-{n}").status_code for n in range(limit)]

    assert statuses == [200] * (limit - 1) + [429]
    # Locked out: the right password from the same address is refused without being checked.
    refused = log_in(client, "chief", PASSWORD)
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    # The account is locked from another address too, and the address for other accounts.
    assert log_in(client, "chief", PASSWORD, REMOTE_ADDR="192.0.2.9").status_code == 429
    get_user_model().objects.create_user(username="deputy", password=PASSWORD, is_staff=True)
    assert log_in(client, "deputy", PASSWORD).status_code == 429


def test_a_lockout_ends_when_it_is_reset(client, admin_user_with_password, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "chief", f"guess-{n}")

    call_command("axes_reset", stdout=io.StringIO())

    assert log_in(client, "chief", PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(admin_user_with_password.pk)


def test_a_successful_login_clears_the_failures_before_it(
    client, admin_user_with_password, settings
):
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "chief", f"guess-{n}")
    assert log_in(client, "chief", PASSWORD).status_code == 302
    client.logout()

    assert log_in(client, "chief", "one-more-guess").status_code == 200


def test_behind_a_proxy_each_client_address_is_counted_apart(
    client, admin_user_with_password, settings
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    settings.AXES_LOCKOUT_PARAMETERS = ["ip_address"]
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "nobody", f"guess-{n}", HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)

    locked = log_in(client, "chief", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    # A client can put anything left of the proxy's hop: only the proxy's own entry counts.
    spoofed = log_in(
        client, "chief", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.5, 198.51.100.7", **proxy
    )
    other = log_in(client, "chief", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy)

    assert locked.status_code == 429 and spoofed.status_code == 429
    assert other.status_code == 302
