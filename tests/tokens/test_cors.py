"""CORS for browser apps (SPEC §3a): trusted origins of active apps only; keys and discovery for all."""

from urllib.parse import urlencode

import pytest

from tests.kit.oauth import FORM, tokens_for

TRUSTED = "https://spa.example.com"
UNTRUSTED = "https://evil.example"
PROTECTED = ["/oauth2/v1/token", "/oauth2/v1/revoke", "/oauth2/v1/introspect", "/oauth2/v1/userinfo"]
PROTECTED += [p.replace("/oauth2/v1/", "/oauth2/default/v1/") for p in PROTECTED]
PUBLIC = [
    "/oauth2/v1/keys",
    "/oauth2/default/v1/keys",
    "/.well-known/openid-configuration",
    "/.well-known/oauth-authorization-server",
    "/oauth2/default/.well-known/openid-configuration",
    "/oauth2/default/.well-known/oauth-authorization-server",
]


def preflight(client, path, origin, headers="authorization, content-type"):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=headers,
    )


@pytest.mark.parametrize("path", PROTECTED)
def test_preflight_from_a_trusted_origin_is_allowed(client, public_app, path):
    response = preflight(client, path, TRUSTED)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == TRUSTED
    assert "POST" in response["Access-Control-Allow-Methods"]
    allowed = {h.strip().lower() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "accept"} <= allowed
    assert "Access-Control-Allow-Credentials" not in response


def test_preflight_allows_the_extra_headers_an_sdk_asks_for(client, public_app):
    asked = "authorization, content-type, x-okta-user-agent-extended, x-my-sdk-version"

    response = preflight(client, "/oauth2/v1/token", TRUSTED, headers=asked)

    assert response["Access-Control-Allow-Origin"] == TRUSTED
    allowed = {h.strip().lower() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "x-okta-user-agent-extended", "x-my-sdk-version"} <= allowed


def test_preflight_does_not_echo_malformed_header_names(client, public_app):
    response = preflight(client, "/oauth2/v1/token", TRUSTED, headers="content-type, bad header\r\nx-injected: 1")

    assert response["Access-Control-Allow-Origin"] == TRUSTED
    assert "x-injected" not in response["Access-Control-Allow-Headers"]


def test_token_request_from_a_trusted_origin_gets_cors_headers(client, public_app, end_user):
    issued = tokens_for(client, public_app, end_user)

    response = client.post(
        "/oauth2/v1/token",
        urlencode(
            {"grant_type": "refresh_token", "refresh_token": issued["refresh_token"], "client_id": public_app.client_id}
        ),
        content_type=FORM,
        HTTP_ORIGIN=TRUSTED,
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == TRUSTED
    assert "Access-Control-Allow-Credentials" not in response


def test_userinfo_from_a_trusted_origin_gets_cors_headers(client, public_app, end_user):
    issued = tokens_for(client, public_app, end_user)

    response = client.get(
        "/oauth2/v1/userinfo", HTTP_AUTHORIZATION=f"Bearer {issued['access_token']}", HTTP_ORIGIN=TRUSTED
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == TRUSTED


def test_errors_from_a_trusted_origin_carry_cors_headers_too(client, public_app):
    """Otherwise the browser hides the error body from the app."""
    response = client.post(
        "/oauth2/v1/token", urlencode({"grant_type": "refresh_token"}), content_type=FORM, HTTP_ORIGIN=TRUSTED
    )

    assert response.status_code == 401
    assert response["Access-Control-Allow-Origin"] == TRUSTED


@pytest.mark.parametrize(
    "origin",
    [UNTRUSTED, "https://spa.example.com.evil.example", "https://spa.example.co", "http://spa.example.com", "null"],
)
@pytest.mark.parametrize("path", ["/oauth2/v1/token", "/oauth2/v1/userinfo"])
def test_untrusted_origin_gets_no_cors_headers(client, public_app, origin, path):
    response = preflight(client, path, origin)

    assert "Access-Control-Allow-Origin" not in response
    response = client.post(path, "grant_type=x", content_type=FORM, HTTP_ORIGIN=origin)
    assert "Access-Control-Allow-Origin" not in response


def test_origin_of_an_inactive_app_is_not_trusted(client, public_app):
    from clients.services import deactivate_app

    deactivate_app(public_app)

    response = preflight(client, "/oauth2/v1/token", TRUSTED)

    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.parametrize("path", PUBLIC)
@pytest.mark.parametrize("origin", [TRUSTED, UNTRUSTED])
def test_keys_and_discovery_answer_any_origin(client, db, path, origin):
    response = client.get(path, HTTP_ORIGIN=origin)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] in (origin, "*")
    assert "Access-Control-Allow-Credentials" not in response


def test_the_authorize_page_and_sign_in_get_no_cors(client, public_app):
    for path in ("/oauth2/v1/authorize", "/accounts/login/"):
        response = client.get(path, HTTP_ORIGIN=TRUSTED)
        assert "Access-Control-Allow-Origin" not in response, path
