"""POST /oauth2/v1/token: the authorization_code and client_credentials grants, client
authentication, and every error of SPEC §6 that applies to them. (The refresh-token lifecycle
has its own files.)"""

import base64
from datetime import timedelta
from urllib.parse import urlencode

import jwt
import pytest
import time_machine
from django.utils import timezone

from core.models import Event
from core.systemlog import grants
from tests.kit.dbstate import changed_tables, row_counts
from tests.kit.oauth import (
    AUTH_FAILED,
    FORM,
    authorize_code,
    basic_auth,
    claims,
    exchange,
    introspection,
    token_request,
)
from tests.kit.servers import add_scope, set_default_custom_scopes
from tokens.models import AuthorizationCode, RevokedAccessToken, TokenFamily

TOKEN = "/oauth2/v1/token"
NO_CREDENTIALS = {"error": "invalid_client", "error_description": "No client credentials found."}
INVALID_CODE = {"error": "invalid_grant", "error_description": "The authorization code is invalid or has expired."}
DUPLICATE = {
    "error": "invalid_request",
    "error_description": "The request contained multiple parameters with the same name.",
}


def post(client, data, *, authorization=None, content_type=FORM, server="org"):
    body = urlencode(data, doseq=True) if content_type == FORM and not isinstance(data, str | bytes) else data
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    path = TOKEN if server == "org" else "/oauth2/default/v1/token"
    return client.post(path, body, content_type=content_type, **headers)


@pytest.fixture
def service_app(make_app):
    app, secret = make_app(label="Reporting job", application_type="service", grant_types=["client_credentials"])
    app.plain_secret = secret
    return app


@pytest.fixture
def grant(client, confidential_app, end_user):
    """A fresh authorization code of `end_user` for `confidential_app`."""
    client.force_login(end_user)
    issued = authorize_code(client, confidential_app)
    client.logout()
    return issued


def code_params(grant: dict, **changes) -> dict:
    params = {
        "grant_type": "authorization_code",
        "code": grant["code"],
        "redirect_uri": grant["redirect_uri"],
        "code_verifier": grant["verifier"],
    }
    params.update(changes)
    return {k: v for k, v in params.items() if v is not None}


# Client authentication ------------------------------------------------------------------------------


def test_no_client_credentials_is_401_with_www_authenticate(client, grant):
    before = row_counts()

    response = post(client, code_params(grant))

    assert response.status_code == 401
    assert response.json() == NO_CREDENTIALS
    assert response["WWW-Authenticate"].startswith("Basic")
    assert response["Cache-Control"] == "no-store"
    assert changed_tables(before) == {}


def test_wrong_secret_is_refused_and_logged(client, confidential_app, grant):
    before = row_counts()

    response = post(client, code_params(grant), authorization=basic_auth(confidential_app.client_id, "x" * 48))

    assert response.status_code == 401
    assert response.json() == AUTH_FAILED
    assert "WWW-Authenticate" in response
    assert changed_tables(before) == {
        "core.Event": (before["core.Event"], before["core.Event"] + 1),
        "core.AttemptCounter": (0, 1),  # the window's failures, for the event's count (tokens/oauth/limits.py)
    }
    event = Event.objects.get(event_type="app.oauth2.invalid_client_credentials")
    assert event.outcome_result == "FAILURE" and event.app_id == confidential_app.public_id
    assert "x" * 48 not in str(event.debug_data) + str(event.actor)
    assert AuthorizationCode.objects.get().redeemed_at is None  # the code is still good for the real client


def test_unknown_client_is_refused(client, grant):
    response = post(client, code_params(grant), authorization=basic_auth("0oaDoesNotExist123", "s" * 40))

    assert response.status_code == 401
    assert response.json() == AUTH_FAILED


def test_inactive_client_gets_no_tokens(client, confidential_app, grant):
    from clients.services import deactivate_app

    deactivate_app(confidential_app)

    response = exchange(client, confidential_app, grant, secret=confidential_app.plain_secret)

    assert response.status_code == 401
    assert response.json() == AUTH_FAILED
    assert TokenFamily.objects.count() == 0


def test_public_client_sending_a_secret_is_refused(client, public_app, end_user):
    client.force_login(end_user)
    issued = authorize_code(client, public_app)

    response = post(client, code_params(issued, client_id=public_app.client_id, client_secret="a-secret-it-has-not"))

    assert response.status_code == 401
    assert response.json() == AUTH_FAILED
    assert TokenFamily.objects.count() == 0


