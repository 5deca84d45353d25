"""Okta's credentials API for an app: `/credentials/secrets` (two at most) and `/credentials/jwks` (public keys
for private_key_jwt), in Okta's JSON shapes and error bodies."""

import pytest

from clients import credentials
from core.models import Event
from tests.kit.api import assert_okta_error as _assert_okta_error
from tests.kit.keys import new_key


def assert_okta_error(response, status: int, code: str) -> dict:
    _assert_okta_error(response, status, code)
    return response.json()


def secrets_url(app, *rest):
    return "/".join([f"/api/v1/apps/{app.public_id}/credentials/secrets", *rest])


def keys_url(app, *rest):
    return "/".join([f"/api/v1/apps/{app.public_id}/credentials/jwks", *rest])


# Secrets ------------------------------------------------------------------------------------------


def test_list_shows_each_secret_without_its_value(api_client, confidential_app):
    body = api_client.get(secrets_url(confidential_app)).json()
    assert len(body) == 1
    (secret,) = body
    assert secret["id"].startswith("ocs") and secret["status"] == "ACTIVE"
    assert set(secret) == {"id", "status", "secret_hash", "created", "lastUpdated", "_links"}
    assert len(secret["secret_hash"]) == 22
    assert confidential_app.plain_secret not in str(body)


def test_a_second_secret_then_a_third_is_refused(api_client, confidential_app):
    created = api_client.post(secrets_url(confidential_app), {}, format="json")
    assert created.status_code == 201
    assert len(created.json()["client_secret"]) == 48
    fetched = api_client.get(secrets_url(confidential_app, created.json()["id"])).json()
    assert "client_secret" not in fetched and fetched["secret_hash"] == created.json()["secret_hash"]

    third = api_client.post(secrets_url(confidential_app))
    body = assert_okta_error(third, 400, "E0000001")
    assert "at most 2 client secrets" in body["errorCauses"][0]["errorSummary"]
    assert confidential_app.secrets.count() == 2


def test_bring_your_own_secret_and_its_rules(api_client, confidential_app):
    from clients.hashers import verifies

    response = api_client.post(secrets_url(confidential_app), {"client_secret": "my-own-secret-0123456789"})
    assert response.status_code == 201 and response.json()["client_secret"] == "my-own-secret-0123456789"
    confidential_app.refresh_from_db()
    assert verifies("my-own-secret-0123456789", confidential_app.client_secret)

    short = api_client.post(secrets_url(confidential_app), {"client_secret": "short"})
    assert_okta_error(short, 400, "E0000001")


def test_deactivate_then_delete_and_the_rules_in_between(api_client, confidential_app):
    (only,) = api_client.get(secrets_url(confidential_app)).json()
    refused = api_client.post(secrets_url(confidential_app, only["id"], "lifecycle/deactivate"))
    assert "only active client secret" in assert_okta_error(refused, 400, "E0000001")["errorCauses"][0]["errorSummary"]

    api_client.post(secrets_url(confidential_app))
    assert_okta_error(api_client.delete(secrets_url(confidential_app, only["id"])), 400, "E0000001")  # active

    deactivated = api_client.post(secrets_url(confidential_app, only["id"], "lifecycle/deactivate"))
    assert deactivated.status_code == 200 and deactivated.json()["status"] == "INACTIVE"
    assert set(deactivated.json()["_links"]) == {"activate", "delete"}

    assert api_client.delete(secrets_url(confidential_app, only["id"])).status_code == 204
    assert_okta_error(api_client.get(secrets_url(confidential_app, only["id"])), 404, "E0000007")
    events = Event.objects.filter(event_type__startswith="app.oauth2.credentials").order_by("id")
    assert [e.event_type for e in events] == [
        "app.oauth2.credentials.lifecycle.create",
        "app.oauth2.credentials.lifecycle.deactivate",
        "app.oauth2.credentials.lifecycle.delete",
    ]


def test_a_public_client_has_no_secrets_to_add(api_client, public_app):
    assert api_client.get(secrets_url(public_app)).json() == []
    assert_okta_error(api_client.post(secrets_url(public_app)), 400, "E0000001")


def test_another_apps_secret_is_404(api_client, confidential_app, make_app):
    other, _ = make_app(label="Other")
    theirs = other.secrets.get().public_id
    assert_okta_error(api_client.get(secrets_url(confidential_app, theirs)), 404, "E0000007")
    assert_okta_error(api_client.post(secrets_url(confidential_app, theirs, "lifecycle/deactivate")), 404, "E0000007")


