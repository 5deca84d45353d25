"""/api/v1/authorizationServers/default/credentials/keys and keyRotate: the one rotation code path."""

import pytest

from accounts.services import create_api_token
from core.models import Event
from tests.kit.api import assert_error
from tokens.models import SigningKey
from tokens.servers.keys import published_jwks

KEYS = "/api/v1/authorizationServers/default/credentials/keys"
ROTATE = "/api/v1/authorizationServers/default/credentials/lifecycle/keyRotate"


def test_list_keys_shows_public_parts_only(api_client):
    response = api_client.get(KEYS)
    assert response.status_code == 200
    keys = response.json()
    assert [k["status"] for k in keys] == ["ACTIVE", "NEXT"]
    for key in keys:
        assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
        assert key["e"] and key["n"] and key["kid"]
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
    text = response.content.decode()
    assert all(row.private_key_encrypted not in text for row in SigningKey.objects.all())


def test_rotate_turns_the_cycle_once(api_client, client):
    before = {k["status"]: k["kid"] for k in api_client.get(KEYS).json()}
    response = api_client.post(ROTATE, {"use": "sig"})
    assert response.status_code == 200, response.content
    after = {k["status"]: k["kid"] for k in response.json()}
    assert after["ACTIVE"] == before["NEXT"]
    assert after["EXPIRED"] == before["ACTIVE"]
    assert after["NEXT"] not in before.values()
    assert {k["kid"] for k in published_jwks("default")} == set(after.values())
    jwks = client.get("/oauth2/default/v1/keys").json()
    assert {k["kid"] for k in jwks["keys"]} == set(after.values())
    assert Event.objects.filter(event_type="app.oauth2.as.key.rollover").count() == 1
    # The org server's keys are untouched.
    assert not SigningKey.objects.filter(server="org", status="EXPIRED").exists()


@pytest.mark.parametrize("body", [{"use": "enc"}, {}, {"use": 1}, ["sig"]])
def test_rotate_needs_use_sig(api_client, body):
    api_client.get(KEYS)
    response = api_client.post(ROTATE, body)
    assert_error(response, 400, "E0000001")
    assert not SigningKey.objects.filter(status="EXPIRED").exists()
    assert not Event.objects.filter(event_type__endswith="key.rollover").exists()


def test_other_servers_are_404(api_client, db):
    assert_error(api_client.get("/api/v1/authorizationServers/aus123/credentials/keys"), 404, "E0000007")
    assert_error(
        api_client.post("/api/v1/authorizationServers/org/credentials/lifecycle/keyRotate", {"use": "sig"}),
        404,
        "E0000007",
    )


def test_keys_need_an_admin_token(client, other_user):
    assert_error(client.get(KEYS), 401, "E0000011")
    _, plain = create_api_token(other_user, "mallory")
    response = client.post(ROTATE, {"use": "sig"}, content_type="application/json", HTTP_AUTHORIZATION=f"SSWS {plain}")
    assert_error(response, 403, "E0000006")
    assert not SigningKey.objects.filter(status="EXPIRED").exists()


def test_wrong_method_is_405(api_client):
    assert_error(api_client.post(KEYS, {}), 405, "E0000022")
    assert_error(api_client.get(ROTATE), 405, "E0000022")
