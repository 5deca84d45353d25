"""Every endpoint that authenticates a client accepts only the way the app is registered for.

`client_secret_basic` must send HTTP Basic, `client_secret_post` must send `client_secret` in the
body, `none` must send no secret at all; anything else is 401 invalid_client with SPEC §6's text,
even with the right secret (tokens/oauth/client_auth.py).
"""

from urllib.parse import urlencode

import pytest

from tests.kit.device import DEVICE_GRANT, tv_app_data
from tests.kit.oauth import AUTH_FAILED, FORM, authorize_code, basic_auth, tokens_for

METHODS = ["client_secret_basic", "client_secret_post", "none"]
WAYS = {"client_secret_basic": "basic", "client_secret_post": "body", "none": "client_id only"}
AC_RT = ["authorization_code", "refresh_token"]


def send(client, endpoint: str, data: dict, app, secret: str | None, way: str, server="org"):
    """POST `data` to `endpoint` as `app`, presenting `secret` by `way` (a public app's "secret" is empty)."""
    data, headers = dict(data), {}
    if way == "basic":
        headers["HTTP_AUTHORIZATION"] = basic_auth(app.client_id, secret or "")
    else:
        data["client_id"] = app.client_id
        if way == "body":
            data["client_secret"] = secret or ""
    prefix = "/oauth2/v1" if server == "org" else f"/oauth2/{server}/v1"
    return client.post(f"{prefix}/{endpoint}", urlencode(data), content_type=FORM, **headers)


def other_ways(method: str) -> list[str]:
    return [way for m, way in WAYS.items() if m != method]


def refused(response) -> bool:
    return response.status_code == 401 and response.json() == AUTH_FAILED


@pytest.fixture(params=METHODS)
def registered(request, make_app):
    """(app, secret, method): a web app of each secret method, or a public single-page app."""
    method = request.param
    if method == "none":
        app, secret = make_app(label="SPA", application_type="browser", grant_types=AC_RT)
    else:
        app, secret = make_app(label=method, token_endpoint_auth_method=method, grant_types=AC_RT)
    assert app.token_endpoint_auth_method == method
    return app, secret, method


def test_code_exchange(client, registered, end_user):
    app, secret, method = registered
    client.force_login(end_user)
    grant = authorize_code(client, app)
    data = {
        "grant_type": "authorization_code",
        "code": grant["code"],
        "redirect_uri": grant["redirect_uri"],
        "code_verifier": grant["verifier"],
    }

    for way in other_ways(method):
        assert refused(send(client, "token", data, app, secret, way)), way
    response = send(client, "token", data, app, secret, WAYS[method])
    assert response.status_code == 200, response.content  # the refusals did not spend the code


def test_refresh(client, registered, end_user):
    """The hot path, where the app comes with the token's row."""
    app, secret, method = registered
    token = tokens_for(client, app, end_user, secret=secret)["refresh_token"]
    data = {"grant_type": "refresh_token", "refresh_token": token}

    for way in other_ways(method):
        assert refused(send(client, "token", data, app, secret, way)), way
    assert send(client, "token", data, app, secret, WAYS[method]).status_code == 200


def test_refresh_on_the_default_server(client, registered, end_user):
    app, secret, method = registered
    token = tokens_for(client, app, end_user, secret=secret, server="default")["refresh_token"]
    data = {"grant_type": "refresh_token", "refresh_token": token}

    for way in other_ways(method):
        assert refused(send(client, "token", data, app, secret, way, server="default")), way
    assert send(client, "token", data, app, secret, WAYS[method], server="default").status_code == 200


@pytest.mark.parametrize("endpoint", ["revoke", "introspect"])
def test_revoke_and_introspect(client, registered, endpoint):
    app, secret, method = registered
    data = {"token": "not-a-token"}

    for way in other_ways(method):
        assert refused(send(client, endpoint, data, app, secret, way)), way
    assert send(client, endpoint, data, app, secret, WAYS[method]).status_code == 200


def test_a_public_client_may_not_send_even_an_empty_secret(client, make_app):
    app, _ = make_app(label="SPA", application_type="browser", grant_types=AC_RT)
    body = client.post(
        "/oauth2/v1/introspect",
        urlencode({"token": "x", "client_id": app.client_id, "client_secret": ""}),
        content_type=FORM,
    )
    assert refused(body)


@pytest.mark.parametrize("method", METHODS)
def test_device_authorize(client, make_app, method):
    app, secret = make_app(**tv_app_data(token_endpoint_auth_method=method))
    assert app.token_endpoint_auth_method == method and app.allows_grant(DEVICE_GRANT)
    data = {"scope": "openid"}

    for way in other_ways(method):
        assert refused(send(client, "device/authorize", data, app, secret, way)), way
    response = send(client, "device/authorize", data, app, secret, WAYS[method])
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("method", METHODS[:2])
def test_client_credentials_cached_or_not(client, make_app, settings, method):
    """A service that authenticated the right way a moment ago (tokens/oauth/client_cache.py) is still
    refused the wrong way."""
    app, secret = make_app(
        label="Export",
        application_type="service",
        grant_types=["client_credentials"],
        token_endpoint_auth_method=method,
    )
    data = {"grant_type": "client_credentials"}

    for way in other_ways(method):
        assert refused(send(client, "token", data, app, secret, way, server="default")), way
    assert send(client, "token", data, app, secret, WAYS[method], server="default").status_code == 200
    for way in other_ways(method):
        assert refused(send(client, "token", data, app, secret, way, server="default")), way
    assert send(client, "token", data, app, secret, WAYS[method], server="default").status_code == 200