# Keys ---------------------------------------------------------------------------------------------


def test_add_list_get_deactivate_delete_a_key(api_client, confidential_app):
    key = new_key("RSA")
    added = api_client.post(keys_url(confidential_app), key.public_jwk)
    assert added.status_code == 201, added.json()
    body = added.json()
    assert body["id"].startswith("pks") and body["kid"] == key.kid and body["status"] == "ACTIVE"
    assert body["kty"] == "RSA" and body["n"] == key.public_jwk["n"] and body["use"] == "sig"
    assert set(body["_links"]) == {"deactivate"}

    assert [k["id"] for k in api_client.get(keys_url(confidential_app)).json()] == [body["id"]]
    assert api_client.get(keys_url(confidential_app, body["id"])).json() == body

    assert_okta_error(api_client.delete(keys_url(confidential_app, body["id"])), 400, "E0000001")  # active
    off = api_client.post(keys_url(confidential_app, body["id"], "lifecycle/deactivate")).json()
    assert off["status"] == "INACTIVE"
    assert api_client.post(keys_url(confidential_app, body["id"], "lifecycle/activate")).json()["status"] == "ACTIVE"
    api_client.post(keys_url(confidential_app, body["id"], "lifecycle/deactivate"))
    assert api_client.delete(keys_url(confidential_app, body["id"])).status_code == 204
    assert api_client.get(keys_url(confidential_app)).json() == []


def test_an_ec_key_without_kid_is_named_by_its_thumbprint(api_client, confidential_app):
    from core.publickeys import thumbprint

    jwk = {k: v for k, v in new_key("EC").public_jwk.items() if k not in ("kid", "key_ops")}
    body = api_client.post(keys_url(confidential_app), jwk).json()
    assert body["kid"] == thumbprint(jwk) and body["crv"] == "P-256" and "n" not in body


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("private", "private key material"),
        ("oct", "The key type (kty) must be RSA, EC or OKP."),
        ("small", "at least 2048 bits"),
        ("garbled", "do not form a valid public key"),
        ("enc", "'use' must be 'sig'"),
    ],
)
def test_bad_keys_are_refused_and_nothing_is_written(api_client, confidential_app, change, message):
    key = new_key("RSA")
    jwk = key.public_jwk
    if change == "private":
        jwk = key.private_jwk
    elif change == "oct":
        jwk = {"kty": "oct", "k": "c2VjcmV0"}
    elif change == "small":
        from cryptography.hazmat.primitives.asymmetric import rsa
        from jwt.algorithms import RSAAlgorithm

        jwk = RSAAlgorithm.to_jwk(rsa.generate_private_key(65537, 1024).public_key(), as_dict=True)
    elif change == "garbled":
        jwk = dict(jwk, n="AAAA")
    elif change == "enc":
        jwk = dict(jwk, use="enc")
    response = api_client.post(keys_url(confidential_app), jwk)
    if change in ("oct", "enc"):  # the request serializer knows these choices
        assert response.status_code == 400
    else:
        assert message in assert_okta_error(response, 400, "E0000001")["errorCauses"][0]["errorSummary"]
    assert confidential_app.json_web_keys.count() == 0


def test_a_taken_kid_is_refused(api_client, confidential_app):
    key = new_key("RSA", kid="k1")
    assert api_client.post(keys_url(confidential_app), key.public_jwk).status_code == 201
    again = api_client.post(keys_url(confidential_app), new_key("RSA", kid="k1").public_jwk)
    assert "already has a key with kid 'k1'" in assert_okta_error(again, 400, "E0000001")["errorSummary"] + str(
        again.json()["errorCauses"]
    )


def test_the_last_active_key_of_a_private_key_jwt_app_stays(api_client, make_app):
    key = new_key("RSA")
    app, _ = make_app(
        label="Signed",
        application_type="service",
        grant_types=["client_credentials"],
        token_endpoint_auth_method="private_key_jwt",
        jwks=[key.public_jwk],
    )
    (only,) = api_client.get(keys_url(app)).json()
    assert_okta_error(api_client.post(keys_url(app, only["id"], "lifecycle/deactivate")), 400, "E0000001")


