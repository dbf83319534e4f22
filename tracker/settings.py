"""Settings for the tracker: one file, every value from the environment (see .env.example).

No DATABASE_URL means SQLite in the project folder; no CELERY_BROKER_URL means tasks run
in-process. DEBUG is on unless DEBUG=false, so that a bare `manage.py` works on a fresh
machine; production sets DEBUG=false (docker-compose.yml does) and then the tracker refuses to
start without a SECRET_KEY.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set: with DEBUG=false it is required (see .env.example)."
        )
    SECRET_KEY = "insecure-local-development-key-never-used-with-debug-off"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # The admin with the editors' desk as its front page (tracker/admin_site.py).
    "tracker.admin_site.TrackerAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "tracker.apps.ApiTokensConfig",  # django-rest-knox, named "API tokens" in the admin
    "sources",
    "claims",
    "api",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # In production, serves the collected static files (the admin's CSS and JavaScript) from
    # STATIC_ROOT under gunicorn; with DEBUG on, runserver serves them from the apps.
    *([] if DEBUG else ["whitenoise.middleware.WhiteNoiseMiddleware"]),
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tracker.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tracker" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "tracker.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A web process and an import command may write at once; wait instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

LOGIN_URL = "admin:login"

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)

# HTTPS. Production (DEBUG off) runs behind a TLS-terminating proxy (README, "Running in
# production"): plain-HTTP requests are redirected, browsers are told to use HTTPS only (HSTS,
# sent on HTTPS responses only), and the proxy's X-Forwarded-Proto says which requests came over
# HTTPS. Local work (DEBUG on) has none of it unless asked.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Only behind a proxy that sets the header itself: a client reaching gunicorn directly could send
# it and pass for HTTPS.
if env_bool("TRUST_X_FORWARDED_PROTO", not DEBUG):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp) on every page: the admin, the report page and the API's
# docs load scripts, styles, fonts and images from the tracker only, and run no inline script.
# Styles may be inline: the admin's widgets and the report's inline SVG charts set style
# attributes. Redoc runs its search in a worker made from a blob: URL. Nothing may frame a page
# (as X-Frame-Options: DENY says), and forms post only back to the tracker.
_CSP = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# true: the browser only reports what the policy would block (to try a change of it).
if env_bool("CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP
else:
    CONTENT_SECURITY_POLICY = _CSP

# The admin's change forms post every claim field; large claimsets go through the importer.
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("DATA_UPLOAD_MAX_NUMBER_FIELDS", 5000)

# Celery. No broker configured: tasks run in-process, at once, so the tracker works with
# nothing else running. With a broker, a real worker runs them (see README).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
# At-least-once delivery: a task is acknowledged after it ran, and a task whose worker
# process died is re-queued rather than acknowledged (acks_late alone loses it).
CELERY_TASK_ACKS_LATE = True
# An environment switch only so that a test can prove it sees the loss without it.
CELERY_TASK_REJECT_ON_WORKER_LOST = env_bool("CELERY_TASK_REJECT_ON_WORKER_LOST", True)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 25 * 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Must exceed the longest task, or Redis hands a running task to a second worker.
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 60 * 60),
}
CELERY_TIMEZONE = TIME_ZONE


def _crontab(name: str, default: str):
    """A five-field cron expression from the environment ("minute hour day month weekday")."""
    from celery.schedules import crontab

    fields = env_str(name, default).split()
    if len(fields) != 5:
        raise ImproperlyConfigured(f'{name} must have five cron fields, got "{" ".join(fields)}"')
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    return crontab(minute, hour, day_of_week, day_of_month, month_of_year)


# Contradiction detection (claims/services/detection.py, claims/tasks.py). Exactly one beat process
# sends these.
CELERY_BEAT_SCHEDULE = {
    # The full scan re-checks every claim, in chunks any worker can take. Nightly by default.
    "contradiction-scan": {
        "task": "claims.request_scan",
        "schedule": _crontab("CONTRADICTION_SCAN_CRON", "30 2 * * *"),
    },
    # Re-sends checks that never reached the broker and chunks whose tasks were lost.
    "contradiction-sweep": {
        "task": "claims.sweep",
        "schedule": float(env_int("CONTRADICTION_SWEEP_SECONDS", 60)),
    },
    # Keeps an edition of the contradiction report. Mondays at 06:00 by default.
    "contradiction-report": {
        "task": "claims.produce_report_edition",
        "schedule": _crontab("CONTRADICTION_REPORT_CRON", "0 6 * * 1"),
    },
}
# Days each report edition covers, ending the day before it is made.
CONTRADICTION_REPORT_DAYS = env_int("CONTRADICTION_REPORT_DAYS", 7)
# A claim still marked for a check this long after its change is re-sent by the sweeper.
CONTRADICTION_CHECK_OVERDUE_SECONDS = env_int("CONTRADICTION_CHECK_OVERDUE_SECONDS", 120)
# Claims per chunk of a full scan: what one worker holds in memory at a time.
CONTRADICTION_SCAN_CHUNK_CLAIMS = env_int("CONTRADICTION_SCAN_CHUNK_CLAIMS", 50_000)
CONTRADICTION_TEXT_CHUNK_CLAIMS = env_int("CONTRADICTION_TEXT_CHUNK_CLAIMS", 20_000)
# Chunks of each kind a scan is cut into (smaller ones than the sizes above, down to 1,000
# claims) so that workers share it: more than the workers, as chunks differ in cost.
CONTRADICTION_SCAN_CHUNKS = env_int("CONTRADICTION_SCAN_CHUNKS", 16)
# Chunks of a scan that has run this long are sent again (a chunk done twice changes nothing).
CONTRADICTION_SCAN_STALE_SECONDS = env_int("CONTRADICTION_SCAN_STALE_SECONDS", 30 * 60)
# Processes that analyse the wordings of a large import side by side (detection.WordingIndexer);
# 1: the importing process alone.
IMPORT_ANALYSIS_PROCESSES = env_int("IMPORT_ANALYSIS_PROCESSES", 2)

# The HTTP API (api/, claims/apis, sources/apis; README "API").
REST_FRAMEWORK = {
    # Tools send `Authorization: Token ...` (hashed tokens, api/authentication.py); a logged-in
    # admin user can also use the browsable API and the docs through the session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasModelPermissions"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.IdCursorPagination",
    # "Facts" rather than "Fact List Api" over the browsable API's pages.
    "VIEW_NAME_FUNCTION": "api.index.api_view_name",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "api.schema.TrackerAutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_ANON_RATE", "120/min"),
        "user": env_str("API_USER_RATE", "1200/min"),
    },
    # Proxies in front of the tracker that add X-Forwarded-For: the anonymous rate is counted
    # per client address, taken this many hops from the right. 0 reads REMOTE_ADDR only
    # (DRF's default, None, would trust whatever X-Forwarded-For a client sends).
    "NUM_PROXIES": env_int("API_NUM_PROXIES", 0),
    # The browsable API draws related-field dropdowns from whole tables: cap them.
    "HTML_SELECT_CUTOFF": 100,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Tokens for tools (manage.py create_api_token); only their hashes are stored.
REST_KNOX = {
    "TOKEN_TTL": None,  # each token gets its own expiry from create_api_token --days
    "AUTH_HEADER_PREFIX": "Token",
}
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 365)
# The largest claimset POST /api/v1/claimsets/ accepts, in bytes.
API_CLAIMSET_MAX_BYTES = env_int("API_CLAIMSET_MAX_BYTES", 50 * 1024 * 1024)
SPECTACULAR_SETTINGS = {
    "TITLE": "Claim tracker API",
    "DESCRIPTION": (
        "Vetted facts for consumers (no login, throttled) and ingest for newsroom tools "
        "(`Authorization: Token <token>`, from `manage.py create_api_token USERNAME`). "
        "Every error has one JSON shape: `status`, `code`, `message` and `errors` "
        "(each with the `path` of what is wrong)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs' assets come from drf-spectacular-sidecar, served by the tracker: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ContradictionStatusEnum": "claims.models.ContradictionStatus",
        "ClaimStatusEnum": "claims.models.ClaimStatus",
        "PrecisionEnum": "tracker.models.Precision",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Django's own default config gives "django" a console handler too: without this, every
    # line of it would be printed twice (once there, once by root).
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        # WeasyPrint logs every step of every PDF at INFO.
        "weasyprint": {"level": "WARNING"},
    },
}

# Review roles (claims/core/roles.py). Staff outside the editors and reviewers groups read only:
# tracker/auth.py grants every active staff user the view permissions of the tracker's apps.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "tracker.auth.StaffReadOnlyBackend",
]
# Track records of outlets and speakers (claims/services/credibility.py): a rating or status change
# recounts its outlets at once and sends the full recompute this many seconds later, so that a
# burst of changes costs one recompute. Must stay below CELERY_VISIBILITY_TIMEOUT.
TRACK_RECORD_RECOMPUTE_DELAY_SECONDS = env_int("TRACK_RECORD_RECOMPUTE_DELAY_SECONDS", 30)
CELERY_BEAT_SCHEDULE["track-records"] = {
    # Also nightly, for changes made without the services (imports of statuses, fixes by hand).
    "task": "claims.recompute_track_records",
    "kwargs": {"force": True},
    "schedule": _crontab("TRACK_RECORD_RECOMPUTE_CRON", "0 3 * * *"),
}

# History of reviewed rows (django-simple-history): who changed what, when, before and after,
# browsable from each object's admin page. The middleware records the request's user.
INSTALLED_APPS.append("simple_history")
MIDDLEWARE.append("simple_history.middleware.HistoryRequestMiddleware")
# Reverting from the history page would write around the services and their permission checks.
SIMPLE_HISTORY_REVERT_DISABLED = True

# Admin login throttling (django-axes): failed logins are counted in the database (shared by
# every web process) per client address and per username; at AXES_FAILURE_LIMIT the address or
# the account is refused (429) for AXES_COOLOFF_MINUTES, and a successful login clears its count.
# `manage.py axes_reset` (or axes_reset_username NAME) lifts a lockout at once. API tokens are
# not passwords and are not counted here.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_RESET_ON_SUCCESS = True


def _lockout_parameters(name: str, default: str) -> list:
    """ "ip_address,username" locks either; "username+ip_address" locks the pair only."""
    allowed = {"ip_address", "username", "user_agent"}
    parameters: list = []
    for item in env_list(name, default):
        fields = [field.strip() for field in item.split("+")]
        unknown = [field for field in fields if field not in allowed]
        if unknown:
            raise ImproperlyConfigured(
                f"{name}: {', '.join(unknown)} is not one of {', '.join(sorted(allowed))}"
            )
        parameters.append(fields[0] if len(fields) == 1 else fields)
    if not parameters:
        raise ImproperlyConfigured(f"{name} names nothing to count failures by")
    return parameters


AXES_LOCKOUT_PARAMETERS = _lockout_parameters("AXES_LOCKOUT_PARAMETERS", "ip_address,username")
# The client address behind API_NUM_PROXIES proxies, as the API's throttles read it.
AXES_CLIENT_IP_CALLABLE = "tracker.auth.client_ip"
INSTALLED_APPS.append("axes")
# First: a locked-out address or account is refused before any password is checked.
AUTHENTICATION_BACKENDS.insert(0, "axes.backends.AxesStandaloneBackend")
# Last, as django-axes requires: turns a lockout into its 429 response.
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
