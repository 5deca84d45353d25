"""GET|POST /oauth2/v1/logout: RP-initiated logout (OIDC RP-Initiated Logout 1.0), and the confirmation
asked when no valid hint names the signed-in user."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tests.kit.oauth import tokens_for

LOGOUT = "/oauth2/v1/logout"
BYE = "https://app.example.com/bye"


@pytest.fixture
def app_with_logout(make_app):
    app, secret = make_app(label="Signs out", post_logout_redirect_uris=[BYE])
    app.plain_secret = secret
    return app


@pytest.fixture
def id_token(client, app_with_logout, end_user):
    return tokens_for(client, app_with_logout, end_user, secret=app_with_logout.plain_secret, scope="openid")[
        "id_token"
    ]


def test_logout_ends_the_session_and_returns_to_the_app_with_state(client, end_user, id_token):
    client.force_login(end_user)

    response = client.get(LOGOUT, {"id_token_hint": id_token, "post_logout_redirect_uri": BYE, "state": "s1"})

    assert response.status_code == 302
    assert response["Location"] == f"{BYE}?state=s1"
    assert "_auth_user_id" not in client.session


def test_logout_without_state_returns_the_bare_uri(client, end_user, id_token):
    response = client.get(LOGOUT, {"id_token_hint": id_token, "post_logout_redirect_uri": BYE})

    assert response.status_code == 302
    assert response["Location"] == BYE


def test_logout_without_a_target_shows_the_signed_out_page(client, end_user, id_token):
    client.force_login(end_user)

    response = client.get(LOGOUT, {"id_token_hint": id_token})

    assert response.status_code == 200
    assert b"signed out" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("path", [LOGOUT, "/oauth2/default/v1/logout"])
def test_logout_without_a_hint_asks_first_and_changes_nothing(client, end_user, path):
    client.force_login(end_user)
    session_before = client.session.session_key

    response = client.get(path)

    assert response.status_code == 200
    assert b"Sign out of Rotor?" in response.content
    assert b'method="post"' in response.content and b"csrfmiddlewaretoken" in response.content
    assert b">Cancel</a>" in response.content
    assert "_auth_user_id" in client.session and client.session.session_key == session_before
    assert "no-store" in response["Cache-Control"]


def test_confirming_signs_out(end_user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(end_user)
    page = browser.get(LOGOUT)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)

    response = browser.post(LOGOUT, {"csrfmiddlewaretoken": token})

    assert response.status_code == 200
    assert b"signed out" in response.content
    assert "_auth_user_id" not in browser.session


def test_an_img_from_another_site_cannot_sign_out(end_user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(end_user)

    shown = browser.get(LOGOUT, HTTP_REFERER="https://evil.example/", HTTP_SEC_FETCH_DEST="image")
    posted = browser.post(LOGOUT, {}, HTTP_ORIGIN="https://evil.example")  # a cross-site form: no CSRF token

    assert shown.status_code == 200 and posted.status_code == 403
    assert "_auth_user_id" in browser.session


def test_a_hint_naming_someone_else_asks_first_and_keeps_the_target(client, end_user, other_user, id_token):
    client.force_login(other_user)

    response = client.get(LOGOUT, {"id_token_hint": id_token, "post_logout_redirect_uri": BYE, "state": "s2"})

    assert response.status_code == 200 and b"Sign out of Rotor?" in response.content
    assert "_auth_user_id" in client.session
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', response.content.decode()))
    assert hidden["post_logout_redirect_uri"] == BYE and hidden["state"] == "s2" and hidden["id_token_hint"]
    assert f'href="{BYE}?state=s2"'.encode() in response.content  # Cancel goes back to the app
    confirmed = client.post(
        LOGOUT, {name: hidden[name] for name in ("id_token_hint", "post_logout_redirect_uri", "state")}
    )
    assert confirmed.status_code == 302 and confirmed["Location"] == f"{BYE}?state=s2"
    assert "_auth_user_id" not in client.session


def test_signed_out_visitor_without_a_hint_sees_the_signed_out_page(client, db):
    session = client.session  # an anonymous session with something in it (a sign-in under way)
    session["kept"] = True
    session.save()

    response = client.get(LOGOUT)

    assert response.status_code == 200 and b"signed out" in response.content
    assert client.session.get("kept") is True


def test_an_expired_id_token_is_still_a_valid_hint(client, end_user, id_token):
    with time_machine.travel(timezone.now() + timedelta(hours=5)):
        response = client.get(LOGOUT, {"id_token_hint": id_token, "post_logout_redirect_uri": BYE})

    assert response.status_code == 302
    assert response["Location"] == BYE


@pytest.mark.parametrize(
    "target",
    [
        "https://app.example.com/bye/extra",
        "https://app.example.com/by",
        "https://app.example.com/bye#x",
        "https://evil@app.example.com/bye",
        "https://evil.example/bye",
        "https://app.example.com/callback",  # a sign-in redirect URI is not a sign-out one
    ],
)
def test_unregistered_target_gets_a_page_and_keeps_the_session(client, end_user, id_token, target):
    client.force_login(end_user)

    response = client.get(LOGOUT, {"id_token_hint": id_token, "post_logout_redirect_uri": target})

    assert response.status_code == 400
    assert "Location" not in response
    assert "_auth_user_id" in client.session


def test_target_without_hint_gets_a_page(client, db):
    response = client.get(LOGOUT, {"post_logout_redirect_uri": BYE})

    assert response.status_code == 400
    assert "Location" not in response


@pytest.mark.parametrize("hint", ["garbage", "a.b.c", "\x00"])
def test_bad_hint_gets_a_page(client, db, hint):
    response = client.get(LOGOUT, {"id_token_hint": hint, "post_logout_redirect_uri": BYE})

    assert response.status_code == 400
    assert "Location" not in response


def test_hint_of_the_other_server_gets_a_page(client, id_token):
    response = client.get("/oauth2/default/v1/logout", {"id_token_hint": id_token, "post_logout_redirect_uri": BYE})

    assert response.status_code == 400


def test_target_registered_by_another_app_is_refused(client, make_app, end_user, id_token):
    make_app(label="Other", post_logout_redirect_uris=["https://other.example.com/bye"])

    response = client.get(
        LOGOUT, {"id_token_hint": id_token, "post_logout_redirect_uri": "https://other.example.com/bye"}
    )

    assert response.status_code == 400


def test_native_app_returns_to_its_private_use_scheme(client, make_app, end_user):
    app, _ = make_app(
        label="Phone",
        application_type="native",
        redirect_uris=["com.example.phone:/callback"],
        post_logout_redirect_uris=["com.example.phone:/bye"],
    )
    id_token = tokens_for(client, app, end_user, scope="openid")["id_token"]

    response = client.get(LOGOUT, {"id_token_hint": id_token, "post_logout_redirect_uri": "com.example.phone:/bye"})

    assert response.status_code == 302
    assert response["Location"] == "com.example.phone:/bye"
