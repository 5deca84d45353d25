"""The whole code flow against a real gunicorn over HTTP, the way an app does it."""

import uuid

import jwt
import pytest
import requests

from tests.kit.oauth import live_sign_in

pytestmark = [pytest.mark.live]


@pytest.fixture
def live_app(live_db):
    """A confidential web app and a user, committed so the live server sees them."""
    from accounts.services import create_user
    from clients.services import create_app

    suffix = uuid.uuid4().hex[:8]
    user = create_user(
        username=f"e2e-{suffix}@example.com",
        email=f"e2e-{suffix}@example.com",
        first_name="Eve",
        last_name="Tester",
        password="e2e password 123",
    )
    app, secret = create_app(
        {
            "label": f"E2E app {suffix}",
            "application_type": "web",
            "grant_types": ["authorization_code", "refresh_token"],
            "redirect_uris": ["https://app.example.com/callback"],
            "post_logout_redirect_uris": ["https://app.example.com/bye"],
        }
    )
    return {"app": app, "secret": secret, "user": user, "password": "e2e password 123"}


def _verify(base, token, *, audience, server_path="/oauth2/v1", issuer=None):
    jwks = jwt.PyJWKClient(f"{base}{server_path}/keys")
    key = jwks.get_signing_key_from_jwt(token)
    return jwt.decode(token, key.key, algorithms=["RS256"], audience=audience, issuer=issuer or base)


@pytest.mark.parametrize("server", ["org", "default"])
def test_code_flow_refresh_userinfo_introspect_revoke(live, live_app, server):
    base = live.url
    prefix = "/oauth2/v1" if server == "org" else "/oauth2/default/v1"
    issuer = base if server == "org" else f"{base}/oauth2/default"
    audience = base if server == "org" else "api://default"
    app, secret = live_app["app"], live_app["secret"]
    grant = live_sign_in(
        base,
        app.client_id,
        "https://app.example.com/callback",
        live_app["user"].username,
        live_app["password"],
        server=server,
        nonce="abc123",
    )

    response = requests.post(
        f"{base}{prefix}/token",
        data={
            "grant_type": "authorization_code",
            "code": grant["code"],
            "redirect_uri": grant["redirect_uri"],
            "code_verifier": grant["verifier"],
        },
        auth=(app.client_id, secret),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert set(tokens["scope"].split()) == {"openid", "profile", "email", "offline_access"}

    access = _verify(base, tokens["access_token"], audience=audience, server_path=prefix, issuer=issuer)
    assert jwt.get_unverified_header(tokens["access_token"])["typ"] == "at+jwt"
    assert access["cid"] == app.client_id and access["uid"] == live_app["user"].uid
    assert access["scp"] == tokens["scope"].split()
    id_claims = _verify(base, tokens["id_token"], audience=app.client_id, server_path=prefix, issuer=issuer)
    assert id_claims["nonce"] == "abc123" and id_claims["sub"] == live_app["user"].uid
    assert id_claims["email"] == live_app["user"].email
    from core.crypto import half_hash

    assert id_claims["at_hash"] == half_hash(tokens["access_token"])
    assert "auth_time" in id_claims

    info = requests.get(
        f"{base}{prefix}/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=10
    )
    assert info.status_code == 200 and info.json()["sub"] == live_app["user"].uid
    assert info.json()["email"] == live_app["user"].email

    refreshed = requests.post(
        f"{base}{prefix}/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(app.client_id, secret),
        timeout=10,
    )
    assert refreshed.status_code == 200, refreshed.text
    new = refreshed.json()
    assert new["refresh_token"] == tokens["refresh_token"]  # a web app defaults to persistent (STATIC)
    new_id = _verify(base, new["id_token"], audience=app.client_id, server_path=prefix, issuer=issuer)
    assert new_id["auth_time"] == id_claims["auth_time"]

    introspected = requests.post(
        f"{base}{prefix}/introspect", data={"token": new["access_token"]}, auth=(app.client_id, secret), timeout=10
    ).json()
    assert introspected["active"] is True and introspected["client_id"] == app.client_id
    assert introspected["uid"] == live_app["user"].uid

    revoked = requests.post(
        f"{base}{prefix}/revoke", data={"token": tokens["refresh_token"]}, auth=(app.client_id, secret), timeout=10
    )
    assert revoked.status_code == 200 and revoked.text == ""
    for access_token in (tokens["access_token"], new["access_token"]):
        body = requests.post(
            f"{base}{prefix}/introspect", data={"token": access_token}, auth=(app.client_id, secret), timeout=10
        ).json()
        assert body == {"active": False}
    again = requests.post(
        f"{base}{prefix}/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(app.client_id, secret),
        timeout=10,
    )
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_grant", "error_description": "The refresh token is invalid or expired."}
    info = requests.get(
        f"{base}{prefix}/userinfo", headers={"Authorization": f"Bearer {new['access_token']}"}, timeout=10
    )
    assert info.status_code == 401

    logout = grant["browser"].get(
        f"{base}{prefix}/logout",
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "https://app.example.com/bye",
            "state": "s1",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert logout.status_code == 302 and logout.headers["Location"] == "https://app.example.com/bye?state=s1"


def test_authlib_client_runs_the_flow_and_refreshes_automatically(live, live_app):
    """Interop: authlib's OAuth2Session, a widely used client, against the live server."""
    from authlib.integrations.requests_client import OAuth2Session

    base, app, secret = live.url, live_app["app"], live_app["secret"]
    grant = live_sign_in(
        base, app.client_id, "https://app.example.com/callback", live_app["user"].username, live_app["password"]
    )
    session = OAuth2Session(
        app.client_id,
        secret,
        redirect_uri="https://app.example.com/callback",
        token_endpoint=f"{base}/oauth2/v1/token",
        code_challenge_method="S256",
    )
    token = session.fetch_token(
        f"{base}/oauth2/v1/token",
        code=grant["code"],
        code_verifier=grant["verifier"],
        redirect_uri="https://app.example.com/callback",
    )
    assert token["refresh_token"]
    session.token = dict(token, expires_at=1)  # make authlib think the access token expired
    response = session.get(f"{base}/oauth2/v1/userinfo")
    assert response.status_code == 200
    assert response.json()["preferred_username"] == live_app["user"].username
    assert session.token["access_token"] != token["access_token"]  # it refreshed on its own