def test_public_client_authenticates_with_client_id_and_pkce(client, public_app, end_user):
    client.force_login(end_user)
    issued = authorize_code(client, public_app)

    response = post(client, code_params(issued, client_id=public_app.client_id))

    assert response.status_code == 200, response.content
    assert claims(response.json()["access_token"])["cid"] == public_app.client_id


def test_credentials_in_both_header_and_body_are_refused(client, confidential_app, grant):
    secret = confidential_app.plain_secret

    response = post(
        client,
        code_params(grant, client_id=confidential_app.client_id, client_secret=secret),
        authorization=basic_auth(confidential_app.client_id, secret),
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "multiple client credentials" in response.json()["error_description"]
    assert AuthorizationCode.objects.get().redeemed_at is None


def test_body_client_id_that_differs_from_the_header_is_refused(client, confidential_app, service_app, grant):
    response = post(
        client,
        code_params(grant, client_id=service_app.client_id),
        authorization=basic_auth(confidential_app.client_id, confidential_app.plain_secret),
    )

    assert response.status_code == 401
    assert response.json() == AUTH_FAILED


@pytest.mark.parametrize(
    "header",
    [
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon-here").decode(),
        "Basic " + base64.b64encode(b":only-a-secret").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe\xfd:x").decode(),
        "Basic ",
        "Basic",
        "Bearer abc.def.ghi",
        "Digest username=x",
        "basicdGVzdDp0ZXN0",
        "Basic " + base64.b64encode(b"client\x00id:secret").decode(),
        "Basic " + base64.b64encode(("c" * 5000 + ":s").encode()).decode(),
    ],
    ids=[
        "not-base64",
        "no-colon",
        "empty-id",
        "not-utf8",
        "empty",
        "scheme-only",
        "bearer",
        "digest",
        "no-space",
        "nul-byte",
        "huge-id",
    ],
)
def test_malformed_authorization_header_is_invalid_client(client, grant, header):
    before = row_counts()

    response = post(client, code_params(grant), authorization=header)

    assert response.status_code == 401
    assert response.json() == AUTH_FAILED
    assert "WWW-Authenticate" in response
    assert changed_tables(before) == {}


def test_client_secret_basic_works(client, confidential_app, grant):
    response = exchange(client, confidential_app, grant, secret=confidential_app.plain_secret)

    assert response.status_code == 200, response.content
    assert claims(response.json()["access_token"])["cid"] == confidential_app.client_id


def test_client_secret_post_works(client, make_app, end_user):
    app, secret = make_app(label="Posts its secret", token_endpoint_auth_method="client_secret_post")
    client.force_login(end_user)
    issued = authorize_code(client, app, scope="openid")

    response = post(client, code_params(issued, client_id=app.client_id, client_secret=secret))

    assert response.status_code == 200, response.content
    assert claims(response.json()["access_token"])["cid"] == app.client_id


def test_url_encoded_basic_credentials_are_decoded(client, make_app, end_user):
    """RFC 6749 §2.3.1: id and secret are form-urlencoded before base64."""
    app, secret = make_app(label="Odd secret", client_secret="s3cret with spaces&colon:=")
    client.force_login(end_user)
    issued = authorize_code(client, app, scope="openid")
    encoded = urlencode({"a": app.client_id})[2:] + ":" + urlencode({"a": secret})[2:]

    response = post(client, code_params(issued), authorization="Basic " + base64.b64encode(encoded.encode()).decode())

    assert response.status_code == 200, response.content


# Grant type ---------------------------------------------------------------------------------------


def test_unknown_grant_type_lists_the_configured_grants(client, confidential_app):
    response = token_request(
        client, {"grant_type": "urn:example:magic"}, app=confidential_app, secret=confidential_app.plain_secret
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": "unsupported_grant_type",
        "error_description": "The authorization grant type is not supported by the authorization server. "
        "Configured grant types: [authorization_code, refresh_token].",
    }


@pytest.mark.parametrize("accept", ["application/xml", "text/html", "application/json;q=0"])
def test_answers_json_whatever_the_accept_header_asks(client, confidential_app, accept):
    """RFC 6749 §5.1/§5.2: the token endpoint speaks JSON; an Accept header is no reason for a 406."""
    response = post(
        client,
        {"grant_type": "urn:example:magic"},
        authorization=basic_auth(confidential_app.client_id, confidential_app.plain_secret),
    )
    plain = response.json()
    response = client.post(
        TOKEN,
        urlencode({"grant_type": "urn:example:magic"}),
        content_type=FORM,
        HTTP_AUTHORIZATION=basic_auth(confidential_app.client_id, confidential_app.plain_secret),
        HTTP_ACCEPT=accept,
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == plain


def test_grant_not_enabled_on_the_app_is_unauthorized_client(client, confidential_app):
    response = token_request(
        client,
        {"grant_type": "client_credentials", "scope": "api:read"},
        app=confidential_app,
        secret=confidential_app.plain_secret,
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": "unauthorized_client",
        "error_description": "The client is not authorized to use the provided grant type. "
        "Configured grant types: [authorization_code, refresh_token].",
    }


def test_service_app_cannot_use_the_code_grant(client, service_app, grant):
    response = post(
        client, code_params(grant), authorization=basic_auth(service_app.client_id, service_app.plain_secret)
    )

    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"
    assert response.json()["error_description"].endswith("Configured grant types: [client_credentials].")


# Missing, duplicated and unreadable parameters ------------------------------------------------------


@pytest.mark.parametrize("name", ["grant_type", "code", "redirect_uri"])
def test_missing_parameter_is_named(client, confidential_app, grant, name):
    before = row_counts()

    response = post(
        client,
        code_params(grant, **{name: None}),
        authorization=basic_auth(confidential_app.client_id, confidential_app.plain_secret),
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": f"The required parameter '{name}' is missing.",
    }
    assert changed_tables(before) == {}
    assert AuthorizationCode.objects.get().redeemed_at is None


@pytest.mark.parametrize("name", ["grant_type", "code", "redirect_uri", "code_verifier", "client_id"])
def test_duplicated_parameter_is_refused(client, confidential_app, grant, name):
    data = code_params(grant, client_id=confidential_app.client_id)
    pairs = list(data.items()) + [(name, data[name])]
    before = row_counts()

    response = post(
        client, urlencode(pairs), authorization=basic_auth(confidential_app.client_id, confidential_app.plain_secret)
    )

    assert response.status_code == 400
    assert response.json() == DUPLICATE
    assert changed_tables(before) == {}
    assert AuthorizationCode.objects.get().redeemed_at is None


def test_json_body_is_refused(client, confidential_app, grant):
    before = row_counts()

    response = post(
        client,
        code_params(grant),
        content_type="application/json",
        authorization=basic_auth(confidential_app.client_id, confidential_app.plain_secret),
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert response["Cache-Control"] == "no-store"
    assert changed_tables(before) == {}


def test_multipart_body_is_refused(client, confidential_app, grant):
    response = client.post(
        TOKEN,
        code_params(grant),
        HTTP_AUTHORIZATION=basic_auth(confidential_app.client_id, confidential_app.plain_secret),
    )  # Django's test client sends multipart/form-data by default

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_body_larger_than_the_upload_limit_is_refused(client, settings, service_app):
    data = {
        "grant_type": "client_credentials",
        "scope": "api:read",
        "padding": "p" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
    }
    before = row_counts()

    response = post(client, data, authorization=basic_auth(service_app.client_id, service_app.plain_secret))

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "error_description": "The request body could not be read."}
    assert changed_tables(before) == {}


def test_get_is_not_allowed(client):
    response = client.get(TOKEN)

    assert response.status_code == 405
    assert response.json()["error"] == "invalid_request"


# The authorization code --------------------------------------------------------------------------


def test_code_exchange_returns_tokens_with_the_right_claims(client, confidential_app, end_user, grant):
    response = exchange(client, confidential_app, grant, secret=confidential_app.plain_secret)

    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"token_type", "expires_in", "access_token", "scope", "refresh_token", "id_token"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    access = claims(body["access_token"])
    assert jwt.get_unverified_header(body["access_token"])["typ"] == "at+jwt"
    assert access["cid"] == confidential_app.client_id and access["uid"] == end_user.uid
    assert access["sub"] == end_user.username and access["aud"] == access["iss"]
    assert access["scp"] == ["openid", "profile", "email", "offline_access"]
    assert access["exp"] - access["iat"] == 3600
    id_token = claims(body["id_token"])
    assert id_token["aud"] == confidential_app.client_id and id_token["sub"] == end_user.uid
    assert id_token["nonce"] == "n0nce" and id_token["email"] == end_user.email
    family = TokenFamily.objects.get()
    assert family.user == end_user and family.client == confidential_app and family.status == "ACTIVE"
    assert AuthorizationCode.objects.get().redeemed_at is not None


def test_unknown_code_is_invalid_grant(client, confidential_app, grant):
    before = row_counts()

    response = exchange(
        client, confidential_app, grant | {"code": "not-a-code-we-issued"}, secret=confidential_app.plain_secret
    )

    assert response.status_code == 400
    assert response.json() == INVALID_CODE
    assert changed_tables(before) == {}


def test_expired_code_is_invalid_grant(client, confidential_app, grant):
    with time_machine.travel(timezone.now() + timedelta(seconds=301)):
        response = exchange(client, confidential_app, grant, secret=confidential_app.plain_secret)

    assert response.status_code == 400
    assert response.json() == INVALID_CODE
    assert TokenFamily.objects.count() == 0


def test_code_still_works_just_before_it_expires(client, confidential_app, grant):
    with time_machine.travel(timezone.now() + timedelta(seconds=295)):
        response = exchange(client, confidential_app, grant, secret=confidential_app.plain_secret)

    assert response.status_code == 200, response.content


def test_code_of_another_client_is_invalid_grant(client, make_app, grant):
    other, secret = make_app(label="Other web app")

    response = exchange(client, other, grant, secret=secret)

    assert response.status_code == 400
    assert response.json() == INVALID_CODE
    assert AuthorizationCode.objects.get().redeemed_at is None


def test_code_of_the_other_server_is_invalid_grant(client, confidential_app, grant):
    response = exchange(client, confidential_app, grant, secret=confidential_app.plain_secret, server="default")

    assert response.status_code == 400
    assert response.json() == INVALID_CODE


@pytest.mark.parametrize(
    "redirect_uri",
    ["https://app.example.com/callback/", "https://app.example.com/other", "https://evil.example/cb", ""],
)
def test_redirect_uri_mismatch_is_invalid_grant(client, confidential_app, grant, redirect_uri):
    response = exchange(
        client, confidential_app, grant | {"redirect_uri": redirect_uri}, secret=confidential_app.plain_secret
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "The 'redirect_uri' does not match the redirection URI used in the authorization request.",
    }
    assert TokenFamily.objects.count() == 0


@pytest.mark.parametrize(
    "verifier",
    ["w" * 64, "", "short", "ü" * 50, None],
    ids=["wrong", "empty", "too-short", "non-ascii", "absent"],
)
def test_pkce_failure_is_invalid_grant(client, confidential_app, grant, verifier):
    before = row_counts()

    response = exchange(client, confidential_app, grant | {"verifier": verifier}, secret=confidential_app.plain_secret)

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "PKCE verification failed."}
    assert changed_tables(before) == {}


def test_verifier_without_a_challenge_is_refused(client, make_app, end_user):
    app, secret = make_app(label="No PKCE", pkce_required=False)
    client.force_login(end_user)
    response = client.get(
        "/oauth2/v1/authorize",
        {
            "client_id": app.client_id,
            "response_type": "code",
            "redirect_uri": "https://app.example.com/callback",
            "scope": "openid",
            "state": "s",
        },
    )
    code = response["Location"].split("code=")[1].split("&")[0]

    response = post(
        client,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "https://app.example.com/callback",
            "code_verifier": "v" * 50,
        },
        authorization=basic_auth(app.client_id, secret),
    )

    assert response.status_code == 400
    assert response.json()["error_description"] == "PKCE verification failed."


