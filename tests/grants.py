"""Shortcuts for endpoint tests that need tokens first: a whole code flow, and form POSTs."""

import base64
from urllib.parse import urlencode

import jwt

from tests.oauth import PREFIX, exchange, sign_in

FORM = "application/x-www-form-urlencoded"


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def tokens_for(client, app, user, *, secret=None, server="org", scope="openid profile email offline_access") -> dict:
    """Sign `user` in to `app` and exchange the code; the token response body. Leaves the client signed out."""
    client.force_login(user)
    grant = sign_in(client, app, server=server, scope=scope)
    client.logout()
    response = exchange(client, app, grant, server=server, secret=secret)
    assert response.status_code == 200, response.content
    return response.json()


def form_post(client, endpoint: str, data, *, app=None, secret=None, server="org", **headers):
    """POST form data to /revoke, /introspect…; with `secret` as Basic auth, else `client_id` in the body."""
    data = dict(data)
    if app is not None:
        if secret:
            headers["HTTP_AUTHORIZATION"] = basic(app.client_id, secret)
        else:
            data["client_id"] = app.client_id
    return client.post(f"{PREFIX[server]}/{endpoint}", urlencode(data), content_type=FORM, **headers)
