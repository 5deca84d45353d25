"""client_credentials reuses the app it authenticated a moment ago, and no change to that app waits for it.

Each worker keeps the apps that passed client authentication for client_credentials
(tokens/oauth/client_cache.py), so a service's repeated calls skip loading its app: one statement per
grant instead of two. What an admin changes must still apply to the very next request, in this
process and in every other: a rotated secret, a deactivation, a removed grant type. The in-process
tests below change the app while this process holds it; the live test does the same to four
gunicorn workers that have all served the app.
"""

import base64
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Event
from core.systemlog import grants
from tests.kit.oauth import AUTH_FAILED, token_request

pytestmark = pytest.mark.postgres  # the cache belongs to the PostgreSQL fast path (tokens/lifecycle/postgres.py)

GRANTED = "app.oauth2.as.token.grant.access_token"  # at `default`: the org server has no custom scopes


@pytest.fixture
def service(make_app):
    return make_app(label="Nightly export", application_type="service", grant_types=["client_credentials"])


def cc(client, app, secret, **data):
    return token_request(client, {"grant_type": "client_credentials", **data}, app=app, secret=secret, server="default")


def statements(client, app, secret) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = cc(client, app, secret)
    assert response.status_code == 200, response.content
    return len([q for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]])


def grants_logged(app) -> int:
    return Event.objects.filter(grants.of_type(GRANTED), app_id=app.public_id).count()


def test_a_service_that_called_before_costs_one_statement(client, service):
    from tokens.oauth import client_cache

    app, secret = service
    assert cc(client, app, secret).status_code == 200  # loads the signing key, as a worker's first request does
    client_cache.clear()

    assert statements(client, app, secret) == 2  # load the app, log the grant
    assert statements(client, app, secret) == 1  # log the grant, confirming the app unchanged
    assert statements(client, app, secret) == 1
    assert grants_logged(app) == 4


def test_a_rotated_secret_is_refused_at_once(client, service):
    from clients.services import rotate_secret

    app, old = service
    assert cc(client, app, old).status_code == 200
    new = rotate_secret(app)

    refused = cc(client, app, old)

    assert refused.status_code == 401 and refused.json() == AUTH_FAILED
    assert grants_logged(app) == 1  # nothing logged, nothing signed for the old secret
    assert Event.objects.filter(event_type="app.oauth2.invalid_client_credentials", app_id=app.public_id).count() == 1
    assert cc(client, app, new).status_code == 200
    assert cc(client, app, old).status_code == 401


def test_a_new_secret_is_accepted_at_once_while_the_old_row_is_cached(client, service):
    """The cached row does not know the new secret; that is a miss, not a refusal."""
    from clients.services import rotate_secret

    app, old = service
    assert cc(client, app, old).status_code == 200
    new = rotate_secret(app)

    assert cc(client, app, new).status_code == 200
    assert cc(client, app, old).json() == AUTH_FAILED


def test_a_secret_changed_behind_the_services_back_is_refused_at_once(client, service):
    """The confirmation compares the secret itself, not only `updated`."""
    from django.contrib.auth.hashers import make_password

    from clients.models import Application

    app, old = service
    assert cc(client, app, old).status_code == 200
    Application.objects.filter(pk=app.pk).update(client_secret=make_password("a" * 64))

    assert cc(client, app, old).status_code == 401
    assert cc(client, app, "a" * 64).status_code == 200


def test_deactivation_and_activation_apply_to_the_next_request(client, service):
    from clients.services import activate_app, deactivate_app

    app, secret = service
    assert cc(client, app, secret).status_code == 200

    deactivate_app(app)
    assert cc(client, app, secret).json() == AUTH_FAILED

    activate_app(app)
    assert cc(client, app, secret).status_code == 200


def test_a_removed_grant_type_applies_to_the_next_request(client, make_app):
    from clients.services import update_app

    app, secret = make_app(
        label="Web app with a job",
        application_type="web",
        grant_types=["authorization_code", "client_credentials"],
    )
    assert cc(client, app, secret).status_code == 200

    update_app(app, {"grant_types": ["authorization_code"]})

    refused = cc(client, app, secret)
    assert refused.status_code == 400 and refused.json()["error"] == "unauthorized_client"
    assert grants_logged(app) == 1


def test_bad_credentials_are_never_decided_by_the_cache(client, service, make_app):
    app, secret = service
    assert cc(client, app, secret).status_code == 200

    assert cc(client, app, "wrong" * 10).json() == AUTH_FAILED
    assert cc(client, app, secret, scope="openid").json()["error"] == "invalid_scope"
    assert cc(client, app, secret).status_code == 200


def _burst(base: str, client_id: str, secret: str, n: int = 40) -> list[int]:
    auth = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()

    def one(_):
        response = requests.post(
            f"{base}/oauth2/default/v1/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": auth},
            timeout=30,
        )
        return response.status_code

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(n)))


@pytest.mark.live
def test_every_worker_refuses_a_rotated_secret_and_a_deactivated_app_at_once(live, live_db):
    """Four workers, each of which has served the service, then the admin acts once."""
    import uuid

    from clients.services import create_app, deactivate_app, rotate_secret

    app, old = create_app(
        {"label": f"cache {uuid.uuid4().hex[:6]}", "application_type": "service", "grant_types": ["client_credentials"]}
    )
    assert set(_burst(live.url, app.client_id, old)) == {200}

    new = rotate_secret(app)
    assert set(_burst(live.url, app.client_id, old)) == {401}
    assert set(_burst(live.url, app.client_id, new)) == {200}

    deactivate_app(app)
    assert set(_burst(live.url, app.client_id, new)) == {401}
