"""POST /oauth2/v1/introspect (RFC 7662, SPEC §3)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.kit.oauth import claims, form_post, introspect, token_request, tokens_for

# SPEC §3's fields. Access tokens also carry `aud`, as Okta's and RFC 7662 §2.2's responses do.
SPEC_FIELDS = {"active", "token_type", "scope", "client_id", "username", "exp", "iat", "sub", "iss", "jti", "uid"}
INACTIVE = {"active": False}


def test_active_access_token(client, confidential_app, end_user, issued, settings):
    response = introspect(client, confidential_app, issued["access_token"], confidential_app.plain_secret)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    access = claims(issued["access_token"])
    assert set(body) == SPEC_FIELDS | {"aud"}
    assert body == {
        "active": True,
        "token_type": "Bearer",
        "scope": "openid profile email offline_access",
        "client_id": confidential_app.client_id,
        "username": end_user.username,
        "exp": access["exp"],
        "iat": access["iat"],
        "sub": end_user.username,
        "aud": settings.ROTOR_ISSUER,
        "iss": settings.ROTOR_ISSUER,
        "jti": access["jti"],
        "uid": end_user.uid,
    }


def test_active_refresh_token(client, confidential_app, end_user, issued, settings):
    response = introspect(client, confidential_app, issued["refresh_token"], confidential_app.plain_secret)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == SPEC_FIELDS
    assert body["active"] is True and body["client_id"] == confidential_app.client_id
    assert body["uid"] == end_user.uid and body["username"] == end_user.username
    assert body["scope"] == "openid profile email offline_access" and body["iss"] == settings.ROTOR_ISSUER
    assert body["exp"] > body["iat"]
    assert issued["refresh_token"] not in str(body)


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "", "x" * 9000, "\x00"])
def test_unknown_token_is_exactly_inactive(client, confidential_app, issued, token):
    response = form_post(
        client, "introspect", {"token": token or "?"}, app=confidential_app, secret=confidential_app.plain_secret
    )

    assert response.status_code == 200
    assert response.json() == INACTIVE


def test_id_token_is_not_an_active_access_token(client, confidential_app, issued):
    body = introspect(client, confidential_app, issued["id_token"], confidential_app.plain_secret).json()

    assert body == INACTIVE


def test_expired_access_token_is_inactive(client, confidential_app, issued):
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        body = introspect(client, confidential_app, issued["access_token"], confidential_app.plain_secret).json()

    assert body == INACTIVE


def test_token_of_the_other_server_is_inactive_there(client, confidential_app, issued):
    body = introspect(
        client, confidential_app, issued["access_token"], confidential_app.plain_secret, server="default"
    ).json()

    assert body == INACTIVE


def test_another_clients_tokens_are_inactive(client, confidential_app, make_app, issued):
    other, other_secret = make_app(label="Nosy app")

    access = introspect(client, other, issued["access_token"], other_secret).json()
    refresh_token = introspect(client, other, issued["refresh_token"], other_secret).json()

    assert access == INACTIVE
    assert refresh_token == INACTIVE


def test_tokens_of_a_deactivated_user_are_inactive(client, confidential_app, end_user, issued):
    from accounts.services import deactivate_user

    deactivate_user(end_user)

    for token in (issued["access_token"], issued["refresh_token"]):
        assert introspect(client, confidential_app, token, confidential_app.plain_secret).json() == INACTIVE


def test_public_client_introspects_with_client_id_alone(client, public_app, end_user):
    issued = tokens_for(client, public_app, end_user)

    body = introspect(client, public_app, issued["access_token"]).json()

    assert body["active"] is True and body["client_id"] == public_app.client_id


def test_confidential_client_without_its_secret_is_401(client, confidential_app, issued):
    response = introspect(client, confidential_app, issued["access_token"])

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_no_client_credentials_is_401(client, issued):
    response = form_post(client, "introspect", {"token": issued["access_token"]})

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client", "error_description": "No client credentials found."}


def test_missing_token_is_invalid_request(client, confidential_app):
    response = form_post(
        client,
        "introspect",
        {"token_type_hint": "access_token"},
        app=confidential_app,
        secret=confidential_app.plain_secret,
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "The required parameter 'token' is missing.",
    }


def test_client_credentials_token_introspects_without_a_user(client, make_app):
    app, secret = make_app(label="Service", application_type="service", grant_types=["client_credentials"])
    data = {"grant_type": "client_credentials"}
    token = token_request(client, data, app=app, secret=secret, server="default").json()["access_token"]

    body = introspect(client, app, token, secret, server="default").json()

    assert body["active"] is True and body["sub"] == app.client_id and "uid" not in body


def test_empty_body_is_invalid_request(client, confidential_app):
    response = form_post(client, "introspect", {}, app=None)

    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("invalid_request", "invalid_client")