def test_second_use_of_a_code_revokes_what_the_first_issued(client, confidential_app, grant):
    secret = confidential_app.plain_secret
    first = exchange(client, confidential_app, grant, secret=secret).json()

    second = exchange(client, confidential_app, grant, secret=secret)

    assert second.status_code == 400
    assert second.json() == INVALID_CODE
    assert introspection(client, confidential_app, first["access_token"], secret) == {"active": False}
    assert introspection(client, confidential_app, first["refresh_token"], secret) == {"active": False}
    family = TokenFamily.objects.get()
    assert family.status == "REVOKED" and family.revoked_reason == "code_reuse"
    refreshed = token_request(
        client,
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        app=confidential_app,
        secret=secret,
    )
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"


def test_second_use_revokes_the_access_token_when_there_was_no_refresh_token(client, confidential_app, end_user):
    client.force_login(end_user)
    issued = authorize_code(client, confidential_app, scope="openid profile")
    secret = confidential_app.plain_secret
    first = exchange(client, confidential_app, issued, secret=secret).json()
    assert "refresh_token" not in first

    second = exchange(client, confidential_app, issued, secret=secret)

    assert second.status_code == 400
    assert second.json() == INVALID_CODE
    assert introspection(client, confidential_app, first["access_token"], secret) == {"active": False}
    assert RevokedAccessToken.objects.filter(jti=claims(first["access_token"])["jti"]).exists()


