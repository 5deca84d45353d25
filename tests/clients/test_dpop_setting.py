"""The app setting `dpop_bound_access_tokens` (Okta: "Require Demonstrating Proof of Possession (DPoP) header in
token requests"): in the API, the console's General Settings and `createclient`; and the one case it opens, a
public client with persistent (STATIC) refresh tokens, which RFC 9700 §4.14.2 allows when they are
sender-constrained (tests/clients/test_public_clients.py has the refusal without it)."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from clients.models import Application
from clients.services import update_app
from clients.validation import AppValidationError
from tests.kit.api import assert_okta_error
from tests.kit.console import text

WORDING = "Require Demonstrating Proof of Possession (DPoP) header in token requests"
PATH = "settings.oauthClient.dpop_bound_access_tokens"
NATIVE = {
    "label": "Living-room TV",
    "application_type": "native",
    "grant_types": ["authorization_code", "refresh_token"],
    "redirect_uris": ["com.example.tv:/callback"],
}


def body(**oauth) -> dict:
    settings = {k: v for k, v in NATIVE.items() if k != "label"} | oauth
    return {"name": "oidc_client", "label": NATIVE["label"], "signOnMode": "OPENID_CONNECT"} | {
        "settings": {"oauthClient": settings}
    }


def test_the_api_shows_the_setting_off_by_default_and_takes_it(api_client):
    off = api_client.post("/api/v1/apps", body()).json()
    assert off["settings"]["oauthClient"]["dpop_bound_access_tokens"] is False
    on = api_client.post("/api/v1/apps", body(dpop_bound_access_tokens=True))
    assert on.status_code == 200, on.content
    assert on.json()["settings"]["oauthClient"]["dpop_bound_access_tokens"] is True
    assert Application.objects.get(public_id=on.json()["id"]).dpop_bound_access_tokens is True


def test_the_api_refuses_a_string_for_the_boolean(api_client):
    response = api_client.post("/api/v1/apps", body(dpop_bound_access_tokens="true"))
    assert_okta_error(response, 400, "E0000001")
    assert not Application.objects.exists()


def test_a_public_client_may_keep_persistent_tokens_with_dpop_required(api_client):
    response = api_client.post(
        "/api/v1/apps", body(dpop_bound_access_tokens=True, refresh_token={"rotation_type": "STATIC", "leeway": 30})
    )
    assert response.status_code == 200, response.content
    app = Application.objects.get()
    assert app.rotation_type == "STATIC" and not app.needs_rotation  # not flagged on its General tab


def test_without_dpop_the_refusal_stands_and_names_the_way_out(api_client):
    response = api_client.post("/api/v1/apps", body(refresh_token={"rotation_type": "STATIC", "leeway": 30}))
    assert_okta_error(response, 400, "E0000001")
    assert "require DPoP" in response.json()["errorCauses"][0]["errorSummary"]


def test_dpop_cannot_be_turned_off_while_a_public_client_keeps_persistent_tokens(make_app):
    app, _ = make_app(**NATIVE, rotation_type="STATIC", dpop_bound_access_tokens=True)
    with pytest.raises(AppValidationError) as refused:
        update_app(app, {"dpop_bound_access_tokens": False})
    assert "rotation_type" in refused.value.errors
    app.refresh_from_db()
    assert app.dpop_bound_access_tokens is True
    app, _ = update_app(app, {"dpop_bound_access_tokens": False, "rotation_type": "ROTATE"})
    assert (app.dpop_bound_access_tokens, app.rotation_type) == (False, "ROTATE")


@pytest.mark.parametrize("app_type", ["web", "browser", "native", "service"])
def test_the_console_offers_the_setting_in_general_settings_with_oktas_wording(console_client, app_type):
    page = text(console_client.get(f"/console/apps/new/{app_type}/"))
    fieldset = page.split('<fieldset id="proof-of-possession">')[1].split("</fieldset>")[0]
    assert WORDING in fieldset and 'name="dpop_bound_access_tokens"' in fieldset


def test_the_console_creates_a_public_static_app_with_dpop(console_client):
    form = {
        "label": "TV app",
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "rotation_type": "STATIC",
        "leeway": "30",
        "redirect_uris": "com.example.tv:/callback",
        "consent_method": "TRUSTED",
    }
    refused = console_client.post("/console/apps/new/native/", form)
    assert refused.status_code == 400 and not Application.objects.exists()
    created = console_client.post("/console/apps/new/native/", form | {"dpop_bound_access_tokens": "on"})
    assert created.status_code == 302, text(created)[:2000]
    app = Application.objects.get()
    assert app.dpop_bound_access_tokens and app.rotation_type == "STATIC"
    page = text(console_client.get(f"/console/apps/{app.public_id}/"))
    assert WORDING in page and "Yes: tokens are bound" in page


def test_the_console_edit_turns_it_on(console_client, confidential_app):
    data = {
        "label": confidential_app.name,
        "token_endpoint_auth_method": confidential_app.token_endpoint_auth_method,
        "grant_types": list(confidential_app.grant_types),
        "rotation_type": confidential_app.rotation_type,
        "leeway": "30",
        "redirect_uris": "\n".join(confidential_app.redirect_uri_list),
        "consent_method": confidential_app.consent_method,
        "dpop_bound_access_tokens": "on",
    }
    response = console_client.post(f"/console/apps/{confidential_app.public_id}/edit/", data)
    assert response.status_code == 302, text(response)[:2000]
    confidential_app.refresh_from_db()
    assert confidential_app.dpop_bound_access_tokens is True


def test_createclient_takes_dpop(db):
    args = ["--label", "TV", "--type", "native", "--grant-type", "authorization_code", "--grant-type"]
    args += ["refresh_token", "--redirect-uri", "com.example.tv:/callback", "--rotation", "STATIC"]
    with pytest.raises(CommandError):
        call_command("createclient", *args, stdout=StringIO())
    out = StringIO()
    call_command("createclient", *args, "--dpop", stdout=out)
    oauth = json.loads(out.getvalue())["settings"]["oauthClient"]
    assert oauth["dpop_bound_access_tokens"] is True and oauth["refresh_token"]["rotation_type"] == "STATIC"
