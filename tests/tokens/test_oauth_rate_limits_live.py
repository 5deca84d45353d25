"""Two gunicorn servers share one OAuth failure limit, with the counters in Redis and in the database:
wrong secrets sent alternately to both add up, and past the limit both refuse the right secret."""

import uuid

import pytest
import requests

from tests.kit.limits import REDIS_TEST_URL, clean_redis, wait_for_a_fresh_window

pytestmark = [pytest.mark.live]

LIMIT = 6


def _grant(server, client_id: str, secret: str) -> requests.Response:
    data = {"grant_type": "client_credentials", "scope": "api:read"}
    return requests.post(f"{server.url}/oauth2/default/v1/token", data=data, auth=(client_id, secret), timeout=10)


@pytest.mark.parametrize("store", ["database", "redis"])
def test_two_servers_share_the_failure_limit(live_server_factory, live_db, store):
    from clients.services import create_app
    from core.systemlog.models import Event

    env = {
        "REDIS_URL": REDIS_TEST_URL if store == "redis" else "",
        "ROTOR_OAUTH_AUTH_FAILURES_PER_MINUTE": str(LIMIT),
        "ROTOR_OAUTH_IP_AUTH_FAILURES_PER_MINUTE": "0",  # other live tests share 127.0.0.1
    }
    if store == "redis":
        clean_redis()
    servers = [live_server_factory(workers=2, extra_env=env) for _ in range(2)]
    app, secret = create_app(
        {
            "label": f"Shared limit {store} {uuid.uuid4().hex[:8]}",
            "application_type": "service",
            "grant_types": ["client_credentials"],
        }
    )
    wait_for_a_fresh_window()
    assert all(_grant(server, app.client_id, secret).status_code == 200 for server in servers)

    wrong = [_grant(servers[i % 2], app.client_id, f"wrong secret {i:04}").status_code for i in range(LIMIT)]
    assert wrong == [401] * LIMIT
    for server in servers:
        refused = _grant(server, app.client_id, secret)
        assert refused.status_code == 429, refused.text
        assert refused.json()["error"] == "slow_down"
        assert refused.headers["X-Rate-Limit-Limit"] == str(LIMIT)
        assert 1 <= int(refused.headers["Retry-After"]) <= 60

    events = Event.objects.filter(event_type="app.oauth2.invalid_client_credentials", app_id=app.public_id)
    assert [e.debug_data["failures"] for e in events] == [LIMIT]  # one event for both servers' failures
    if store == "redis":
        clean_redis()
