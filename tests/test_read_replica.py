"""DATABASE_REPLICA_URL: the system log is read from the replica; everything else stays on the primary.

The live server's replica is the test database itself, reached through a second connection that is
read-only and named, so PostgreSQL shows which statements each connection ran
(`pg_stat_activity`): the log's reads must arrive on it, and no token, client or session
statement may (a write there would fail, and a read there could see a revoked token as live).
"""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from django.db import connection

from tests.kit.live import database_url

pytestmark = [pytest.mark.live, pytest.mark.postgres]

REPLICA = "rotor-replica-test"
GRANT = "app.oauth2.as.token.grant.access_token"  # client credentials at `default`


def replica_statements() -> list[str]:
    """The last statement of each of the live server's replica connections."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT query FROM pg_stat_activity WHERE application_name = %s AND datname = current_database()",
            [REPLICA],
        )
        return [row[0] for row in cursor.fetchall()]


def test_the_system_log_reads_the_replica_and_nothing_else_does(live_server_factory, live_db):
    from accounts.services import create_api_token, create_user
    from clients.services import create_app

    read_only = "options=-c%20default_transaction_read_only%3Don"
    server = live_server_factory(
        workers=2,
        extra_env={
            "DATABASE_REPLICA_URL": f"{database_url()}?application_name={REPLICA}&{read_only}",
            "ROTOR_TEST_LIVE_REPLICA": "1",
        },
    )
    suffix = uuid.uuid4().hex[:8]
    admin = create_user(username=f"replica-{suffix}@example.com", password="replica pw 12345", is_staff=True)
    api = {"Authorization": f"SSWS {create_api_token(admin, 'replica')[1]}", "Accept": "application/json"}
    app, secret = create_app(
        {"label": f"replica {suffix}", "application_type": "service", "grant_types": ["client_credentials"]}
    )

    def grant() -> int:
        data = {"grant_type": "client_credentials"}
        return requests.post(
            f"{server.url}/oauth2/default/v1/token", data=data, auth=(app.client_id, secret), timeout=30
        ).status_code

    since = (datetime.now(UTC) - timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%S.000Z")  # earlier tests' grants aside
    assert [grant() for _ in range(4)] == [200] * 4
    for _ in range(6):  # enough for both workers to answer
        response = requests.get(
            f"{server.url}/api/v1/logs",
            # this app's only: the live tests before it (a race of 3,000 grants) share the log and its last seconds
            params={"filter": f'eventType eq "{GRANT}" and actor.id eq "{app.public_id}"', "since": since},
            headers=api,
            timeout=30,
        )
        assert response.status_code == 200, response.text
        assert sum(e["actor"]["id"] == app.public_id for e in response.json()) == 4

    seen = replica_statements()
    assert seen and all("tokens_event" in query for query in seen), seen

    assert [grant() for _ in range(4)] == [200] * 4
    assert requests.get(f"{server.url}/api/v1/apps/{app.public_id}", headers=api, timeout=30).status_code == 200
    assert all("tokens_event" in query for query in replica_statements())


def test_a_replica_beside_sqlite_is_refused_at_startup():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env |= {"SECRET_KEY": "x" * 50, "DATABASE_REPLICA_URL": "postgres://postgres@127.0.0.1:5432/rotor"}
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "DATABASE_REPLICA_URL needs DATABASE_URL on PostgreSQL." in result.stderr


def test_an_unreachable_replica_leaves_the_log_on_the_primary(live_server_factory, live_db):
    from accounts.services import create_api_token, create_user
    from tests.kit.live import free_port

    dead = f"postgres://postgres@127.0.0.1:{free_port()}/nothing?connect_timeout=2"
    server = live_server_factory(workers=1, extra_env={"DATABASE_REPLICA_URL": dead, "ROTOR_TEST_LIVE_REPLICA": "1"})
    name = f"replica-{uuid.uuid4().hex[:8]}"
    admin = create_user(username=f"{name}@example.com", is_staff=True)
    api = {"Authorization": f"SSWS {create_api_token(admin, name)[1]}", "Accept": "application/json"}

    response = requests.get(
        f"{server.url}/api/v1/logs",
        params={"filter": 'eventType eq "system.api_token.create"'},
        headers=api,
        timeout=30,
    )

    assert response.status_code == 200, response.text
    assert any(name in e["displayMessage"] for e in response.json())  # read from the primary
