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