def test_no_refresh_token_without_offline_access(client, confidential_app, end_user):
    client.force_login(end_user)
    issued = authorize_code(client, confidential_app, scope="openid email")

    response = exchange(client, confidential_app, issued, secret=confidential_app.plain_secret)

    assert response.status_code == 200
    assert "refresh_token" not in response.json()
    assert TokenFamily.objects.count() == 0


def test_code_flow_on_the_default_server_uses_its_issuer_and_audience(client, confidential_app, end_user, settings):
    client.force_login(end_user)
    issued = authorize_code(client, confidential_app, server="default")

    response = exchange(client, confidential_app, issued, secret=confidential_app.plain_secret, server="default")

    assert response.status_code == 200, response.content
    access = claims(response.json()["access_token"])
    assert access["iss"] == f"{settings.ROTOR_ISSUER}/oauth2/default" and access["aud"] == "api://default"
    assert claims(response.json()["id_token"])["iss"] == f"{settings.ROTOR_ISSUER}/oauth2/default"
    assert TokenFamily.objects.get().server == "default"


# client_credentials ------------------------------------------------------------------------------


def test_client_credentials_issues_an_access_token_only(client, service_app):
    response = token_request(
        client,
        {"grant_type": "client_credentials", "scope": "api:read"},
        app=service_app,
        secret=service_app.plain_secret,
        server="default",
    )

    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"token_type", "expires_in", "access_token", "scope"}
    assert body["scope"] == "api:read"
    access = claims(body["access_token"])
    assert access["sub"] == service_app.client_id and access["cid"] == service_app.client_id
    assert access["scp"] == ["api:read"] and "uid" not in access
    assert TokenFamily.objects.count() == 0
    assert Event.objects.filter(grants.of_type("app.oauth2.as.token.grant.access_token")).count() == 1


