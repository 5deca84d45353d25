"""config/wsgi.py: apps' server-to-server endpoints take the lean handler, browsers the full one."""

import io
from urllib.parse import urlencode

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from config.wsgi import MACHINE_PATHS, application
from tests.kit.oauth import basic_auth


@pytest.mark.parametrize(
    "path",
    [
        "/oauth2/v1/token",
        "/oauth2/default/v1/token",
        "/oauth2/v1/revoke",
        "/oauth2/default/v1/introspect",
        "/oauth2/v1/userinfo",
        "/oauth2/default/v1/keys",
        "/oauth2/v1/device/authorize",
        "/.well-known/openid-configuration",
        "/oauth2/default/.well-known/oauth-authorization-server",
        "/oauth2/aus1a2b3c4d5e6f7g8h9/v1/token",  # any custom server's
        "/oauth2/aus1a2b3c4d5e6f7g8h9/.well-known/openid-configuration",
    ],
)
def test_machine_endpoints_take_the_lean_handler(path):
    assert MACHINE_PATHS.match(path)


@pytest.mark.parametrize(
    "path",
    [
        "/oauth2/v1/authorize",
        "/oauth2/v1/logout",
        "/accounts/login/",
        "/console/",
        "/activate",
        "/api/v1/apps",
        "/oauth2/v1/token/extra",
        "/oauth2/not-an-id/v1/token",
    ],
)
def test_browser_pages_keep_the_full_middleware(path):
    assert not MACHINE_PATHS.match(path)


def _call(method, path, *, body=b"", headers=None):
    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
    }
    env.update(headers or {})
    result = {}

    def start_response(status, response_headers):
        result["status"] = int(status.split()[0])
        result["headers"] = {name.lower(): value for name, value in response_headers}

    # Like Django's test client: keep the test's database connection open across the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result["body"] = b"".join(application(env, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return result


def test_lean_handler_answers_cors_for_a_trusted_origin_only(public_app):
    preflight = {
        "HTTP_ORIGIN": "https://spa.example.com",
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST",
        "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "x-okta-user-agent-extended",
    }
    trusted = _call("OPTIONS", "/oauth2/v1/token", headers=preflight)
    assert trusted["status"] == 200
    assert trusted["headers"]["access-control-allow-origin"] == "https://spa.example.com"
    untrusted = _call("OPTIONS", "/oauth2/v1/token", headers=preflight | {"HTTP_ORIGIN": "https://evil.example"})
    assert "access-control-allow-origin" not in untrusted["headers"]


def test_lean_handler_serves_the_token_endpoint_without_session_cookies(confidential_app):
    body = urlencode({"grant_type": "refresh_token", "refresh_token": "nope"}).encode()
    auth = {"HTTP_AUTHORIZATION": basic_auth(confidential_app.client_id, confidential_app.plain_secret)}
    response = _call("POST", "/oauth2/v1/token", body=body, headers=auth)
    assert response["status"] == 400
    assert b"invalid_grant" in response["body"]
    assert "set-cookie" not in {k.lower() for k in response["headers"]}
    assert response["headers"]["x-content-type-options"] == "nosniff"  # SecurityMiddleware still runs
