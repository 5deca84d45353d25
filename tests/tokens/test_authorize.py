"""GET|POST /oauth2/v1/authorize: redirect-URI checks, request errors, sign-in, prompt, max_age,
consent and response modes."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tests.kit.dbstate import changed_tables, row_counts
from tests.kit.oauth import authorize_code, authorize_params, exchange, pkce_pair
from tokens.models import AuthorizationCode, ConsentGrant

AUTHORIZE = "/oauth2/v1/authorize"
CALLBACK = "https://app.example.com/callback"


def query_of(location: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def params_for(app, **extra) -> dict:
    _, challenge = pkce_pair()
    return authorize_params(app, challenge=challenge, **extra)


@pytest.fixture
def consent_app(make_app):
    app, secret = make_app(
        label="Needs consent", consent_method="REQUIRED", grant_types=["authorization_code", "refresh_token"]
    )
    app.plain_secret = secret
    return app


# Redirect URI checks: a page, never a redirect ---------------------------------------------------------


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://app.example.com/call",  # prefix of the registered URI
        "https://app.example.com/callback/extra",  # extra path
        "https://app.example.com/callback/",  # trailing slash
        "https://app.example.com/Callback",  # case in the path
        "https://app.example.com/callback#frag",  # fragment
        "https://app.example.com/callback#",  # empty fragment
        "https://app.example.com/callback?next=evil",  # extra query
        "https://app.example.com/callback?",  # empty query
        "https://app.example.com/call%62ack",  # percent-encoded character
        "https://app.example.com/callback%2F..%2Fevil",  # encoded traversal
        "https://app.example.com:8443/callback",  # different port
        "https://app.example.com:443/callback",  # explicit default port
        "http://app.example.com/callback",  # different scheme
        "https://evil@app.example.com/callback",  # userinfo
        "https://app.example.com@evil.example/callback",  # userinfo that moves the host
        "https://app.example.com.evil.example/callback",  # host suffix
        "https://evil.example/callback",  # other host
        "//app.example.com/callback",  # scheme-relative
        "https://app.example.com/callback\x00",  # NUL byte
        "javascript:alert(1)//https://app.example.com/callback",
    ],
)
def test_redirect_uri_tricks_get_an_error_page_not_a_redirect(signed_in, confidential_app, redirect_uri):
    before = row_counts()

    response = signed_in.get(AUTHORIZE, params_for(confidential_app, redirect_uri=redirect_uri))

    assert response.status_code == 400
    assert "Location" not in response
    assert response["Content-Type"].startswith("text/html")
    assert b"Login redirect URI" in response.content
    assert changed_tables(before) == {}


def test_redirect_uri_host_is_case_insensitive(signed_in, confidential_app):
    """RFC 3986 §6.2.2.1: scheme and host are case-insensitive, the path is not."""
    response = signed_in.get(AUTHORIZE, params_for(confidential_app, redirect_uri="https://APP.example.com/callback"))

    assert response.status_code == 302
    assert "code" in query_of(response["Location"])


def test_missing_redirect_uri_gets_a_page(signed_in, confidential_app):
    params = params_for(confidential_app)
    del params["redirect_uri"]

    response = signed_in.get(AUTHORIZE, params)

    assert response.status_code == 400
    assert b"redirect_uri" in response.content


def test_duplicated_redirect_uri_gets_a_page(signed_in, confidential_app):
    params = list(params_for(confidential_app).items()) + [("redirect_uri", "https://evil.example/cb")]
    query = "&".join(f"{k}={v}" for k, v in params)

    response = signed_in.get(f"{AUTHORIZE}?{query}")

    assert response.status_code == 400
    assert "Location" not in response


@pytest.mark.parametrize("client_id", ["0oaUnknownClient1234", "", "\x00", "x" * 5000])
def test_unknown_client_gets_a_page(signed_in, db, client_id):
    response = signed_in.get(
        AUTHORIZE, {"client_id": client_id, "redirect_uri": CALLBACK, "response_type": "code", "scope": "openid"}
    )

    assert response.status_code == 400
    assert "Location" not in response


def test_inactive_client_gets_a_page(signed_in, confidential_app):
    from clients.services import deactivate_app

    deactivate_app(confidential_app)

    response = signed_in.get(AUTHORIZE, params_for(confidential_app))

    assert response.status_code == 400
    assert "Location" not in response
    assert b"not active" in response.content
    assert AuthorizationCode.objects.count() == 0


# Errors after the redirect URI is trusted: back to the client with state ------------------------------


@pytest.mark.parametrize(
    "changes, error",
    [
        ({"response_type": None}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": "code id_token"}, "unsupported_response_type"),
        ({"scope": None}, "invalid_scope"),
        ({"scope": "openid made_up"}, "invalid_scope"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": "too-short"}, "invalid_request"),
        ({"code_challenge": "A" * 43 + "\n"}, "invalid_request"),  # `$` let the newline through
        ({"code_challenge": "A" * 128 + "\n"}, "invalid_request"),  # ...and then 129 chars were a 500 on insert
        ({"prompt": "none login"}, "invalid_request"),
        ({"prompt": "sometimes"}, "invalid_request"),
        ({"max_age": "-5"}, "invalid_request"),
        ({"max_age": "soon"}, "invalid_request"),
        ({"max_age": "²"}, "invalid_request"),  # str.isdigit() said yes, int() raised: a 500 (found by the fuzz run)
        ({"max_age": "١٢"}, "invalid_request"),  # digits, but not ASCII ones
        ({"max_age": "12345678901"}, "invalid_request"),
        ({"response_mode": "fragment"}, "unsupported_response_mode"),
    ],
)
def test_request_errors_redirect_with_error_and_state(signed_in, confidential_app, changes, error):
    params = {k: v for k, v in (params_for(confidential_app) | changes).items() if v is not None}
    before = row_counts()

    response = signed_in.get(AUTHORIZE, params)

    assert response.status_code == 302
    assert response["Location"].startswith(CALLBACK + "?")
    query = query_of(response["Location"])
    assert query["error"] == error and query["state"] == "st4te" and query["error_description"]
    assert "code" not in query
    assert changed_tables(before) == {}


def test_duplicated_scope_redirects_with_invalid_request(signed_in, confidential_app):
    query = "&".join(f"{k}={v}" for k, v in params_for(confidential_app).items()) + "&scope=email"

    response = signed_in.get(f"{AUTHORIZE}?{query}")

    assert response.status_code == 302
    assert query_of(response["Location"])["error"] == "invalid_request"


def test_error_without_state_carries_no_state(signed_in, confidential_app):
    params = params_for(confidential_app, response_type="token")
    del params["state"]

    response = signed_in.get(AUTHORIZE, params)

    assert response.status_code == 302
    assert "state" not in query_of(response["Location"])


def test_public_client_without_pkce_is_refused(signed_in, public_app):
    params = authorize_params(public_app)  # no code_challenge

    response = signed_in.get(AUTHORIZE, params)

    assert response.status_code == 302
    query = query_of(response["Location"])
    assert query["error"] == "invalid_request" and query["state"] == "st4te"
    assert "PKCE" in query["error_description"]
    assert AuthorizationCode.objects.count() == 0


def test_pkce_required_web_app_without_pkce_is_refused(signed_in, make_app):
    app, _ = make_app(label="Strict web app", pkce_required=True)

    response = signed_in.get(AUTHORIZE, authorize_params(app))

    assert response.status_code == 302
    assert query_of(response["Location"])["error"] == "invalid_request"


def test_web_app_without_pkce_requirement_may_skip_pkce(signed_in, make_app):
    app, _ = make_app(label="Classic web app", pkce_required=False)

    response = signed_in.get(AUTHORIZE, authorize_params(app))

    assert response.status_code == 302
    assert "code" in query_of(response["Location"])
    assert AuthorizationCode.objects.get().code_challenge == ""


def test_app_without_the_code_grant_is_unauthorized_client(signed_in, make_app):
    app, _ = make_app(
        label="Device only",
        application_type="native",
        grant_types=["urn:ietf:params:oauth:grant-type:device_code"],
        redirect_uris=["com.example.app:/cb"],
    )

    response = signed_in.get(AUTHORIZE, params_for(app, redirect_uri="com.example.app:/cb"))

    assert response.status_code == 302
    assert response["Location"].startswith("com.example.app:/cb?")
    assert query_of(response["Location"])["error"] == "unauthorized_client"


def test_native_app_gets_its_code_at_a_private_use_scheme(signed_in, make_app):
    """RFC 8252 §7.1: native apps receive the code at a custom scheme (Django alone refuses to redirect there)."""
    app, _ = make_app(label="Phone app", application_type="native", redirect_uris=["com.example.phone:/callback"])

    response = signed_in.get(AUTHORIZE, params_for(app, redirect_uri="com.example.phone:/callback"))

    assert response.status_code == 302
    assert response["Location"].startswith("com.example.phone:/callback?code=")


@pytest.mark.parametrize("name", ["nonce", "state", "login_hint", "scope", "code_challenge"])
def test_nul_byte_in_a_parameter_never_gives_a_500(signed_in, confidential_app, name):
    before = row_counts()

    response = signed_in.get(AUTHORIZE, params_for(confidential_app) | {name: "a\x00b"})

    assert response.status_code == 302
    assert query_of(response["Location"])["error"] in ("invalid_request", "invalid_scope")
    assert changed_tables(before) == {}


# The happy path ----------------------------------------------------------------------------------


def test_signed_in_user_gets_a_code_for_a_trusted_app(signed_in, confidential_app, end_user):
    response = signed_in.get(AUTHORIZE, params_for(confidential_app))

    assert response.status_code == 302
    query = query_of(response["Location"])
    assert set(query) == {"code", "state"} and query["state"] == "st4te"
    code = AuthorizationCode.objects.get()
    assert code.user == end_user and code.client == confidential_app and code.redirect_uri == CALLBACK
    assert code.scopes == ["openid", "profile", "email", "offline_access"]
    assert code.code_hash != query["code"] and query["code"] not in code.code_hash


def test_signed_out_user_is_sent_to_sign_in_and_back(client, confidential_app, end_user):
    params = params_for(confidential_app)

    response = client.get(AUTHORIZE, params)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    next_url = query_of(response["Location"])["next"]
    page = client.get(response["Location"])
    assert page.status_code == 200 and b'name="username"' in page.content and b'name="password"' in page.content
    response = client.post(
        "/accounts/login/", {"username": end_user.username, "password": "alice password 1", "next": next_url}
    )
    assert response.status_code == 302 and response["Location"] == next_url
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"].startswith(CALLBACK) and "code" in query_of(response["Location"])


def test_wrong_password_stays_on_the_sign_in_page(client, confidential_app, end_user):
    response = client.post("/accounts/login/", {"username": end_user.username, "password": "nope", "next": AUTHORIZE})

    assert response.status_code == 200
    assert b'role="alert"' in response.content
    assert AuthorizationCode.objects.count() == 0


def test_sign_in_refuses_an_offsite_next(client, end_user):
    response = client.post(
        "/accounts/login/",
        {"username": end_user.username, "password": "alice password 1", "next": "https://evil.example/"},
    )

    assert response.status_code == 302
    assert not response["Location"].startswith("https://evil.example")


# prompt and max_age ----------------------------------------------------------------------------


def test_prompt_none_when_signed_out_is_login_required(client, confidential_app):
    response = client.get(AUTHORIZE, params_for(confidential_app, prompt="none"))

    assert response.status_code == 302
    query = query_of(response["Location"])
    assert response["Location"].startswith(CALLBACK)
    assert query["error"] == "login_required" and query["state"] == "st4te"


def test_prompt_none_without_consent_is_consent_required(signed_in, consent_app):
    response = signed_in.get(AUTHORIZE, params_for(consent_app, prompt="none"))

    assert response.status_code == 302
    assert query_of(response["Location"])["error"] == "consent_required"


def test_prompt_none_when_signed_in_returns_a_code(signed_in, confidential_app):
    response = signed_in.get(AUTHORIZE, params_for(confidential_app, prompt="none"))

    assert response.status_code == 302
    assert "code" in query_of(response["Location"])


def test_prompt_login_makes_a_signed_in_user_sign_in_again(signed_in, confidential_app, end_user):
    response = signed_in.get(AUTHORIZE, params_for(confidential_app, prompt="login"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    next_url = query_of(response["Location"])["next"]
    assert "prompt" not in query_of(next_url)
    assert "_auth_user_id" in signed_in.session  # asking to sign in again ends nothing
    response = signed_in.post(
        "/accounts/login/", {"username": end_user.username, "password": "alice password 1", "next": next_url}
    )
    response = signed_in.get(response["Location"])
    assert response.status_code == 302 and "code" in query_of(response["Location"])


def test_max_age_exceeded_sends_the_user_to_sign_in(signed_in, confidential_app):
    with time_machine.travel(timezone.now() + timedelta(seconds=120)):
        response = signed_in.get(AUTHORIZE, params_for(confidential_app, max_age="60"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert AuthorizationCode.objects.count() == 0
    assert "_auth_user_id" in signed_in.session


def sign_in(client, user, next_url, password="alice password 1"):
    return client.post("/accounts/login/", {"username": user.username, "password": password, "next": next_url})


def test_prompt_login_keeps_the_session_until_the_new_sign_in(client, confidential_app, end_user):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.force_login(end_user)
        first_sign_in = client.session["auth_time"]
        session_key = client.session.session_key
        clock.shift(300)

        response = client.get(AUTHORIZE, params_for(confidential_app, prompt="login"))  # e.g. a link on any page
        next_url = query_of(response["Location"])["next"]
        assert client.session.session_key == session_key and client.session["_auth_user_id"] == str(end_user.pk)

        skipped = client.get(next_url)  # back without signing in: asked again, no code
        assert skipped["Location"].startswith("/accounts/login/")
        assert AuthorizationCode.objects.count() == 0 and client.session.session_key == session_key

        clock.shift(20)
        back = sign_in(client, end_user, next_url)
        assert back.status_code == 302
        assert client.session["auth_time"] == first_sign_in + 320  # only the new sign-in renewed the session
        response = client.get(back["Location"])

    assert response.status_code == 302 and "code" in query_of(response["Location"])
    assert AuthorizationCode.objects.get().auth_time.timestamp() >= first_sign_in + 320


def test_prompt_login_lets_someone_else_sign_in_once(client, confidential_app, end_user, other_user):
    client.force_login(end_user)
    response = client.get(AUTHORIZE, params_for(confidential_app, prompt="login"))
    next_url = query_of(response["Location"])["next"]

    back = sign_in(client, other_user, next_url, password="mallory password 1")
    response = client.get(back["Location"])

    assert response.status_code == 302 and "code" in query_of(response["Location"])
    assert AuthorizationCode.objects.get().user == other_user


def test_max_age_within_limit_gives_a_code_with_the_original_auth_time(client, confidential_app, end_user):
    signed_in_at = int(timezone.now().timestamp())
    client.force_login(end_user)
    with time_machine.travel(timezone.now() + timedelta(seconds=120)):
        issued = authorize_code(client, confidential_app, max_age="600")
        response = exchange(client, confidential_app, issued, secret=confidential_app.plain_secret)

    assert response.status_code == 200
    auth_time = jwt.decode(response.json()["id_token"], options={"verify_signature": False})["auth_time"]
    assert abs(auth_time - signed_in_at) <= 1


def test_prompt_none_past_max_age_is_login_required(signed_in, confidential_app):
    with time_machine.travel(timezone.now() + timedelta(seconds=120)):
        response = signed_in.get(AUTHORIZE, params_for(confidential_app, prompt="none", max_age="60"))

    assert response.status_code == 302
    assert query_of(response["Location"])["error"] == "login_required"


# Consent ---------------------------------------------------------------------------------------


def test_consent_required_app_shows_the_scopes(signed_in, consent_app):
    response = signed_in.get(AUTHORIZE, params_for(consent_app))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Needs consent" in page
    for scope in ("openid", "profile", "email", "offline_access"):
        assert f"<code>{scope}</code>" in page
    assert 'value="allow"' in page and 'value="deny"' in page
    assert AuthorizationCode.objects.count() == 0


def _consent_form(page: str) -> dict:
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    return {k: v.replace("&amp;", "&") for k, v in fields.items()}


def test_allowing_consent_gives_a_code_and_is_remembered(client, consent_app, end_user):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(end_user)
    page = csrf_client.get(AUTHORIZE, params_for(consent_app)).content.decode()

    response = csrf_client.post(AUTHORIZE, _consent_form(page) | {"decision": "allow"})

    assert response.status_code == 302
    assert response["Location"].startswith(CALLBACK) and "code" in query_of(response["Location"])
    assert set(ConsentGrant.objects.get(user=end_user, client=consent_app).scopes) == {
        "openid",
        "profile",
        "email",
        "offline_access",
    }
    again = csrf_client.get(AUTHORIZE, params_for(consent_app))
    assert again.status_code == 302 and "code" in query_of(again["Location"])


def test_denying_consent_is_access_denied(client, consent_app, end_user):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(end_user)
    page = csrf_client.get(AUTHORIZE, params_for(consent_app)).content.decode()

    response = csrf_client.post(AUTHORIZE, _consent_form(page) | {"decision": "deny"})

    assert response.status_code == 302
    query = query_of(response["Location"])
    assert query["error"] == "access_denied" and query["state"] == "st4te"
    assert AuthorizationCode.objects.count() == 0
    assert ConsentGrant.objects.count() == 0


def test_consent_post_without_csrf_token_is_refused(consent_app, end_user):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(end_user)

    response = csrf_client.post(AUTHORIZE, params_for(consent_app) | {"decision": "allow"})

    assert response.status_code == 403
    assert AuthorizationCode.objects.count() == 0
    assert ConsentGrant.objects.count() == 0


def test_wider_scope_asks_for_consent_again(signed_in, consent_app, end_user):
    ConsentGrant.objects.create(user=end_user, client=consent_app, scopes=["openid"])

    narrow = signed_in.get(AUTHORIZE, params_for(consent_app, scope="openid"))
    wide = signed_in.get(AUTHORIZE, params_for(consent_app, scope="openid email"))

    assert narrow.status_code == 302
    assert wide.status_code == 200 and b"<code>email</code>" in wide.content


def test_prompt_consent_shows_the_page_even_after_consent(signed_in, consent_app, end_user):
    ConsentGrant.objects.create(user=end_user, client=consent_app, scopes=["openid"])

    response = signed_in.get(AUTHORIZE, params_for(consent_app, scope="openid", prompt="consent"))

    assert response.status_code == 200
    assert b'value="allow"' in response.content


def test_trusted_app_skips_consent(signed_in, confidential_app):
    assert confidential_app.consent_method == "TRUSTED"

    response = signed_in.get(AUTHORIZE, params_for(confidential_app, prompt="consent"))

    assert response.status_code == 302
    assert "code" in query_of(response["Location"])


# Response modes ------------------------------------------------------------------------------------


def test_form_post_response_mode_posts_code_and_state(signed_in, confidential_app):
    response = signed_in.get(AUTHORIZE, params_for(confidential_app, response_mode="form_post"))

    assert response.status_code == 200
    page = response.content.decode()
    assert f'action="{CALLBACK}"' in page and 'method="post"' in page
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page))
    assert set(fields) == {"code", "state"} and fields["state"] == "st4te"
    assert AuthorizationCode.objects.count() == 1


def test_form_post_errors_are_posted_too(signed_in, confidential_app):
    response = signed_in.get(AUTHORIZE, params_for(confidential_app, response_mode="form_post", scope="made_up"))

    assert response.status_code == 200
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', response.content.decode()))
    assert fields["error"] == "invalid_scope" and fields["state"] == "st4te"


def test_state_is_escaped_in_form_post(signed_in, confidential_app):
    response = signed_in.get(
        AUTHORIZE, params_for(confidential_app, response_mode="form_post", state='"><script>alert(1)</script>')
    )

    assert response.status_code == 200
    assert b"<script>alert(1)</script>" not in response.content


# offline_access ----------------------------------------------------------------------------------


def test_offline_access_is_dropped_when_the_app_has_no_refresh_grant(client, make_app, end_user):
    app, secret = make_app(label="No refresh", grant_types=["authorization_code"])
    client.force_login(end_user)

    issued = authorize_code(client, app, scope="openid offline_access")
    response = exchange(client, app, issued, secret=secret)

    assert AuthorizationCode.objects.get().scopes == ["openid"]
    assert response.status_code == 200
    body = response.json()
    assert "refresh_token" not in body and body["scope"] == "openid"
    assert jwt.decode(body["access_token"], options={"verify_signature": False})["scp"] == ["openid"]


def test_default_server_authorize_issues_a_code_for_that_server(signed_in, confidential_app):
    response = signed_in.get("/oauth2/default/v1/authorize", params_for(confidential_app))

    assert response.status_code == 302
    assert AuthorizationCode.objects.get().server == "default"


def test_max_age_zero_signs_in_once_and_then_returns_a_code(client, confidential_app, end_user):
    """max_age=0 asks for a fresh sign-in; after it, the request must go through, not loop."""
    params = params_for(confidential_app, max_age="0")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.force_login(end_user)
        clock.shift(600)
        response = client.get(AUTHORIZE, params)
        assert response["Location"].startswith("/accounts/login/")
        next_url = query_of(response["Location"])["next"]
        clock.shift(20)  # typing the password
        response = client.post(
            "/accounts/login/", {"username": end_user.username, "password": "alice password 1", "next": next_url}
        )
        clock.shift(1.5)  # the browser follows the redirect

        response = client.get(response["Location"])

        assert response.status_code == 302
        assert response["Location"].startswith(CALLBACK) and "code" in query_of(response["Location"])
        clock.shift(5)
        again = client.get(AUTHORIZE, params)  # a later max_age=0 request asks again
        assert again["Location"].startswith("/accounts/login/")


def test_max_age_zero_with_consent_signs_in_once_then_asks_consent_once(client, consent_app, end_user):
    params = params_for(consent_app, max_age="0")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        response = client.get(AUTHORIZE, params)
        next_url = query_of(response["Location"])["next"]
        clock.shift(10)
        client.post(
            "/accounts/login/", {"username": end_user.username, "password": "alice password 1", "next": next_url}
        )
        clock.shift(2)
        page = client.get(next_url)
        assert page.status_code == 200 and b'value="allow"' in page.content
        clock.shift(5)

        response = client.post(AUTHORIZE, _consent_form(page.content.decode()) | {"decision": "allow"})

        assert response.status_code == 302
        assert "code" in query_of(response["Location"])


@pytest.mark.parametrize("mode", ["query", "form_post"])
def test_answers_carrying_a_code_are_never_cached(signed_in, confidential_app, mode):
    response = signed_in.get(AUTHORIZE, params_for(confidential_app, response_mode=mode))

    assert response.status_code in (200, 302)
    assert "no-store" in response["Cache-Control"]


def test_consent_page_cannot_be_framed_or_cached(signed_in, consent_app):
    response = signed_in.get(AUTHORIZE, params_for(consent_app))

    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert "no-store" in response["Cache-Control"]


def test_no_id_token_without_openid(client, confidential_app, end_user):
    client.force_login(end_user)
    issued = authorize_code(client, confidential_app, scope="profile email")

    response = exchange(client, confidential_app, issued, secret=confidential_app.plain_secret)

    assert response.status_code == 200
    assert "id_token" not in response.json() and response.json()["scope"] == "profile email"


def test_loopback_redirect_accepts_any_port(signed_in, make_app):
    """RFC 8252 §7.3: native apps listen on an ephemeral loopback port."""
    app, _ = make_app(label="Desktop app", application_type="native", redirect_uris=["http://127.0.0.1/callback"])

    response = signed_in.get(AUTHORIZE, params_for(app, redirect_uri="http://127.0.0.1:51234/callback"))

    assert response.status_code == 302
    assert response["Location"].startswith("http://127.0.0.1:51234/callback?code=")


def test_loopback_port_freedom_does_not_extend_to_other_hosts(signed_in, make_app):
    app, _ = make_app(label="Desktop app", application_type="native", redirect_uris=["http://127.0.0.1/callback"])

    response = signed_in.get(AUTHORIZE, params_for(app, redirect_uri="http://127.0.0.2:51234/callback"))

    assert response.status_code == 400
    assert "Location" not in response


def test_app_name_is_escaped_on_the_consent_page(signed_in, make_app):
    app, _ = make_app(label="<script>alert(1)</script>", consent_method="REQUIRED")

    response = signed_in.get(AUTHORIZE, params_for(app))

    assert response.status_code == 200
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;" in response.content
