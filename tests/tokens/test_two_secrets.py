"""Two active client secrets: a service switches from one to the other without downtime, and a deactivated
one is refused at the next request, on every worker, although every worker has the app cached."""

import base64
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from clients import credentials
from clients.models import Application
from core.models import Event
from tests.kit.oauth import AUTH_FAILED, token_request


@pytest.fixture
def service(make_app):
    return make_app(label="Nightly export", application_type="service", grant_types=["client_credentials"])


def cc(client, app, secret):
    return token_request(client, {"grant_type": "client_credentials"}, app=app, secret=secret, server="default")


def test_both_secrets_work_and_a_deactivated_one_stops(client, service):
    app, first = service
    row, second = credentials.create_secret(app)

    assert cc(client, app, first).status_code == 200
    assert cc(client, app, second).status_code == 200

    old = app.secrets.exclude(pk=row.pk).get()
    credentials.set_status(app, old, "INACTIVE")
    assert cc(client, app, first).json() == AUTH_FAILED
    assert cc(client, app, second).status_code == 200

    credentials.set_status(app, old, "ACTIVE")  # reactivated: it works again
    assert cc(client, app, first).status_code == 200


def test_a_refresh_works_with_either_secret(client, confidential_app, end_user):
    from tests.kit.oauth import refresh, tokens_for

    _, second = credentials.create_secret(confidential_app)
    issued = tokens_for(client, confidential_app, end_user, secret=confidential_app.plain_secret)
    refreshed = refresh(client, confidential_app, issued["refresh_token"], secret=second)
    assert refreshed.status_code == 200, refreshed.json()


@pytest.mark.postgres
def test_a_deactivation_beats_the_client_cache(client, service):
    """The cached row's `client_secret` and `updated` no longer match: the grant's confirmation fails,
    the row is read again, and the deactivated secret is refused without a grant being logged."""
    from tokens.oauth import client_cache

    app, first = service
    _, second = credentials.create_secret(app)
    for secret in (first, second, first):
        assert cc(client, app, secret).status_code == 200
    assert client_cache.get(app.client_id) is not None  # warm

    old = app.secrets.order_by("created", "id").first()
    credentials.set_status(app, old, "INACTIVE")
    granted = Event.objects.filter(event_type="app.oauth2.token.grant.access_token", app_id=app.public_id).count()

    assert cc(client, app, first).json() == AUTH_FAILED
    assert Event.objects.filter(event_type="app.oauth2.token.grant.access_token", app_id=app.public_id).count() == (
        granted
    )
    assert cc(client, app, second).status_code == 200


def test_secret_changes_move_updated_and_the_app_row(service):
    app, _ = service
    before = Application.objects.get(pk=app.pk)
    row, value = credentials.create_secret(app)
    after = Application.objects.get(pk=app.pk)
    assert after.updated > before.updated and len(after.client_secret.split()) == 2

    credentials.set_status(app, row, "INACTIVE")
    deactivated = Application.objects.get(pk=app.pk)
    assert deactivated.updated > after.updated and len(deactivated.client_secret.split()) == 1
    assert value not in deactivated.client_secret  # only hashes, never the value


def test_events_name_the_secret_never_its_value(service):
    app, _ = service
    row, value = credentials.create_secret(app)
    credentials.set_status(app, app.secrets.exclude(pk=row.pk).get(), "INACTIVE")
    events = Event.objects.filter(event_type__startswith="app.oauth2.credentials.lifecycle.", app_id=app.public_id)
    assert sorted(e.event_type for e in events) == [
        "app.oauth2.credentials.lifecycle.create",
        "app.oauth2.credentials.lifecycle.deactivate",
    ]
    for event in events:
        assert value not in str(event.targets) + event.display_message + str(event.debug_data)
        assert event.targets[1]["type"] == "ClientSecret"


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
def test_every_worker_refuses_a_deactivated_secret_at_the_next_request(live, live_db):
    """Four workers, each of which has served the service with both secrets (its cache is warm); then the
    admin deactivates the old secret once."""
    from clients.services import create_app

    app, old = create_app(
        {"label": f"two {uuid.uuid4().hex[:6]}", "application_type": "service", "grant_types": ["client_credentials"]}
    )
    _, new = credentials.create_secret(app)
    assert set(_burst(live.url, app.client_id, old)) == {200}
    assert set(_burst(live.url, app.client_id, new)) == {200}
    assert set(_burst(live.url, app.client_id, old)) == {200}  # the cache now holds the row with both

    credentials.set_status(app, app.secrets.order_by("created", "id").first(), "INACTIVE")

    assert set(_burst(live.url, app.client_id, old)) == {401}
    assert set(_burst(live.url, app.client_id, new)) == {200}
