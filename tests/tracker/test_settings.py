import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ("DEBUG", "SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL")
PRINT_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
database = settings.DATABASES["default"]
print(json.dumps({
    "engine": database["ENGINE"],
    "name": str(database["NAME"]),
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
}))
"""


def load_settings(**env: str) -> subprocess.CompletedProcess:
    """Load the settings in a fresh interpreter with only these configuration variables set."""
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG}
    return subprocess.run(  # noqa: S603 - our own interpreter running a fixed script
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=ROOT,
        env={**clean, **env, "DJANGO_SETTINGS_MODULE": "tracker.settings"},
        capture_output=True,
        text=True,
        check=False,
    )


def loaded(**env: str) -> dict:
    run = load_settings(**env)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_refuses_to_start_with_debug_off_and_no_secret_key():
    run = load_settings(DEBUG="false")

    assert run.returncode != 0
    assert "SECRET_KEY is not set" in run.stderr


def test_starts_with_debug_off_and_a_secret_key():
    assert loaded(DEBUG="false", SECRET_KEY="a-long-random-production-key")["engine"]


def test_no_database_url_means_sqlite_in_the_project_folder():
    settings = loaded(DEBUG="true")

    assert settings["engine"] == "django.db.backends.sqlite3"
    assert settings["name"] == str(ROOT / "db.sqlite3")


def test_database_url_selects_postgresql():
    settings = loaded(DEBUG="true", DATABASE_URL="postgres://u@db.example:5432/tracker")

    assert settings["engine"] == "django.db.backends.postgresql"


def test_no_broker_means_tasks_run_in_process_and_a_broker_means_workers():
    assert loaded(DEBUG="true")["eager"] is True
    assert loaded(DEBUG="true", CELERY_BROKER_URL="redis://127.0.0.1:6379/0")["eager"] is False


def test_a_malformed_boolean_is_refused_with_its_name():
    run = load_settings(DEBUG="maybe")

    assert run.returncode != 0
    assert "DEBUG must be true or false" in run.stderr


def test_a_bare_start_is_a_debug_run_that_needs_no_secret_key():
    assert loaded()["engine"] == "django.db.backends.sqlite3"


PRINT_SECURITY = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "hsts_seconds": settings.SECURE_HSTS_SECONDS,
    "hsts_subdomains": settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "hsts_preload": settings.SECURE_HSTS_PRELOAD,
    "proxy_ssl_header": settings.SECURE_PROXY_SSL_HEADER,
    "csp": getattr(settings, "CONTENT_SECURITY_POLICY", None),
    "csp_report_only": getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None),
    "csp_middleware": "csp.middleware.CSPMiddleware" in settings.MIDDLEWARE,
    "axes": [settings.AXES_ENABLED, settings.AXES_FAILURE_LIMIT,
             settings.AXES_COOLOFF_TIME.total_seconds(), settings.AXES_LOCKOUT_PARAMETERS],
}))
"""
SECURITY_CONFIG = (
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "TRUST_X_FORWARDED_PROTO",
    "CSP_REPORT_ONLY",
    "AXES_ENABLED",
    "AXES_FAILURE_LIMIT",
    "AXES_COOLOFF_MINUTES",
    "AXES_LOCKOUT_PARAMETERS",
)


def load_security(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG + SECURITY_CONFIG}
    return subprocess.run(  # noqa: S603 - our own interpreter running a fixed script
        [sys.executable, "-c", PRINT_SECURITY],
        cwd=ROOT,
        env={**clean, **env, "DJANGO_SETTINGS_MODULE": "tracker.settings"},
        capture_output=True,
        text=True,
        check=False,
    )


def security(**env: str) -> dict:
    run = load_security(**env)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.splitlines()[-1])


PRODUCTION = {"DEBUG": "false", "SECRET_KEY": "a-long-random-production-key"}


def test_production_redirects_to_https_sends_hsts_and_trusts_the_proxy_header():
    loaded = security(**PRODUCTION)

    assert loaded["ssl_redirect"] is True
    assert loaded["hsts_seconds"] == 31_536_000
    assert loaded["hsts_subdomains"] is True and loaded["hsts_preload"] is False
    assert loaded["proxy_ssl_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_local_work_has_no_https_redirect_hsts_or_proxy_header():
    loaded = security(DEBUG="true")

    assert loaded["ssl_redirect"] is False
    assert loaded["hsts_seconds"] == 0 and loaded["hsts_subdomains"] is False
    assert loaded["proxy_ssl_header"] is None


def test_https_settings_follow_the_environment():
    loaded = security(
        **PRODUCTION,
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="3600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="false",
        SECURE_HSTS_PRELOAD="true",
        TRUST_X_FORWARDED_PROTO="false",
    )

    assert loaded["ssl_redirect"] is False
    assert loaded["hsts_seconds"] == 3600
    assert loaded["hsts_subdomains"] is False and loaded["hsts_preload"] is True
    assert loaded["proxy_ssl_header"] is None


def test_the_content_security_policy_runs_only_the_trackers_own_scripts_or_only_reports():
    enforced = security(**PRODUCTION)
    report_only = security(**PRODUCTION, CSP_REPORT_ONLY="true")

    assert enforced["csp_middleware"] is True
    directives = enforced["csp"]["DIRECTIVES"]
    assert directives["script-src"] == ["'self'"] and directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert enforced["csp_report_only"] is None
    assert report_only["csp"] is None and report_only["csp_report_only"] == enforced["csp"]


def test_login_throttling_follows_the_environment():
    assert security(DEBUG="true")["axes"] == [True, 5, 900.0, ["ip_address", "username"]]
    loaded = security(
        DEBUG="true",
        AXES_ENABLED="false",
        AXES_FAILURE_LIMIT="10",
        AXES_COOLOFF_MINUTES="60",
        AXES_LOCKOUT_PARAMETERS="username+ip_address, ip_address",
    )
    assert loaded["axes"] == [False, 10, 3600.0, [["username", "ip_address"], "ip_address"]]


def test_an_unknown_lockout_parameter_is_refused_with_its_name():
    run = load_security(DEBUG="true", AXES_LOCKOUT_PARAMETERS="username+cookie")

    assert run.returncode != 0
    assert "AXES_LOCKOUT_PARAMETERS: cookie is not one of" in run.stderr


def test_the_production_setup_passes_djangos_https_and_cookie_deployment_checks():
    run = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in CONFIG + SECURITY_CONFIG},
            **PRODUCTION,
            "SECRET_KEY": "a-long-random-production-key-" + "x" * 40,
            "ALLOWED_HOSTS": "tracker.example.org",
        },
        capture_output=True,
        text=True,
        check=False,
    )

    assert run.returncode == 0, run.stderr
    # HSTS, its subdomains, the HTTPS redirect, secure cookies, the secret key, ALLOWED_HOSTS.
    # (W021, "no HSTS preload", is left: joining the browsers' preload list is the operator's
    # call, SECURE_HSTS_PRELOAD.)
    for check in ("W004", "W005", "W008", "W009", "W012", "W016", "W020"):
        assert f"security.{check}" not in run.stderr
