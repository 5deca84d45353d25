"""POST /oauth2/v1/device/authorize and /oauth2/default/v1/device/authorize (RFC 8628 §3.1-3.2)."""

import re

import pytest

from core.crypto import hash_token
from core.models import Event
from tests.kit.device import DEVICE_GRANT, device_authorize, form_post, tv_app_data
from tokens.device import grant as device
from tokens.models import DeviceCode

USER_CODE = re.compile(r"^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$")


@pytest.mark.parametrize(("server", "prefix"), [("org", "/oauth2/v1"), ("default", "/oauth2/default/v1")])
def test_it_starts_a_device_authorization(client, tv_app, settings, server, prefix):
    response = device_authorize(client, tv_app, server=server)

    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    }
    assert USER_CODE.match(body["user_code"])
    assert body["verification_uri"] == f"{settings.ROTOR_ISSUER}/activate"
    assert body["verification_uri_complete"] == f"{settings.ROTOR_ISSUER}/activate?user_code={body['user_code']}"
    assert body["expires_in"] == 600 and body["interval"] == 5
    assert len(body["device_code"]) >= 43

    row = DeviceCode.objects.get()
    assert row.server == server and row.client == tv_app and row.status == "PENDING"
    assert row.scopes == ["openid", "profile", "offline_access"]
    event = Event.objects.get(event_type__endswith="device.authorize")
    assert event.event_type == ("app.oauth2.device.authorize" if server == "org" else "app.oauth2.as.device.authorize")
    assert event.app_id == tv_app.public_id


def test_codes_are_stored_only_as_hashes(client, tv_app):
    body = device_authorize(client, tv_app).json()

    row = DeviceCode.objects.get()
    assert row.device_code_hash == hash_token(body["device_code"])
    code = body["user_code"].replace("-", "")
    assert row.user_code_hash == device.hash_user_code(code)
    assert row.user_code_hash != hash_token(code)  # keyed, so a dump cannot be brute-forced offline
    stored = " ".join(str(v) for v in DeviceCode.objects.values().get().values())
    events = " ".join(str(e) for e in Event.objects.values_list("debug_data", "targets", "display_message"))
    for secret in (body["device_code"], code, body["user_code"]):
        assert secret not in stored and secret not in events


def test_each_authorization_gets_its_own_codes(client, tv_app):
    first = device_authorize(client, tv_app).json()
    second = device_authorize(client, tv_app).json()

    assert first["device_code"] != second["device_code"]
    assert first["user_code"] != second["user_code"]


def test_offline_access_is_dropped_when_the_app_has_no_refresh_grant(client, make_app):
    app, _ = make_app(**tv_app_data(label="No refresh", grant_types=[DEVICE_GRANT]))

    response = device_authorize(client, app, scope="openid offline_access")

    assert response.status_code == 200
    assert DeviceCode.objects.get().scopes == ["openid"]


@pytest.mark.parametrize(
    "data",
    [
        {"label": "Web", "application_type": "web", "grant_types": ["authorization_code"]},
        {"label": "Native code-only", "application_type": "native", "grant_types": ["authorization_code"]},
    ],
)
def test_apps_without_the_device_grant_are_unauthorized(client, make_app, data):
    app, secret = make_app(**data)

    response = form_post(client, "/oauth2/v1/device/authorize", {"scope": "openid"}, app=app, secret=secret)

    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"
    assert response.json()["error_description"].startswith("The client is not authorized to use the provided grant")
    assert not DeviceCode.objects.exists()


def test_unknown_client_is_invalid_client(client, db):
    response = form_post(client, "/oauth2/v1/device/authorize", {"client_id": "nope-nope", "scope": "openid"})

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_missing_client_is_invalid_client(client, db):
    response = form_post(client, "/oauth2/v1/device/authorize", {"scope": "openid"})

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client", "error_description": "No client credentials found."}


def test_inactive_app_is_invalid_client(client, tv_app):
    from clients.services import deactivate_app

    deactivate_app(tv_app)

    assert device_authorize(client, tv_app).json()["error"] == "invalid_client"


@pytest.mark.parametrize("scope", [None, "", "openid bogus"])
def test_missing_or_unknown_scope_is_invalid_scope(client, tv_app, scope):
    response = device_authorize(client, tv_app, scope=scope)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert not DeviceCode.objects.exists()


def test_repeated_parameters_are_invalid_request(client, tv_app):
    response = client.post(
        "/oauth2/v1/device/authorize",
        f"client_id={tv_app.client_id}&scope=openid&scope=profile",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_json_body_is_invalid_request(client, tv_app):
    response = client.post(
        "/oauth2/v1/device/authorize", {"client_id": tv_app.client_id}, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_get_is_not_allowed(client, tv_app):
    response = client.get("/oauth2/v1/device/authorize", {"client_id": tv_app.client_id})

    assert response.status_code == 405
    assert response.json()["error"] == "invalid_request"


def test_cors_answers_a_trusted_origin_like_the_token_endpoint(client, tv_app, public_app):
    preflight = client.options(
        "/oauth2/v1/device/authorize",
        HTTP_ORIGIN="https://spa.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, x-okta-user-agent-extended",
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == "https://spa.example.com"
    assert "x-okta-user-agent-extended" in preflight["Access-Control-Allow-Headers"]

    response = device_authorize(client, tv_app, HTTP_ORIGIN="https://spa.example.com")
    assert response["Access-Control-Allow-Origin"] == "https://spa.example.com"


def test_cors_ignores_an_untrusted_origin(client, tv_app, public_app):
    preflight = client.options(
        "/oauth2/v1/device/authorize",
        HTTP_ORIGIN="https://evil.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert "Access-Control-Allow-Origin" not in preflight


@pytest.mark.parametrize(("server", "prefix"), [("org", "/oauth2/v1"), ("default", "/oauth2/default/v1")])
def test_discovery_lists_the_device_endpoint_and_grant(client, db, settings, server, prefix):
    well_known = (
        "/.well-known/openid-configuration" if server == "org" else "/oauth2/default/.well-known/openid-configuration"
    )

    body = client.get(well_known).json()

    assert body["device_authorization_endpoint"] == f"{settings.ROTOR_ISSUER}{prefix}/device/authorize"
    assert DEVICE_GRANT in body["grant_types_supported"]
    assert "authorization_code" in body["grant_types_supported"]


def test_user_codes_normalise_case_and_dashes():
    assert device.normalize_user_code("bcdf-ghjk") == "BCDFGHJK"
    assert device.normalize_user_code(" BCDF GHJK ") == "BCDFGHJK"
    assert device.normalize_user_code("BCDFGHJK") == "BCDFGHJK"
    assert device.normalize_user_code("BCDF-GHJ") is None  # too short
    assert device.normalize_user_code("BCDF-GHJA") is None  # a vowel is never in a code
    assert device.normalize_user_code("0CDF-GHJK") is None
    assert device.normalize_user_code("") is None
    assert device.format_user_code("BCDFGHJK") == "BCDF-GHJK"


def test_new_user_codes_use_only_the_alphabet():
    codes = {device.new_user_code() for _ in range(200)}

    assert len(codes) == 200
    assert all(len(c) == 8 and set(c) <= set(device.USER_CODE_ALPHABET) for c in codes)