def test_client_credentials_without_scope_gets_the_default_scopes(client, service_app):
    set_default_custom_scopes(["orders:read", "orders:write"], default=True)
    add_scope("default", "orders:admin")  # not a default scope

    response = token_request(
        client, {"grant_type": "client_credentials"}, app=service_app, secret=service_app.plain_secret, server="default"
    )

    assert response.status_code == 200
    assert claims(response.json()["access_token"])["scp"] == ["orders:read", "orders:write"]


def test_client_credentials_at_the_org_server_is_invalid_scope(client, service_app):
    """The org server has the OIDC scopes only, none of which a client acting for itself may ask for."""
    response = token_request(
        client,
        {"grant_type": "client_credentials", "scope": "api:read"},
        app=service_app,
        secret=service_app.plain_secret,
    )

    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"


def test_client_credentials_uses_the_servers_custom_scopes(client, service_app):
    set_default_custom_scopes(["orders:read", "orders:write"])

    response = token_request(
        client,
        {"grant_type": "client_credentials", "scope": "orders:write"},
        app=service_app,
        secret=service_app.plain_secret,
        server="default",
    )

    assert response.status_code == 200
    assert claims(response.json()["access_token"])["scp"] == ["orders:write"]


@pytest.mark.parametrize("scope", ["openid", "offline_access", "api:read unknown:scope", "api:admin"])
def test_client_credentials_with_a_user_or_unknown_scope_is_invalid_scope(client, service_app, scope):
    before = row_counts()

    response = token_request(
        client,
        {"grant_type": "client_credentials", "scope": scope},
        app=service_app,
        secret=service_app.plain_secret,
        server="default",
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_scope",
        "error_description": "The requested scope is invalid, unknown, malformed, or exceeds the scope granted by "
        "the resource owner.",
    }
    assert changed_tables(before) == {}


def test_client_credentials_with_client_secret_post(client, make_app):
    app, secret = make_app(
        label="Posting service",
        application_type="service",
        grant_types=["client_credentials"],
        token_endpoint_auth_method="client_secret_post",
    )

    data = {"grant_type": "client_credentials"}
    response = token_request(client, data, app=app, secret=secret, basic=False, server="default")

    assert response.status_code == 200
    assert claims(response.json()["access_token"])["cid"] == app.client_id


