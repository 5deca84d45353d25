"""GET /oauth2/v1/keys: the published signing keys (SPEC §4)."""

import jwt
import pytest
from jwt.algorithms import RSAAlgorithm

from tests.kit.oauth import tokens_for
from tokens.models import SigningKey
from tokens.servers import keys

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}


def published(client, server="org") -> list[dict]:
    path = "/oauth2/v1/keys" if server == "org" else "/oauth2/default/v1/keys"
    response = client.get(path)
    assert response.status_code == 200
    return response.json()["keys"]


def test_two_public_keys_are_published_on_first_use(client, db):
    response = client.get("/oauth2/v1/keys")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"keys"} and len(body["keys"]) == 2
    for jwk in body["keys"]:
        assert jwk["kty"] == "RSA" and jwk["alg"] == "RS256" and jwk["use"] == "sig"
        assert jwk["kid"] and jwk["n"] and jwk["e"] == "AQAB"
        assert not PRIVATE_MEMBERS & set(jwk)
    statuses = set(SigningKey.objects.filter(server="org").values_list("status", flat=True))
    assert statuses == {"ACTIVE", "NEXT"}


def test_keys_are_cacheable(client, db, settings):
    response = client.get("/oauth2/v1/keys")

    assert f"max-age={settings.ROTOR_JWKS_MAX_AGE}" in response["Cache-Control"]
    assert response["Content-Type"] == "application/json"


def test_access_and_id_tokens_name_the_active_key(client, confidential_app, end_user):
    issued = tokens_for(client, confidential_app, end_user, secret=confidential_app.plain_secret)
    active = SigningKey.objects.get(server="org", status="ACTIVE")
    by_kid = {jwk["kid"]: jwk for jwk in published(client)}

    for name in ("access_token", "id_token"):
        header = jwt.get_unverified_header(issued[name])
        assert header["kid"] == active.kid and header["alg"] == "RS256"
        key = RSAAlgorithm.from_jwk(by_kid[header["kid"]])
        audience = confidential_app.client_id if name == "id_token" else None
        jwt.decode(
            issued[name], key, algorithms=["RS256"], audience=audience, options={"verify_aud": audience is not None}
        )


def test_each_server_has_its_own_keys(client, db):
    org = {jwk["kid"] for jwk in published(client, "org")}
    default = {jwk["kid"] for jwk in published(client, "default")}

    assert len(org) == 2 and len(default) == 2
    assert not org & default


def test_after_rotation_old_tokens_still_verify_and_new_ones_use_the_new_key(client, confidential_app, end_user):
    before = tokens_for(client, confidential_app, end_user, secret=confidential_app.plain_secret)
    next_kid = SigningKey.objects.get(server="org", status="NEXT").kid

    keys.rotate_keys("org")
    after = tokens_for(client, confidential_app, end_user, secret=confidential_app.plain_secret)

    by_kid = {jwk["kid"]: jwk for jwk in published(client)}
    assert len(by_kid) == 3
    assert jwt.get_unverified_header(after["access_token"])["kid"] == next_kid
    for token in (before["access_token"], after["access_token"]):
        key = RSAAlgorithm.from_jwk(by_kid[jwt.get_unverified_header(token)["kid"]])
        jwt.decode(token, key, algorithms=["RS256"], options={"verify_aud": False})


def test_the_private_key_is_decrypted_once_per_process(client, confidential_app, end_user, monkeypatch):
    calls = []
    real = keys._decrypt
    monkeypatch.setattr(keys, "_decrypt", lambda row: calls.append(row.kid) or real(row))

    for _ in range(3):
        tokens_for(client, confidential_app, end_user, secret=confidential_app.plain_secret)

    assert len(calls) == 1


@pytest.mark.parametrize("path", ["/oauth2/v1/keys", "/oauth2/default/v1/keys"])
def test_keys_need_no_authentication(client, db, path):
    response = client.get(path, HTTP_AUTHORIZATION="Basic garbage")

    assert response.status_code == 200
