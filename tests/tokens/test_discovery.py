"""Discovery documents of both servers (OIDC Discovery 1.0, RFC 8414)."""

from urllib.parse import urlsplit

import pytest
from django.urls import resolve

from tests.kit.servers import set_default_custom_scopes

SERVERS = {
    "org": ("", "/oauth2/v1"),
    "default": ("/oauth2/default", "/oauth2/default/v1"),
}
DOCUMENTS = ["openid-configuration", "oauth-authorization-server"]
ENDPOINTS = {
    "authorization_endpoint": "authorize",
    "token_endpoint": "token",
    "jwks_uri": "keys",
    "revocation_endpoint": "revoke",
    "introspection_endpoint": "introspect",
    "end_session_endpoint": "logout",
}


def document(client, server: str, name: str) -> dict:
    base, _ = SERVERS[server]
    response = client.get(f"{base}/.well-known/{name}")
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("name", DOCUMENTS)
@pytest.mark.parametrize("server", SERVERS)
def test_document_names_the_issuer_and_every_endpoint(client, db, settings, server, name):
    base, prefix = SERVERS[server]

    body = document(client, server, name)

    assert body["issuer"] == settings.ROTOR_ISSUER + base
    expected = dict(ENDPOINTS)
    if name == "openid-configuration":
        expected["userinfo_endpoint"] = "userinfo"
    for field, endpoint in expected.items():
        assert body[field] == f"{settings.ROTOR_ISSUER}{prefix}/{endpoint}", field
        match = resolve(urlsplit(body[field]).path)
        assert match.kwargs["server_id"] == server


@pytest.mark.parametrize("name", DOCUMENTS)
@pytest.mark.parametrize("server", SERVERS)
def test_document_lists_grants_scopes_methods_and_pkce(client, db, server, name):
    body = document(client, server, name)

    assert {"authorization_code", "refresh_token", "client_credentials"} <= set(body["grant_types_supported"])
    assert {"openid", "profile", "email", "offline_access"} <= set(body["scopes_supported"])
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert body["response_types_supported"] == ["code"]
    assert set(body["response_modes_supported"]) == {"query", "form_post"}
    assert set(body["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
    }
    assert "HS256" not in body["token_endpoint_auth_signing_alg_values_supported"]


@pytest.mark.parametrize("server", SERVERS)
def test_openid_configuration_says_rs256(client, db, server):
    body = document(client, server, "openid-configuration")

    assert body["id_token_signing_alg_values_supported"] == ["RS256"]
    assert body["subject_types_supported"] == ["public"]
    assert {"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "email"} <= set(
        body["claims_supported"]
    )


def test_custom_scopes_are_listed(client, db):
    set_default_custom_scopes(["orders:read"])

    body = document(client, "default", "openid-configuration")

    assert "orders:read" in body["scopes_supported"]


def test_the_issuer_follows_rotor_issuer(client, db, settings):
    settings.ROTOR_ISSUER = "https://id.example.org"

    body = document(client, "default", "openid-configuration")

    assert body["issuer"] == "https://id.example.org/oauth2/default"
    assert body["token_endpoint"] == "https://id.example.org/oauth2/default/v1/token"


def test_discovery_is_public_and_cacheable(client, db):
    response = client.get("/.well-known/openid-configuration")

    assert response.status_code == 200
    assert "max-age" in response["Cache-Control"]


@pytest.mark.parametrize(
    "path",
    ["/.well-known/openid-configuration", "/oauth2/default/.well-known/oauth-authorization-server", "/oauth2/v1/keys"],
)
@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_documents_and_keys_are_read_only(client, db, path, method):
    """The fuzz run found them answering 200 to any method."""
    assert getattr(client, method)(path).status_code == 405
    assert client.head(path).status_code == 200
