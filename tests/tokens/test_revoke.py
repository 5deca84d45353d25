"""POST /oauth2/v1/revoke (RFC 7009, SPEC §3)."""

import pytest

from core.models import Event
from tests.kit.dbstate import changed_tables, row_counts
from tests.kit.oauth import FORM, basic_auth, claims, form_post, introspect, refresh, tokens_for
from tokens.models import RevokedAccessToken, TokenFamily


def revoke(client, app, token, secret=None, **extra):
    return form_post(client, "revoke", {"token": token, **extra}, app=app, secret=secret)


def test_revoking_a_refresh_token_revokes_its_family_and_access_tokens(client, confidential_app, issued):
    secret = confidential_app.plain_secret

    response = revoke(client, confidential_app, issued["refresh_token"], secret)

    assert response.status_code == 200
    assert response.content == b""
    assert response["Cache-Control"] == "no-store"
    family = TokenFamily.objects.get()
    assert family.status == "REVOKED" and family.revoked_reason == "revoked_by_client"
    assert introspect(client, confidential_app, issued["access_token"], secret).json() == {"active": False}
    assert introspect(client, confidential_app, issued["refresh_token"], secret).json() == {"active": False}
    again = refresh(client, confidential_app, issued["refresh_token"], secret=secret)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    event = Event.objects.get(event_type="app.oauth2.token.revoke")
    assert event.family_id == family.public_id
    assert issued["refresh_token"] not in str(event.debug_data) + str(event.targets)


def test_revoking_an_access_token_leaves_the_refresh_token_alone(client, confidential_app, issued):
    secret = confidential_app.plain_secret

    response = revoke(client, confidential_app, issued["access_token"], secret, token_type_hint="access_token")

    assert response.status_code == 200 and response.content == b""
    assert introspect(client, confidential_app, issued["access_token"], secret).json() == {"active": False}
    assert RevokedAccessToken.objects.filter(jti=claims(issued["access_token"])["jti"]).exists()
    assert TokenFamily.objects.get().status == "ACTIVE"
    refreshed = refresh(client, confidential_app, issued["refresh_token"], secret=secret)
    assert refreshed.status_code == 200
    assert introspect(client, confidential_app, refreshed.json()["access_token"], secret).json()["active"] is True


def test_a_wrong_type_hint_still_finds_the_token(client, confidential_app, issued):
    response = revoke(
        client, confidential_app, issued["refresh_token"], confidential_app.plain_secret, token_type_hint="access_token"
    )

    assert response.status_code == 200
    assert TokenFamily.objects.get().status == "REVOKED"


@pytest.mark.parametrize("token", ["not-a-token", "a.b.c", "x" * 10_000, "\x00"])
def test_unknown_token_is_200_and_changes_nothing(client, confidential_app, issued, token):
    before = row_counts()

    response = revoke(client, confidential_app, token, confidential_app.plain_secret)

    assert response.status_code == 200 and response.content == b""
    assert changed_tables(before) == {}


def test_revoking_twice_is_200(client, confidential_app, issued):
    revoke(client, confidential_app, issued["refresh_token"], confidential_app.plain_secret)
    events = Event.objects.count()

    response = revoke(client, confidential_app, issued["refresh_token"], confidential_app.plain_secret)

    assert response.status_code == 200
    assert Event.objects.count() == events  # nothing new happened, nothing new logged


def test_another_clients_refresh_token_is_not_revoked(client, confidential_app, make_app, issued):
    other, other_secret = make_app(label="Other app")

    response = revoke(client, other, issued["refresh_token"], other_secret)

    assert response.status_code == 200 and response.content == b""
    assert TokenFamily.objects.get().status == "ACTIVE"


def test_another_clients_access_token_is_not_revoked(client, confidential_app, make_app, issued):
    other, other_secret = make_app(label="Other app")

    response = revoke(client, other, issued["access_token"], other_secret)

    assert response.status_code == 200
    assert RevokedAccessToken.objects.count() == 0
    assert introspect(client, confidential_app, issued["access_token"], confidential_app.plain_secret).json()["active"]


def test_a_token_of_the_other_server_is_not_revoked_there(client, confidential_app, issued):
    response = form_post(
        client,
        "revoke",
        {"token": issued["refresh_token"]},
        app=confidential_app,
        secret=confidential_app.plain_secret,
        server="default",
    )

    assert response.status_code == 200
    assert TokenFamily.objects.get().status == "ACTIVE"


def test_public_client_revokes_with_client_id_alone(client, public_app, end_user):
    issued = tokens_for(client, public_app, end_user)

    response = revoke(client, public_app, issued["refresh_token"])

    assert response.status_code == 200
    assert TokenFamily.objects.get().status == "REVOKED"


def test_confidential_client_must_authenticate(client, confidential_app, issued):
    response = revoke(client, confidential_app, issued["refresh_token"])  # client_id without the secret

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert TokenFamily.objects.get().status == "ACTIVE"


def test_no_client_credentials_is_401(client, issued):
    response = form_post(client, "revoke", {"token": issued["refresh_token"]})

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client", "error_description": "No client credentials found."}
    assert "WWW-Authenticate" in response
    assert TokenFamily.objects.get().status == "ACTIVE"


def test_wrong_secret_is_401(client, confidential_app, issued):
    response = revoke(client, confidential_app, issued["refresh_token"], "wrong-secret-wrong-secret")

    assert response.status_code == 401
    assert TokenFamily.objects.get().status == "ACTIVE"


def test_missing_token_is_invalid_request(client, confidential_app, issued):
    response = form_post(
        client,
        "revoke",
        {"token_type_hint": "access_token"},
        app=confidential_app,
        secret=confidential_app.plain_secret,
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "The required parameter 'token' is missing.",
    }


def test_duplicated_token_is_invalid_request(client, confidential_app, issued):
    from urllib.parse import urlencode

    response = client.post(
        "/oauth2/v1/revoke",
        urlencode([("token", issued["refresh_token"]), ("token", "other")]),
        content_type=FORM,
        HTTP_AUTHORIZATION=basic_auth(confidential_app.client_id, confidential_app.plain_secret),
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert TokenFamily.objects.get().status == "ACTIVE"


def test_json_body_is_invalid_request(client, confidential_app, issued):
    response = client.post(
        "/oauth2/v1/revoke",
        {"token": issued["refresh_token"]},
        content_type="application/json",
        HTTP_AUTHORIZATION=basic_auth(confidential_app.client_id, confidential_app.plain_secret),
    )

    assert response.status_code == 400
    assert TokenFamily.objects.get().status == "ACTIVE"


def test_empty_body_is_invalid_request(client, confidential_app):
    response = form_post(client, "revoke", {}, app=None)

    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("invalid_request", "invalid_client")
