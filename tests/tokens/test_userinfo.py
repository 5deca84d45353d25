"""GET|POST /oauth2/v1/userinfo (OIDC Core §5.3)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.kit.oauth import form_post, token_request, tokens_for

USERINFO = "/oauth2/v1/userinfo"


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_userinfo_returns_the_claims_of_the_granted_scopes(client, end_user, issued):
    response = client.get(USERINFO, **bearer(issued["access_token"]))

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["sub"] == end_user.uid
    assert body["email"] == "alice@example.com" and body["email_verified"] is True
    assert body["name"] == "Alice Liddell" and body["given_name"] == "Alice" and body["family_name"] == "Liddell"
    assert body["preferred_username"] == end_user.username and isinstance(body["updated_at"], int)


def test_userinfo_answers_post_too(client, end_user, issued):
    response = client.post(USERINFO, **bearer(issued["access_token"]))

    assert response.status_code == 200
    assert response.json()["sub"] == end_user.uid


def test_openid_alone_releases_only_sub(client, confidential_app, end_user):
    issued = tokens_for(client, confidential_app, end_user, secret=confidential_app.plain_secret, scope="openid")

    response = client.get(USERINFO, **bearer(issued["access_token"]))

    assert response.status_code == 200
    assert response.json() == {"sub": end_user.uid}


def test_email_scope_releases_email_but_not_the_name(client, confidential_app, end_user):
    issued = tokens_for(client, confidential_app, end_user, secret=confidential_app.plain_secret, scope="openid email")

    body = client.get(USERINFO, **bearer(issued["access_token"])).json()

    assert body == {"sub": end_user.uid, "email": end_user.email, "email_verified": True}


def test_no_token_is_401_with_a_bearer_challenge(client, db):
    response = client.get(USERINFO)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer a.b.c", "Basic dXNlcjpwYXNz", "Bearer ", "Bearer \x00"])
def test_bad_token_is_401_invalid_token(client, db, header):
    response = client.get(USERINFO, HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response.json()["error"] in ("invalid_token", "invalid_request")
    assert "error=" in response["WWW-Authenticate"]


def test_expired_token_is_401(client, issued):
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        response = client.get(USERINFO, **bearer(issued["access_token"]))

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def test_revoked_token_is_401(client, confidential_app, issued):
    form_post(
        client, "revoke", {"token": issued["access_token"]}, app=confidential_app, secret=confidential_app.plain_secret
    )

    response = client.get(USERINFO, **bearer(issued["access_token"]))

    assert response.status_code == 401


def test_token_of_a_deactivated_user_is_401(client, end_user, issued):
    from accounts.services import deactivate_user

    deactivate_user(end_user)

    response = client.get(USERINFO, **bearer(issued["access_token"]))

    assert response.status_code == 401


def test_id_token_is_not_accepted(client, issued):
    response = client.get(USERINFO, **bearer(issued["id_token"]))

    assert response.status_code == 401


def test_token_of_the_other_server_is_401(client, issued):
    response = client.get("/oauth2/default/v1/userinfo", **bearer(issued["access_token"]))

    assert response.status_code == 401


def test_default_server_token_works_at_the_default_userinfo(client, confidential_app, end_user):
    issued = tokens_for(client, confidential_app, end_user, secret=confidential_app.plain_secret, server="default")

    response = client.get("/oauth2/default/v1/userinfo", **bearer(issued["access_token"]))

    assert response.status_code == 200
    assert response.json()["sub"] == end_user.uid


def test_token_without_openid_is_403_insufficient_scope(client, confidential_app, end_user):
    issued = tokens_for(client, confidential_app, end_user, secret=confidential_app.plain_secret, scope="email")

    response = client.get(USERINFO, **bearer(issued["access_token"]))

    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]


def test_client_credentials_token_has_no_user_info(client, make_app):
    app, secret = make_app(label="Service", application_type="service", grant_types=["client_credentials"])
    data = {"grant_type": "client_credentials"}
    token = token_request(client, data, app=app, secret=secret, server="default").json()["access_token"]

    response = client.get("/oauth2/default/v1/userinfo", **bearer(token))

    assert response.status_code == 401


def test_other_methods_are_not_allowed(client, issued):
    response = client.put(USERINFO, **bearer(issued["access_token"]))

    assert response.status_code == 405
