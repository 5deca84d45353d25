"""Public clients rotate their refresh tokens (RFC 9700 §4.14.2).

A public client (`token_endpoint_auth_method: none`) has no secret, so a persistent (STATIC)
refresh token works for whoever holds it, with no reuse detection. ROTATE is every public
client's default, STATIC is refused in the API, the console and `createclient`, and an app saved
with it before the rule keeps working and is flagged on its General tab.
"""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from clients.models import Application
from clients.services import update_app
from clients.validation import AppValidationError, validate_app
from tests.kit.api import assert_okta_error
from tests.kit.console import text
from tests.kit.oauth import refresh, tokens_for

RFC = "RFC 9700 §4.14.2"
ROTATION_PATH = "settings.oauthClient.refresh_token.rotation_type"
NATIVE = {
    "label": "Field app",
    "application_type": "native",
    "grant_types": ["authorization_code", "refresh_token"],
    "redirect_uris": ["com.example.app:/callback"],
}


def native_body(**oauth) -> dict:
    settings = {k: v for k, v in NATIVE.items() if k != "label"} | oauth
    body = {"name": "oidc_client", "label": "Field app", "signOnMode": "OPENID_CONNECT"}
    return body | {"settings": {"oauthClient": settings}}


@pytest.fixture
def legacy_app(make_app):
    """A native public app with persistent tokens, as one saved before the rule (written past the validator)."""
    app, _ = make_app(**NATIVE)
    Application.objects.filter(pk=app.pk).update(rotation_type="STATIC")
    app.refresh_from_db()
    return app


# Defaults --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("app_type", ["browser", "native"])
def test_every_public_client_rotates_by_default(db, app_type):
    data = NATIVE | {"application_type": app_type, "redirect_uris": ["https://app.example.com/cb"]}
    assert validate_app(data)["rotation_type"] == "ROTATE"


def test_a_confidential_native_app_keeps_the_persistent_default(db):
    clean = validate_app(NATIVE | {"token_endpoint_auth_method": "client_secret_basic"})
    assert clean["rotation_type"] == "STATIC"


def test_the_api_gives_a_public_native_app_rotation(api_client):
    response = api_client.post("/api/v1/apps", native_body())
    assert response.status_code == 200, response.content
    assert response.json()["settings"]["oauthClient"]["refresh_token"]["rotation_type"] == "ROTATE"


# Refused ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("app_type", ["browser", "native"])
def test_the_api_refuses_static_for_a_public_client(api_client, app_type):
    body = native_body(application_type=app_type, refresh_token={"rotation_type": "STATIC", "leeway": 30})
    if app_type == "browser":
        body["settings"]["oauthClient"]["redirect_uris"] = ["https://spa.example.com/cb"]

    response = api_client.post("/api/v1/apps", body)

    assert_okta_error(response, 400, "E0000001")
    assert response.json()["errorSummary"] == f"Api validation failed: {ROTATION_PATH}"
    summaries = [c["errorSummary"] for c in response.json()["errorCauses"]]
    assert len(summaries) == 1 and ROTATION_PATH in summaries[0] and RFC in summaries[0], summaries
    assert not Application.objects.exists()


def test_the_api_accepts_static_for_a_confidential_native_app(api_client):
    body = native_body(refresh_token={"rotation_type": "STATIC", "leeway": 30})
    body["credentials"] = {"oauthClient": {"token_endpoint_auth_method": "client_secret_basic"}}
    assert api_client.post("/api/v1/apps", body).status_code == 200


def test_the_api_refuses_switching_a_public_client_to_static(api_client, make_app):
    app, _ = make_app(**NATIVE)
    body = native_body(refresh_token={"rotation_type": "STATIC", "leeway": 30})

    response = api_client.put(f"/api/v1/apps/{app.public_id}", body)

    assert_okta_error(response, 400, "E0000001")
    assert RFC in response.json()["errorCauses"][0]["errorSummary"]
    app.refresh_from_db()
    assert app.rotation_type == "ROTATE"


