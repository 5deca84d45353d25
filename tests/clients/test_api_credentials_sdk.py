"""Okta's own Python SDK manages an app's secrets on a live Rotor (ApplicationSSOPublicKeysApi)."""

import asyncio
import uuid

import pytest

from clients.services import create_app

pytestmark = pytest.mark.live


@pytest.fixture
def okta_client(live, live_db, monkeypatch):
    from okta.client import Client

    from accounts.models import User
    from accounts.services import create_api_token

    name = f"sdk-keys-{uuid.uuid4().hex[:8]}@example.com"
    admin = User.objects.create_user(name, name, "admin password 123", is_staff=True)
    monkeypatch.setenv("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "true")  # a plain-http org URL
    return Client({"orgUrl": live.url, "token": create_api_token(admin, "sdk")[1]})


def run(coroutine):
    result, _, err = asyncio.run(coroutine)
    assert err is None, err
    return result


def test_okta_sdk_rotates_a_secret(okta_client):
    from okta import models

    app, _ = create_app(
        {"label": f"sdk {uuid.uuid4().hex[:6]}", "application_type": "service", "grant_types": ["client_credentials"]}
    )
    (first,) = run(okta_client.list_o_auth2_client_secrets(app.public_id))
    assert first.status == "ACTIVE" and first.secret_hash and first.client_secret is None

    second = run(okta_client.create_o_auth2_client_secret(app.public_id, models.OAuth2ClientSecretRequestBody()))
    assert second.client_secret and second.status == "ACTIVE"

    off = run(okta_client.deactivate_o_auth2_client_secret(app.public_id, first.id))
    assert off.status == "INACTIVE"
    _, _, err = asyncio.run(okta_client.delete_o_auth2_client_secret(app.public_id, first.id))
    assert err is None
    assert [s.id for s in run(okta_client.list_o_auth2_client_secrets(app.public_id))] == [second.id]
