"""private_key_jwt (RFC 7523 §2.2): a client proves itself with a JWT signed by a key it registered.

Each check fails on its own, with an RFC 6749 `invalid_client` that says which; the same assertion
works at /token, /revoke, /introspect and /device/authorize, and each is accepted once.
"""

from urllib.parse import urlencode

import jwt
import pytest

from clients import credentials
from clients.models import Application
from core.models import Event
from tests.kit.keys import ASSERTION_TYPE, assertion_params, new_key
from tests.kit.oauth import basic_auth
from tokens.oauth import client_cache
from tokens.servers.registry import get_server

FORM = "application/x-www-form-urlencoded"
TOKEN_URL = "/oauth2/default/v1/token"


@pytest.fixture
def key():
    return new_key("RSA")


@pytest.fixture
def service(make_app, key):
    app, secret = make_app(
        label="Signed service",
        application_type="service",
        grant_types=["client_credentials"],
        token_endpoint_auth_method="private_key_jwt",
        jwks=[key.public_jwk],
    )
    assert secret is None  # created without a secret
    return app


def aud(name: str = "token") -> str:
    return get_server("default").endpoint(name)


def post(client, path, data, **headers):
    return client.post(path, urlencode(data), content_type=FORM, **headers)


def cc(client, assertion, **extra):
    return post(client, TOKEN_URL, {"grant_type": "client_credentials", **assertion_params(assertion, **extra)})


def refused_because(response, description: str):
    assert response.status_code == 401, response.content
    body = response.json()
    assert body["error"] == "invalid_client"
    assert description in body["error_description"], body
    return body


def test_a_signed_assertion_gets_a_token(client, service, key):
    response = cc(client, key.assertion(service.client_id, aud()))

    assert response.status_code == 200, response.json()
    assert response.json()["token_type"] == "Bearer"
    assert jwt.decode(response.json()["access_token"], options={"verify_signature": False})["cid"] == service.client_id


@pytest.mark.parametrize("kind", ["ES", "PS"])
def test_ec_and_pss_keys_work_too(client, make_app, kind):
    other = new_key(kind)
    app, _ = make_app(
        label=f"{kind} service",
        application_type="service",
        grant_types=["client_credentials"],
        token_endpoint_auth_method="private_key_jwt",
        jwks=[other.public_jwk],
    )
    assert cc(client, other.assertion(app.client_id, aud())).status_code == 200


def test_the_issuer_is_an_audience_too(client, service, key):
    assert cc(client, key.assertion(service.client_id, get_server("default").issuer)).status_code == 200


def test_a_replayed_assertion_is_refused(client, service, key):
    assertion = key.assertion(service.client_id, aud())
    assert cc(client, assertion).status_code == 200

    refused_because(cc(client, assertion), "used before")


def test_a_replay_with_client_id_in_the_body_is_refused_too(client, service, key):
    assertion = key.assertion(service.client_id, aud())
    assert cc(client, assertion, client_id=service.client_id).status_code == 200
    refused_because(cc(client, assertion, client_id=service.client_id), "used before")


@pytest.mark.parametrize(
    ("claims", "description"),
    [
        ({"aud": "https://elsewhere.example/oauth2/v1/token"}, "'aud' must be the token endpoint URL"),
        ({"iss": "someone-else"}, "'iss' must be the client_id"),
        ({"exp": None}, "must contain 'exp'"),
        ({"jti": None}, "must contain 'jti'"),
        ({"exp_in": -120}, "expired"),
        ({"exp_in": 3600}, "at most 5 minutes ahead"),
        ({"nbf_in": 600}, "not valid yet"),
    ],
)
def test_each_claim_check_fails_on_its_own(client, service, key, claims, description):
    claims = dict(claims)
    exp_in = claims.pop("exp_in", 60)
    if "nbf_in" in claims:
        import time

        claims["nbf"] = int(time.time()) + claims.pop("nbf_in")
    refused_because(cc(client, key.assertion(service.client_id, aud(), exp_in=exp_in, **claims)), description)
    assert Event.objects.filter(event_type="app.oauth2.invalid_client_credentials", app_id=service.public_id).exists()


def test_sub_must_be_the_client_id(client, service, key, make_app):
    other, _ = make_app(label="Other", application_type="service", grant_types=["client_credentials"])
    assertion = key.assertion(service.client_id, aud(), sub=other.client_id)
    # the sub names another client, whose method is client_secret_basic: an assertion does not prove it
    refused_because(cc(client, assertion), "Client authentication failed")
    assertion = key.assertion(service.client_id, aud())
    refused_because(cc(client, assertion, client_id=other.client_id), "does not match the client_assertion's 'sub'")


def test_an_unknown_kid_is_refused(client, service):
    stranger = new_key("RSA")
    refused_because(cc(client, stranger.assertion(service.client_id, aud())), f"kid '{stranger.kid}'")


def test_a_signature_by_another_key_with_the_registered_kid_is_refused(client, service, key):
    forger = new_key("RSA", kid=key.kid)
    refused_because(cc(client, forger.assertion(service.client_id, aud())), "signature does not verify")


@pytest.mark.parametrize("alg", ["HS256", "none"])
def test_symmetric_and_unsigned_assertions_are_refused(client, service, key, alg):
    import time

    now = int(time.time())
    body = {"iss": service.client_id, "sub": service.client_id, "aud": aud(), "exp": now + 60, "jti": f"j-{alg}"}
    if alg == "none":
        assertion = jwt.encode(body, None, algorithm="none", headers={"kid": key.kid})
    else:
        # the classic confusion: HMAC keyed with the public key's own text
        assertion = jwt.api_jws.PyJWS(algorithms=["HS256"]).encode(
            jwt.utils.force_bytes(__import__("json").dumps(body)), "x" * 32, algorithm="HS256", headers={"kid": key.kid}
        )
    refused_because(cc(client, assertion), "must be signed with one of")