def test_a_static_app_cannot_become_public(make_app):
    app, _ = make_app(**NATIVE | {"token_endpoint_auth_method": "client_secret_basic", "rotation_type": "STATIC"})
    with pytest.raises(AppValidationError) as refused:
        update_app(app, {"token_endpoint_auth_method": "none"})
    assert RFC in refused.value.errors["rotation_type"][0]


def test_static_without_refresh_tokens_is_no_risk(db):
    """A public client without the Refresh Token grant has no refresh tokens to protect."""
    clean = validate_app(NATIVE | {"grant_types": ["authorization_code"], "rotation_type": "STATIC"})
    assert clean["rotation_type"] == "STATIC"


def test_the_console_refuses_static_for_a_public_client_beside_the_field(console_client):
    response = console_client.post(
        "/console/apps/new/native/",
        {
            "label": "Field app",
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "rotation_type": "STATIC",
            "leeway": "30",
            "redirect_uris": "com.example.app:/callback",
            "consent_method": "TRUSTED",
        },
    )

    assert response.status_code == 400
    behavior = text(response).split('<fieldset id="refresh-token-behavior">')[1].split("</fieldset>")[0]
    assert '<div class="field has-error">' in behavior
    error = behavior.split('<p class="error" role="alert">')[1].split("</p>")[0]
    assert RFC in error and "public client" in error
    assert not Application.objects.exists()


def test_the_console_offers_rotation_first_for_a_native_app(console_client):
    body = text(console_client.get("/console/apps/new/native/"))
    assert 'value="ROTATE" id="id_rotation_type_0" required checked>' in body
    assert 'value="STATIC" id="id_rotation_type_1" required>' in body


def test_createclient_refuses_static_for_a_public_client(db):
    args = ["--label", "Field app", "--type", "native", "--grant-type", "authorization_code"]
    args += ["--grant-type", "refresh_token", "--redirect-uri", "com.example.app:/callback", "--rotation", "STATIC"]
    with pytest.raises(CommandError) as refused:
        call_command("createclient", *args, stdout=StringIO())
    assert "rotation_type:" in str(refused.value) and RFC in str(refused.value)
    assert not Application.objects.exists()


# Apps saved before the rule --------------------------------------------------------------------------


def test_an_existing_public_static_app_still_refreshes(client, legacy_app, end_user):
    first = tokens_for(client, legacy_app, end_user)["refresh_token"]

    again = refresh(client, legacy_app, first)

    assert again.status_code == 200, again.content
    assert again.json()["refresh_token"] == first


def test_an_existing_public_static_app_can_still_be_edited(legacy_app):
    app, _ = update_app(legacy_app, {"label": "Field app (legacy)"})
    assert (app.name, app.rotation_type) == ("Field app (legacy)", "STATIC")


def test_an_existing_public_app_without_refresh_tokens_cannot_start_persistent_ones(make_app):
    app, _ = make_app(**NATIVE | {"grant_types": ["authorization_code"], "rotation_type": "STATIC"})
    with pytest.raises(AppValidationError) as refused:
        update_app(app, {"grant_types": ["authorization_code", "refresh_token"]})
    assert RFC in refused.value.errors["rotation_type"][0]


def test_the_general_tab_flags_an_existing_public_static_app(console_client, legacy_app):
    body = text(console_client.get(f"/console/apps/{legacy_app.public_id}/"))
    assert 'id="needs-rotation"' in body
    assert "public client has persistent refresh tokens" in body and RFC in body

    update_app(legacy_app, {"rotation_type": "ROTATE"})
    assert 'id="needs-rotation"' not in text(console_client.get(f"/console/apps/{legacy_app.public_id}/"))


def test_the_general_tab_does_not_flag_rotating_or_confidential_apps(console_client, make_app, confidential_app):
    public, _ = make_app(**NATIVE)
    assert confidential_app.rotation_type == "STATIC"
    for app in (public, confidential_app):
        assert 'id="needs-rotation"' not in text(console_client.get(f"/console/apps/{app.public_id}/"))
