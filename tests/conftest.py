"""Shared fixtures. Database choice: DATABASE_URL if set, else local PostgreSQL if reachable, else SQLite."""

import os
from pathlib import Path

import pytest

(Path(__file__).parent / "artifacts").mkdir(exist_ok=True)


def is_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def pytest_report_header(config):
    url = os.environ.get("DATABASE_URL", "")
    return f"rotor database: {'PostgreSQL ' + url.split('@')[-1] if url.startswith('postgres') else 'SQLite'}"


def pytest_collection_modifyitems(config, items):
    """Run live-server tests last: they commit their data, which other tests must not see."""
    items.sort(key=lambda item: item.get_closest_marker("live") is not None)
    for item in items:
        if item.get_closest_marker("postgres") and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
            if os.environ.get("ROTOR_REQUIRE_POSTGRES"):
                raise pytest.UsageError("ROTOR_REQUIRE_POSTGRES is set but the tests are not on PostgreSQL")
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)"))


def pytest_terminal_summary(terminalreporter):
    db = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    skipped = terminalreporter.stats.get("skipped", [])
    terminalreporter.write_line(f"Database: {db}. Skipped for lack of PostgreSQL: {len(skipped)} test(s).")
    for report in skipped:
        terminalreporter.write_line(f"  skipped: {report.nodeid}")


@pytest.fixture(autouse=True)
def _fast_hasher_and_clean_caches(request, settings):
    """Fast password hashing for in-process tests (the live server keeps the real hashers)."""
    if request.node.get_closest_marker("live") is None:
        settings.PASSWORD_HASHERS = [
            "django.contrib.auth.hashers.MD5PasswordHasher",
            "clients.hashers.ClientSecretSHA256Hasher",
        ]
    from core import counters
    from tokens.oauth import client_cache, client_jwks
    from tokens.servers import keys, registry

    keys.clear_cache()
    client_cache.clear()
    client_jwks.clear()
    registry.clear_cache()
    counters.forget_batched()  # the OAuth limits' view of counters that the test database rolls back
    yield
    keys.clear_cache()
    client_cache.clear()
    client_jwks.clear()
    registry.clear_cache()
    counters.forget_batched()


@pytest.fixture
def owner(db):
    """An admin: staff, signs in to the console."""
    from accounts.models import User

    return User.objects.create_user(
        "admin@example.com",
        "admin@example.com",
        "correct horse battery",
        is_staff=True,
        first_name="Ada",
        last_name="Admin",
    )


@pytest.fixture
def end_user(db):
    from accounts.models import User

    return User.objects.create_user(
        "alice@example.com", "alice@example.com", "alice password 1", first_name="Alice", last_name="Liddell"
    )


@pytest.fixture
def other_user(db):
    """Someone without rights: not staff."""
    from accounts.models import User

    return User.objects.create_user("mallory@example.com", "mallory@example.com", "mallory password 1")


@pytest.fixture
def make_app(db):
    """Create an app through the same service the console and API use; returns (app, secret)."""
    from clients.services import create_app

    def make(**data):
        data.setdefault("label", "Test app")
        data.setdefault("application_type", "web")
        if data["application_type"] != "service":
            data.setdefault("redirect_uris", ["https://app.example.com/callback"])
        return create_app(data)

    return make


@pytest.fixture
def confidential_app(make_app):
    app, secret = make_app(
        label="Confidential web app", application_type="web", grant_types=["authorization_code", "refresh_token"]
    )
    app.plain_secret = secret
    return app


@pytest.fixture
def public_app(make_app):
    app, _ = make_app(
        label="Single-page app",
        application_type="browser",
        grant_types=["authorization_code", "refresh_token"],
        trusted_origins=["https://spa.example.com"],
    )
    return app


@pytest.fixture
def signed_in(client, end_user):
    """The test client, signed in as the end user."""
    client.force_login(end_user)
    return client


@pytest.fixture
def issued(client, confidential_app, end_user):
    """The token response of a whole code flow of `end_user` with `confidential_app` (the client is signed out)."""
    from tests.kit.oauth import tokens_for

    return tokens_for(client, confidential_app, end_user, secret=confidential_app.plain_secret)


@pytest.fixture
def tv_app(make_app):
    """A native, public app with the device grant (tests.kit.device.tv_app_data)."""
    from tests.kit.device import tv_app_data

    app, _ = make_app(**tv_app_data())
    return app


@pytest.fixture
def rotating_app(make_app):
    """A single-page app with rotating refresh tokens and a 30-second grace period."""
    app, _ = make_app(
        label="SPA",
        application_type="browser",
        grant_types=["authorization_code", "refresh_token"],
        rotation_type="ROTATE",
        leeway=30,
    )
    return app


@pytest.fixture
def static_app(make_app):
    """A confidential web app with persistent (STATIC) refresh tokens; its secret as `plain_secret`."""
    app, secret = make_app(label="Web", application_type="web", grant_types=["authorization_code", "refresh_token"])
    app.plain_secret = secret
    return app


@pytest.fixture
def console_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker):
    """Always create the test database, also for a run of live tests alone (they use `live_db`, not `db`)."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        config = setup_databases(verbosity=0, interactive=False, aliases={"default"}, serialized_aliases=set())
    yield
    with django_db_blocker.unblock():
        teardown_databases(config, verbosity=0)


@pytest.fixture(scope="session")
def live_server_factory(django_db_setup, django_db_blocker):
    """Start extra servers on the test database (e.g. two nodes sharing it): the production server
    (config/serve.py), or `server="gunicorn"` (config/gunicorn.py)."""
    from tests.kit.live import LiveServer

    servers = []

    def start(workers: int = 2, extra_env: dict | None = None, server: str = "production") -> LiveServer:
        started = LiveServer(workers=workers, extra_env=extra_env, server=server)
        servers.append(started)
        return started

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def live(live_server_factory):
    """The shared live server: the production server (config/serve.py), 4 workers, DEBUG off, on the test database."""
    return live_server_factory(workers=4)


@pytest.fixture
def live_db(django_db_setup, django_db_blocker):
    """Database access that commits, so the live server sees it. Use unique names: nothing is flushed."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def api_token(owner):
    """A management-API token of the admin `owner` (plaintext)."""
    from accounts.services import create_api_token

    return create_api_token(owner, "tests")[1]


@pytest.fixture
def api_client(api_token):
    """A DRF test client sending `Authorization: SSWS <owner's token>` and JSON bodies."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"SSWS {api_token}")
    client.default_format = "json"
    return client


@pytest.fixture
def request_lines():
    """The request logger on (as LOG_FORMAT=json turns it on), its lines formatted as JSON, as a list."""
    import logging

    from core.ops.jsonlog import REQUEST_LOGGER, JsonFormatter

    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(REQUEST_LOGGER)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lines
    logger.removeHandler(handler)
    logger.setLevel(level)
