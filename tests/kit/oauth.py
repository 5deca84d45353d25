"""Helpers that act like an app: PKCE, the authorization request, the code exchange, a refresh,
form POSTs to the other OAuth endpoints, and a whole code flow for tests that need tokens first.

`authorize_code()` drives Django's test client; `live_sign_in()` drives a real server over HTTP with
requests, through the real sign-in form, the way a browser would.
"""

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import requests


class _Prefixes(dict):
    """The endpoints' path of a server: the org server's, or any custom server's by id."""

    def __missing__(self, server_id: str) -> str:
        return f"/oauth2/{server_id}/v1"


PREFIX = _Prefixes(org="/oauth2/v1", default="/oauth2/default/v1")
FORM = "application/x-www-form-urlencoded"

# Error bodies of SPEC §6 that several files expect, word for word.
AUTH_FAILED = {
    "error": "invalid_client",
    "error_description": "Client authentication failed. Either the client or the client credentials are invalid.",
}
INVALID_REFRESH = {"error": "invalid_grant", "error_description": "The refresh token is invalid or expired."}


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(
    app,
    *,
    scope="openid profile email offline_access",
    state="st4te",
    nonce="n0nce",
    challenge=None,
    redirect_uri=None,
    **extra,
) -> dict:
    params = {
        "client_id": app.client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri or app.redirect_uri_list[0],
        "scope": scope,
        "state": state,
        "nonce": nonce,
    }
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    params.update(extra)
    return params


def code_from(location: str) -> str:
    return parse_qs(urlsplit(location).query)["code"][0]


def authorize_code(client, app, *, server="org", scope="openid profile email offline_access", **extra) -> dict:
    """Authorize with a logged-in Django test client; returns {code, verifier, redirect_uri}."""
    verifier, challenge = pkce_pair()
    params = authorize_params(app, scope=scope, challenge=challenge, **extra)
    response = client.get(f"{PREFIX[server]}/authorize", params)
    assert response.status_code == 302, response.content[:500]
    return {"code": code_from(response["Location"]), "verifier": verifier, "redirect_uri": params["redirect_uri"]}


def basic_auth(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def claims(token: str) -> dict:
    """A JWT's payload, unverified."""
    return jwt.decode(token, options={"verify_signature": False})


def form_post(client, endpoint: str, data, *, app=None, secret=None, basic=None, server="org", **headers):
    """POST form-encoded, as OAuth endpoints require (the test client defaults to multipart).

    `endpoint` is a path ("/oauth2/v1/revoke") or an endpoint of `server` ("revoke"). As `app`: with a
    `secret`, the way the app is registered for (Rotor refuses any other): Basic auth, or client_id and
    client_secret in the body for `client_secret_post`; `basic` forces one or the other. Without a
    secret, client_id in the body.
    """
    data = dict(data)
    if basic is None:
        basic = getattr(app, "token_endpoint_auth_method", "") != "client_secret_post"
    if app is not None:
        if secret and basic:
            headers["HTTP_AUTHORIZATION"] = basic_auth(app.client_id, secret)
        else:
            data["client_id"] = app.client_id
            if secret:
                data["client_secret"] = secret
    path = endpoint if endpoint.startswith("/") else f"{PREFIX[server]}/{endpoint}"
    return client.post(path, urlencode(data), content_type=FORM, **headers)


def token_request(client, data: dict, *, server="org", app=None, secret=None, basic=None):
    """POST to /token as `app` would: its secret the way it is registered for, else client_id in the body."""
    return form_post(client, "token", data, app=app, secret=secret, basic=basic, server=server)


def exchange(client, app, grant: dict, *, server="org", secret=None):
    return token_request(
        client,
        {
            "grant_type": "authorization_code",
            "code": grant["code"],
            "redirect_uri": grant["redirect_uri"],
            "code_verifier": grant["verifier"],
        },
        server=server,
        app=app,
        secret=secret,
    )


def refresh(client, app, refresh_token: str, *, server="org", secret=None, scope=None):
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    if scope:
        data["scope"] = scope
    return token_request(client, data, server=server, app=app, secret=secret)


def tokens_for(
    client, app, user, *, secret=None, server="org", scope="openid profile email offline_access", sign_out=True
) -> dict:
    """Sign `user` in to `app` and exchange the code; the token response body.

    Leaves the client signed out, unless not `sign_out`.
    """
    client.force_login(user)
    grant = authorize_code(client, app, server=server, scope=scope)
    if sign_out:
        client.logout()
    response = exchange(client, app, grant, server=server, secret=secret)
    assert response.status_code == 200, response.content
    return response.json()


def introspect(client, app, token: str, secret=None, *, server="org"):
    """POST the token to /introspect as `app`; the response."""
    return form_post(client, "introspect", {"token": token}, app=app, secret=secret, server=server)


def introspection(client, app, token: str, secret=None, *, server="org") -> dict:
    """What /introspect says of the token, once it answered 200."""
    response = introspect(client, app, token, secret, server=server)
    assert response.status_code == 200, response.content
    return response.json()


# Live server (real HTTP) ---------------------------------------------------------------------------


def live_sign_in(
    base_url: str,
    client_id: str,
    redirect_uri: str,
    username: str,
    password: str,
    *,
    server="org",
    scope="openid profile email offline_access",
    nonce="n0nce",
) -> dict:
    """The whole browser part of the code flow over HTTP: authorize → sign-in form → code."""
    verifier, challenge = pkce_pair()
    browser = requests.Session()
    params = {
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": "xyz",
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    response = browser.get(f"{base_url}{PREFIX[server]}/authorize", params=params, allow_redirects=True, timeout=10)
    assert "/accounts/login/" in response.url, response.url
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text).group(1)
    next_url = re.search(r'name="next" value="([^"]*)"', response.text).group(1).replace("&amp;", "&")
    response = browser.post(
        f"{base_url}/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": csrf, "next": next_url},
        headers={"Referer": response.url},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]
    response = browser.get(base_url + response.headers["Location"], allow_redirects=False, timeout=10)
    assert response.status_code == 302 and response.headers["Location"].startswith(redirect_uri), response.text[:300]
    return {
        "code": code_from(response.headers["Location"]),
        "verifier": verifier,
        "redirect_uri": redirect_uri,
        "browser": browser,
    }