def test_a_deactivated_key_is_refused_at_the_next_request(client, service, key):
    second = credentials.add_key(service, new_key("EC").public_jwk)
    row = service.json_web_keys.get(kid=key.kid)
    assert cc(client, key.assertion(service.client_id, aud())).status_code == 200

    credentials.set_status(service, row, "INACTIVE")

    refused_because(cc(client, key.assertion(service.client_id, aud())), f"kid '{key.kid}'")
    assert second.is_active


def test_wrong_assertion_type_missing_assertion_and_garbage(client, service, key):
    assertion = key.assertion(service.client_id, aud())
    response = post(
        client,
        TOKEN_URL,
        {"grant_type": "client_credentials", "client_assertion_type": "jwt", "client_assertion": assertion},
    )
    refused_because(response, ASSERTION_TYPE)
    response = post(client, TOKEN_URL, {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE})
    refused_because(response, "missing")
    refused_because(cc(client, "not.a.jwt"), "not a valid JWT")


def test_an_assertion_and_a_secret_together_are_invalid_request(client, service, key):
    assertion = key.assertion(service.client_id, aud())
    response = post(
        client,
        TOKEN_URL,
        {"grant_type": "client_credentials", **assertion_params(assertion)},
        HTTP_AUTHORIZATION=basic_auth(service.client_id, "whatever-secret"),
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_a_private_key_jwt_app_cannot_use_a_secret_and_a_secret_app_cannot_use_an_assertion(
    client, service, key, make_app
):
    _, value = credentials.create_secret(service)  # even a secret it has proves nothing: it registered a key
    response = post(
        client, TOKEN_URL, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic_auth(service.client_id, value)
    )
    assert response.status_code == 401

    app, _ = make_app(label="Secret service", application_type="service", grant_types=["client_credentials"])
    stranger = new_key("RSA")
    refused_because(cc(client, stranger.assertion(app.client_id, aud())), "Client authentication failed")


def test_revoke_introspect_and_device_authorize_take_assertions(client, make_app, settings):
    settings.ROTOR_CUSTOM_SCOPES = ["reports.read"]
    signer = new_key("EC")
    app, _ = make_app(
        label="Signed web",
        application_type="web",
        grant_types=["authorization_code", "client_credentials"],
        token_endpoint_auth_method="private_key_jwt",
        jwks=[signer.public_jwk],
    )
    token = cc(client, signer.assertion(app.client_id, aud())).json()["access_token"]

    introspected = post(
        client,
        "/oauth2/default/v1/introspect",
        {"token": token, **assertion_params(signer.assertion(app.client_id, aud("introspect")))},
    )
    assert introspected.status_code == 200 and introspected.json()["active"] is True

    revoked = post(
        client,
        "/oauth2/default/v1/revoke",
        {"token": token, **assertion_params(signer.assertion(app.client_id, aud("revoke")))},
    )
    assert revoked.status_code == 200
    again = post(
        client,
        "/oauth2/default/v1/introspect",
        {"token": token, **assertion_params(signer.assertion(app.client_id, aud()))},
    )
    assert again.json() == {"active": False}

    stranger = new_key("EC")
    foreign = assertion_params(stranger.assertion(app.client_id, aud()))
    refused_because(post(client, "/oauth2/default/v1/revoke", {"token": token, **foreign}), "kid")


def test_device_authorize_takes_an_assertion(client, make_app):
    signer = new_key("RSA")
    app, _ = make_app(
        label="Signed TV",
        application_type="native",
        grant_types=["urn:ietf:params:oauth:grant-type:device_code"],
        token_endpoint_auth_method="private_key_jwt",
        pkce_required=False,
        jwks=[signer.public_jwk],
    )
    data = {"scope": "openid", **assertion_params(signer.assertion(app.client_id, aud("device/authorize")))}
    response = post(client, "/oauth2/default/v1/device/authorize", data)
    assert response.status_code == 200, response.json()
    assert "device_code" in response.json()


@pytest.mark.postgres
def test_client_credentials_never_serves_a_private_key_jwt_app_from_the_cache(client, service, key):
    """Every assertion spends a jti, so the cache could save nothing; it stays out of the way."""
    for _ in range(3):
        assert cc(client, key.assertion(service.client_id, aud())).status_code == 200
    assert client_cache.get(service.client_id) is None


def test_discovery_advertises_private_key_jwt(client, db):
    body = client.get("/.well-known/openid-configuration").json()
    assert "private_key_jwt" in body["token_endpoint_auth_methods_supported"]
    assert "private_key_jwt" in body["revocation_endpoint_auth_methods_supported"]
    assert set(body["token_endpoint_auth_signing_alg_values_supported"]) >= {"RS256", "ES256", "PS256"}
    assert not {"HS256", "none"} & set(body["token_endpoint_auth_signing_alg_values_supported"])


def test_the_app_json_shows_its_active_keys(api_client, service, key):
    body = api_client.get(f"/api/v1/apps/{service.public_id}").json()
    assert body["credentials"]["oauthClient"]["token_endpoint_auth_method"] == "private_key_jwt"
    public = {k: v for k, v in key.public_jwk.items() if k != "key_ops"}  # what PyJWT adds, Rotor does not keep
    assert body["settings"]["oauthClient"]["jwks"] == {"keys": [public]}
    assert "client_secret" not in body["credentials"]["oauthClient"]
    assert Application.objects.get(pk=service.pk).client_secret == ""