def test_client_credentials_on_the_default_server(client, service_app, settings):
    response = token_request(
        client,
        {"grant_type": "client_credentials"},
        app=service_app,
        secret=service_app.plain_secret,
        server="default",
    )

    assert response.status_code == 200
    access = claims(response.json()["access_token"])
    assert access["aud"] == "api://default" and access["iss"] == f"{settings.ROTOR_ISSUER}/oauth2/default"


# Never a 500 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"grant_type": "authorization_code", "code": "\x00", "redirect_uri": "x", "client_id": "c"},
        {"grant_type": "authorization_code", "client_id": "\x00abc"},
        {"grant_type": "client_credentials", "client_id": "x" * 10_000},
        {"grant_type": "\x00", "client_id": "abc"},
        {"grant_type": "refresh_token", "refresh_token": "\x00", "client_id": "abc"},
        {"grant_type": ["a", "b"]},
        {"client_id": ""},
        {},
    ],
    ids=["nul-code", "nul-client-id", "huge-client-id", "nul-grant", "nul-refresh", "two-grants", "empty-id", "empty"],
)
def test_garbage_never_gives_a_500_nor_a_row(client, db, data):
    before = row_counts()

    response = post(client, data)

    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("invalid_request", "invalid_client")
    assert changed_tables(before) == {}


@pytest.mark.parametrize(
    "extra",
    [
        {"code": "\x00"},
        {"code": "c" * 10_000},
        {"redirect_uri": "\x00"},
        {"code_verifier": "\x00" * 50},
    ],
    ids=["nul-code", "huge-code", "nul-redirect", "nul-verifier"],
)
def test_garbage_from_an_authenticated_client_never_gives_a_500(client, confidential_app, grant, extra):
    before = row_counts()

    response = post(
        client,
        code_params(grant, **extra),
        authorization=basic_auth(confidential_app.client_id, confidential_app.plain_secret),
    )

    assert response.status_code == 400
    assert response.json()["error"] in ("invalid_request", "invalid_grant")
    assert changed_tables(before) == {}


def test_non_utf8_body_never_gives_a_500(client, confidential_app):
    response = client.post(
        TOKEN,
        b"grant_type=authorization_code&code=\xff\xfe&redirect_uri=x",
        content_type=FORM,
        HTTP_AUTHORIZATION=basic_auth(confidential_app.client_id, confidential_app.plain_secret),
    )

    assert response.status_code == 400
    assert response.json()["error"] in ("invalid_request", "invalid_grant")


def test_too_many_fields_is_invalid_request(client, settings, service_app):
    data = [("grant_type", "client_credentials")] + [
        (f"f{i}", "x") for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)
    ]

    response = post(client, urlencode(data), authorization=basic_auth(service_app.client_id, service_app.plain_secret))

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_code_of_a_user_deactivated_since_is_invalid_grant(client, confidential_app, end_user, grant):
    from accounts.services import deactivate_user

    deactivate_user(end_user)

    response = exchange(client, confidential_app, grant, secret=confidential_app.plain_secret)

    assert response.status_code == 400
    assert response.json() == INVALID_CODE
    assert TokenFamily.objects.count() == 0


def test_id_token_has_no_nonce_when_none_was_sent(client, confidential_app, end_user):
    client.force_login(end_user)
    issued = authorize_code(client, confidential_app, nonce="")

    response = exchange(client, confidential_app, issued, secret=confidential_app.plain_secret)

    id_token = claims(response.json()["id_token"])
    assert "nonce" not in id_token
    assert id_token["amr"] == ["pwd"] and id_token["ver"] == 1 and id_token["at_hash"]


def test_a_nul_in_the_user_agent_is_dropped_from_the_event_not_a_500(client, make_app):
    """PostgreSQL's jsonb refuses NUL; the event keeps the rest of the header (found by the fuzz run)."""
    app, secret = make_app(label="svc", application_type="service", grant_types=["client_credentials"])
    response = client.post(
        "/oauth2/default/v1/token",
        "grant_type=client_credentials",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=basic_auth(app.client_id, secret),
        HTTP_USER_AGENT="bad\x00agent",
    )
    assert response.status_code == 200
    event = Event.objects.filter(app_id=app.public_id).latest("id")
    assert event.client_info["userAgent"]["rawUserAgent"] == "badagent"