def test_app_json_with_jwks_creates_a_private_key_jwt_app(api_client):
    key = new_key("EC")
    body = {
        "name": "oidc_client",
        "label": "Signed via API",
        "signOnMode": "OPENID_CONNECT",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "private_key_jwt"}},
        "settings": {
            "oauthClient": {
                "application_type": "service",
                "grant_types": ["client_credentials"],
                "jwks": {"keys": [key.public_jwk]},
            }
        },
    }
    created = api_client.post("/api/v1/apps", body)
    assert created.status_code == 200, created.json()
    assert "client_secret" not in created.json()["credentials"]["oauthClient"]
    assert created.json()["settings"]["oauthClient"]["jwks"]["keys"][0]["kid"] == key.kid

    with_private = dict(body, label="Leaky")
    with_private["settings"] = {"oauthClient": dict(body["settings"]["oauthClient"], jwks={"keys": [key.private_jwk]})}
    refused = assert_okta_error(api_client.post("/api/v1/apps", with_private), 400, "E0000001")
    assert "settings.oauthClient.jwks: This JWK contains private key material" in str(refused["errorCauses"])

    without = dict(body, label="Keyless")
    without["settings"] = {"oauthClient": {"application_type": "service", "grant_types": ["client_credentials"]}}
    refused = assert_okta_error(api_client.post("/api/v1/apps", without), 400, "E0000001")
    assert "needs a public key or a JWKS URI" in str(refused["errorCauses"])


def test_jwks_uri_must_be_https_and_not_loopback(api_client, settings):
    body = {
        "name": "oidc_client",
        "label": "By URI",
        "signOnMode": "OPENID_CONNECT",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "private_key_jwt"}},
        "settings": {"oauthClient": {"application_type": "service", "grant_types": ["client_credentials"]}},
    }
    for uri, problem in [
        ("http://keys.example.com/jwks.json", "must use https"),
        ("https://127.0.0.1/jwks.json", "loopback"),
        ("https://localhost:8443/jwks.json", "loopback"),
    ]:
        body["settings"]["oauthClient"]["jwks_uri"] = uri
        refused = assert_okta_error(api_client.post("/api/v1/apps", body), 400, "E0000001")
        assert problem in str(refused["errorCauses"]), uri
    body["settings"]["oauthClient"]["jwks_uri"] = "https://keys.example.com/jwks.json"
    created = api_client.post("/api/v1/apps", body).json()
    assert created["settings"]["oauthClient"]["jwks_uri"] == "https://keys.example.com/jwks.json"
    app_keys = api_client.post(f"/api/v1/apps/{created['id']}/credentials/jwks", new_key("RSA").public_jwk)
    assert "come from its JWKS URI" in str(assert_okta_error(app_keys, 400, "E0000001")["errorCauses"])


def test_schema_documents_the_credentials_operations(client, db):
    paths = client.get("/api/v1/schema").json()["paths"]
    expected = {
        "/api/v1/apps/{app_id}/credentials/secrets": {"get", "post"},
        "/api/v1/apps/{app_id}/credentials/secrets/{secret_id}": {"get", "delete"},
        "/api/v1/apps/{app_id}/credentials/secrets/{secret_id}/lifecycle/activate": {"post"},
        "/api/v1/apps/{app_id}/credentials/secrets/{secret_id}/lifecycle/deactivate": {"post"},
        "/api/v1/apps/{app_id}/credentials/jwks": {"get", "post"},
        "/api/v1/apps/{app_id}/credentials/jwks/{key_id}": {"get", "delete"},
        "/api/v1/apps/{app_id}/credentials/jwks/{key_id}/lifecycle/activate": {"post"},
        "/api/v1/apps/{app_id}/credentials/jwks/{key_id}/lifecycle/deactivate": {"post"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
    create = paths["/api/v1/apps/{app_id}/credentials/secrets"]["post"]
    assert create["operationId"] == "createOAuth2ClientSecret" and "201" in create["responses"]
    assert "getOAuth2ClientSecret" in create["responses"]["201"]["links"]
    assert paths["/api/v1/apps/{app_id}/credentials/jwks"]["post"]["operationId"] == "addJwk"


def test_credentials_need_an_admin_token(client, confidential_app):
    assert_okta_error(client.get(secrets_url(confidential_app)), 401, "E0000011")
    assert_okta_error(client.post(keys_url(confidential_app)), 401, "E0000011")


def test_credentials_module_refuses_a_third_secret_under_concurrency_rules(confidential_app):
    """The count is read under the app row's lock; here, the plain rule."""
    credentials.create_secret(confidential_app)
    with pytest.raises(Exception, match="at most 2"):
        credentials.create_secret(confidential_app)
