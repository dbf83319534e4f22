"""Real Celery workers against the local Redis and the PostgreSQL test database.

Eager mode (no broker) has no acknowledgements, redelivery or concurrency, so it proves nothing
about reliability: these tests start `celery worker` subprocesses pointed at the test database
and publish to a Redis database of their own. Only a subprocess can be SIGKILLed meaningfully.
"""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import kombu.pools
import pytest
import redis
from django.db import connection

from tracker.celery import app

ROOT = Path(__file__).resolve().parents[2]
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# A Redis database of these tests' own, emptied before and after each test (another number for a
# second checkout running these tests on the same machine at the same time).
REDIS_DB = int(os.environ.get("TRACKER_TEST_REDIS_DB", "15"))
BROKER_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
# Nothing listens here: publishing fails at once (see `broker_down`).
DEAD_BROKER_URL = "redis://127.0.0.1:6390/0"
# The worker's connections carry this application_name prefix, so that teardown can wait until
# the database has seen the last of them.
APPLICATION_PREFIX = "it-worker-"
# Inherited variables that would change what a worker does: each test sets its own.
WORKER_VARIABLES = re.compile(r"^(CELERY_|CONTRADICTION_|DATABASE_URL$|DJANGO_SETTINGS_MODULE$)")


def wait_until(condition, *, timeout: float, interval: float = 0.1):
    """Poll `condition` until it returns something true; return that, or None at the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)


def subprocess_database_url(application_name: str) -> str:
    """The URL of the database this test session uses (test_tracker), for a subprocess."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return (
        f"postgres://{user}{password}@{host}{port}/{quote(db['NAME'], safe='')}"
        f"?application_name={application_name}"
    )


class Worker:
    """A `celery -A tracker worker` subprocess in a session (process group) of its own, its
    output in a file."""

    def __init__(self, *, label: str, log_dir: Path, env: dict[str, str], args: list[str]):
        self.name = f"{label}-{uuid.uuid4().hex[:6]}"
        self.nodename = f"{self.name}@localhost"
        self.log_path = log_dir / f"{self.name}.log"
        self.env = env
        self.args = args
        self.proc: subprocess.Popen | None = None

    def start(self, *, ready_timeout: float = 60) -> "Worker":
        inherited = {k: v for k, v in os.environ.items() if not WORKER_VARIABLES.match(k)}
        env = {
            **inherited,
            "DJANGO_SETTINGS_MODULE": "tracker.settings",
            "DATABASE_URL": subprocess_database_url(APPLICATION_PREFIX + self.name),
            "CELERY_BROKER_URL": BROKER_URL,
            "DEBUG": "true",
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tracker",
            "worker",
            "-n",
            self.nodename,
            "--pool",
            "prefork",
            "-l",
            "info",
            # Nothing to synchronise with: start faster.
            "--without-mingle",
            "--without-gossip",
            *self.args,
        ]
        with open(self.log_path, "ab") as log:
            # Our own interpreter running Celery with fixed arguments.
            self.proc = subprocess.Popen(  # noqa: S603
                command,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        ready = wait_until(
            lambda: f"{self.nodename} ready." in self.log() or self.proc.poll() is not None,
            timeout=ready_timeout,
        )
        if not ready or self.proc.poll() is not None:
            self.kill()
            pytest.fail(f"worker {self.nodename} did not start:\n{self.log()}")
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def children(self) -> list[int]:
        """The pids of the worker's direct children: its pool processes (and beat with -B)."""
        pids = []
        for task in Path(f"/proc/{self.proc.pid}/task").glob("*"):
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                pids += [int(p) for p in (task / "children").read_text().split()]
        return pids

    def kill(self) -> None:
        """SIGKILL the worker's whole process group and reap the worker."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)


@pytest.fixture
def redis_broker():
    """The tests' own Redis database, empty."""
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        client.close()
        pytest.fail(
            f"these tests need Redis at {REDIS_HOST}:{REDIS_PORT} ({exc}); start it with "
            f'redis-server --daemonize yes --bind 127.0.0.1 --port {REDIS_PORT} --save "" '
            f"--appendonly no"
        )
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def _reset_broker_connections() -> None:
    # The app keeps its broker connection pool and producer pool once made: drop them (closing
    # their connections) so that the next publish connects to the broker configured now.
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextlib.contextmanager
def publishing_to(broker_url: str, **options):
    """Make this process publish tasks to `broker_url` instead of running them eagerly.

    The Celery app read Django's settings once, at import: overriding settings does nothing,
    so its configuration is changed here, and put back after.
    """
    changes = {"broker_url": broker_url, "task_always_eager": False, **options}
    before = {key: app.conf[key] for key in changes}
    app.conf.update(changes)
    _reset_broker_connections()
    try:
        yield app
    finally:
        app.conf.update(before)
        _reset_broker_connections()


@pytest.fixture
def broker(redis_broker):
    """This process publishes to the tests' Redis database."""
    with publishing_to(BROKER_URL):
        yield redis_broker


@pytest.fixture
def broker_down(broker):
    """This process publishes to a broker that is not there, and fails at once instead of
    retrying for seconds."""
    with publishing_to(
        DEAD_BROKER_URL,
        broker_connection_retry=False,
        broker_connection_max_retries=0,
        task_publish_retry=False,
        broker_transport_options={**app.conf.broker_transport_options, "max_retries": 0},
    ):
        yield


def _worker_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name LIKE %s",
            [APPLICATION_PREFIX + "%"],
        )
        return cursor.fetchone()[0]


_WORKERS = pytest.StashKey[list]()


@pytest.fixture
def workers(transactional_db, broker, tmp_path, request):
    """Start workers with `workers(label, env={...}, args=[...])`. Teardown kills them before
    the test database is emptied and waits until their database sessions are gone; a failed
    test's report carries their output."""
    started: list[Worker] = []
    request.node.stash[_WORKERS] = started

    def start(label: str, *, env: dict[str, str] | None = None, args=()) -> Worker:
        worker = Worker(label=label, log_dir=tmp_path, env=env or {}, args=list(args))
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.kill()
    # A killed client's session ends when PostgreSQL notices: wait, or emptying the tables
    # after the test could wait on its locks.
    wait_until(lambda: _worker_backends() == 0, timeout=20, interval=0.2)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        for worker in item.stash.get(_WORKERS, []):
            report.sections.append((f"worker {worker.nodename}", worker.log()))
    return report
