"""Console: the Applications list, Create App Integration, and activate / deactivate / delete."""

import pytest

from clients.models import Application
from core.models import Event
from tests.kit.console import make_family, text
from tokens.models import TokenFamily


def test_list_shows_label_type_status_grants(console_client, confidential_app, public_app):
    response = console_client.get("/console/apps/")
    assert response.status_code == 200
    body = text(response)
    assert "Confidential web app" in body and "Single-page app" in body
    assert "Web Application" in body and "Single-Page Application" in body
    assert "authorization_code, refresh_token" in body


def test_list_searches_by_label(console_client, confidential_app, public_app):
    body = text(console_client.get("/console/apps/", {"q": "single"}))
    assert "Single-page app" in body
    assert "Confidential web app" not in body


def test_list_filters_by_status(console_client, confidential_app, public_app):
    console_client.post(f"/console/apps/{public_app.public_id}/deactivate/")
    inactive = text(console_client.get("/console/apps/", {"status": "INACTIVE"}))
    active = text(console_client.get("/console/apps/", {"status": "ACTIVE"}))
    assert "Single-page app" in inactive and "Confidential web app" not in inactive
    assert "Confidential web app" in active and "Single-page app" not in active


def test_list_ignores_an_unknown_status_filter(console_client, confidential_app):
    response = console_client.get("/console/apps/", {"status": "BOGUS"})
    assert response.status_code == 200
    assert "Confidential web app" in text(response)


def test_create_starts_with_sign_in_method_and_app_type(console_client):
    body = text(console_client.get("/console/apps/new/"))
    assert "OIDC - OpenID Connect" in body
    for label in ["Web Application", "Single-Page Application", "Native Application", "API Services"]:
        assert label in body


def test_picking_a_type_goes_to_its_form(console_client):
    response = console_client.get(
        "/console/apps/new/", {"sign_on_mode": "OPENID_CONNECT", "application_type": "browser"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/console/apps/new/browser/"


def test_picking_no_type_explains_what_is_missing(console_client):
    response = console_client.get("/console/apps/new/", {"sign_on_mode": "OPENID_CONNECT"})
    assert response.status_code == 200
    assert "This field is required." in text(response)


def test_unknown_app_type_is_404(console_client):
    assert console_client.get("/console/apps/new/saml/").status_code == 404


def test_service_form_asks_only_for_a_name_and_shows_why_grants_are_off(console_client):
    body = text(console_client.get("/console/apps/new/service/"))
    assert 'name="label"' in body
    assert 'name="redirect_uris"' not in body and 'name="rotation_type"' not in body
    assert "API service apps act for themselves, not for a signed-in user." in body


def test_spa_form_disables_client_credentials_with_the_reason(console_client):
    body = text(console_client.get("/console/apps/new/browser/"))
    assert 'value="client_credentials" id="id_grant_2" disabled' in body
    assert "Only web and API service apps can keep a secret to use Client Credentials." in body
    assert "Rotate token after every use" in body and "Use persistent token" in body
    assert "Grace period for token rotation" in body


def spa_form(**overrides):
    data = {
        "label": "Storefront",
        "grant_types": ["authorization_code", "refresh_token"],
        "rotation_type": "ROTATE",
        "leeway": "10",
        "redirect_uris": "https://shop.example.com/callback\nhttps://shop.example.com/silent",
        "post_logout_redirect_uris": "https://shop.example.com/",
        "trusted_origins": "https://shop.example.com",
        "consent_method": "TRUSTED",
    }
    data.update(overrides)
    return data


def test_create_spa_with_rotation_and_grace(console_client, owner):
    response = console_client.post("/console/apps/new/browser/", spa_form(), follow=True)
    app = Application.objects.get(name="Storefront")
    assert response.redirect_chain == [(f"/console/apps/{app.public_id}/", 302)]  # post/redirect/get
    assert app.application_type == "browser"
    assert app.grant_types == ["authorization_code", "refresh_token"]
    assert (app.rotation_type, app.leeway) == ("ROTATE", 10)
    assert app.redirect_uri_list == ["https://shop.example.com/callback", "https://shop.example.com/silent"]
    assert app.trusted_origin_list == ["https://shop.example.com"]
    assert app.is_public and app.pkce_required
    body = text(response)
    assert "Created app integration" in body
    assert "Copy the client secret now" not in body  # a public client has no secret
    event = Event.objects.get(event_type="app.oauth2.client.lifecycle.create")
    assert event.actor["id"] == owner.uid


def test_create_web_app_shows_its_secret_once_and_stores_a_hash(console_client):
    response = console_client.post(
        "/console/apps/new/web/",
        {
            "label": "Billing",
            "grant_types": ["authorization_code", "client_credentials"],
            "rotation_type": "STATIC",
            "leeway": "30",
            "redirect_uris": "https://billing.example.com/cb",
            "consent_method": "REQUIRED",
            "pkce_required": "on",
        },
        follow=True,
    )
    app = Application.objects.get(name="Billing")
    assert response.redirect_chain == [(f"/console/apps/{app.public_id}/", 302)]
    assert response["Cache-Control"] == "no-store"
    body = text(response)
    assert "Copy the client secret now" in body
    secret = body.split('<code id="new-secret">')[1].split("</code>")[0]
    assert len(secret) >= 14
    assert secret not in app.client_secret  # only the hash is stored
    assert app.consent_method == "REQUIRED" and app.pkce_required
    again = text(console_client.get(f"/console/apps/{app.public_id}/"))
    assert secret not in again


def test_create_service_app(console_client):
    response = console_client.post(
        "/console/apps/new/service/", {"label": "Nightly export", "grant_types": ["client_credentials"]}
    )
    assert response.status_code == 302
    app = Application.objects.get(name="Nightly export")
    assert app.grant_types == ["client_credentials"] and not app.is_public


def test_create_native_app_with_custom_scheme_and_device_grant(console_client):
    response = console_client.post(
        "/console/apps/new/native/",
        {
            "label": "Field app",
            "grant_types": ["authorization_code", "urn:ietf:params:oauth:grant-type:device_code"],
            "rotation_type": "STATIC",
            "leeway": "30",
            "redirect_uris": "com.example.app:/callback",
            "consent_method": "TRUSTED",
        },
    )
    assert response.status_code == 302
    assert Application.objects.get(name="Field app").redirect_uri_list == ["com.example.app:/callback"]


def test_create_redirects_so_a_reload_creates_no_second_app_or_secret(console_client):
    data = {"label": "Reloaded", "grant_types": ["client_credentials"]}
    response = console_client.post("/console/apps/new/service/", data)
    app = Application.objects.get(name="Reloaded")
    assert response.status_code == 302 and response["Location"] == f"/console/apps/{app.public_id}/"
    assert '<code id="new-secret">' in text(console_client.get(response["Location"]))
    reloaded = console_client.get(response["Location"])  # a reload repeats the GET, not the POST
    assert '<code id="new-secret">' not in text(reloaded)
    assert Application.objects.filter(name="Reloaded").count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"label": "  "}, "label", "The app name is required."),
        ({"redirect_uris": "https://shop.example.com/cb#frag"}, "redirect_uris", "must not contain a fragment"),
        ({"redirect_uris": ""}, "redirect_uris", "At least one sign-in redirect URI is required"),
        ({"redirect_uris": "myapp:/cb"}, "redirect_uris", "only native apps may use a custom scheme"),
        (
            {"trusted_origins": "https://shop.example.com/path"},
            "trusted_origins",
            "use scheme://host[:port] with no path",
        ),
        ({"leeway": "61"}, "leeway", "from 0 to 60"),
        ({"leeway": "-1"}, "leeway", "from 0 to 60"),
        ({"leeway": "ten"}, "leeway", "Enter a whole number."),
        (
            {"grant_types": ["refresh_token"]},
            "grant_types",
            "Web and single-page apps need the Authorization Code grant.",
        ),
        (
            {"grant_types": ["authorization_code", "client_credentials"]},
            "grant_types",
            "is not allowed for this app type",
        ),
        ({"rotation_type": "SOMETIMES"}, "rotation_type", "Select a valid choice."),
    ],
)
def test_invalid_input_shows_the_error_beside_its_field_and_creates_nothing(console_client, overrides, field, message):
    response = console_client.post("/console/apps/new/browser/", spa_form(**overrides))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and any(message in e for e in errors[field]), errors
    assert message.replace("'", "&#x27;") in text(response)
    assert not Application.objects.filter(name="Storefront").exists()


def test_invalid_create_keeps_what_was_typed(console_client):
    response = console_client.post("/console/apps/new/browser/", spa_form(leeway="99", label="Keep me"))
    body = text(response)
    assert 'value="Keep me"' in body
    assert 'value="refresh_token" id="id_grant_1" checked' in body


def test_activate_an_inactive_app(console_client, confidential_app):
    console_client.post(f"/console/apps/{confidential_app.public_id}/deactivate/")
    response = console_client.post(f"/console/apps/{confidential_app.public_id}/activate/", follow=True)
    assert "Activated" in text(response)
    confidential_app.refresh_from_db()
    assert confidential_app.is_active


def test_activate_needs_post(console_client, confidential_app):
    assert console_client.get(f"/console/apps/{confidential_app.public_id}/activate/").status_code == 405


def test_deactivate_asks_first_then_revokes_the_apps_tokens(console_client, confidential_app, end_user):
    family, _, _ = make_family(confidential_app, end_user)
    page = console_client.get(f"/console/apps/{confidential_app.public_id}/deactivate/")
    assert page.status_code == 200 and "Deactivate app" in text(page)
    confidential_app.refresh_from_db()
    assert confidential_app.is_active
    response = console_client.post(f"/console/apps/{confidential_app.public_id}/deactivate/", follow=True)
    assert "Deactivated" in text(response)
    confidential_app.refresh_from_db()
    family.refresh_from_db()
    assert not confidential_app.is_active
    assert family.status == TokenFamily.Status.REVOKED


def test_delete_is_refused_while_the_app_is_active(console_client, confidential_app):
    response = console_client.post(f"/console/apps/{confidential_app.public_id}/delete/", follow=True)
    assert "Deactivate the app before deleting it." in text(response)
    assert Application.objects.filter(pk=confidential_app.pk).exists()


def test_delete_shows_a_confirmation_page_then_deletes(console_client, confidential_app):
    console_client.post(f"/console/apps/{confidential_app.public_id}/deactivate/")
    page = console_client.get(f"/console/apps/{confidential_app.public_id}/delete/")
    assert page.status_code == 200 and "Delete app" in text(page)
    assert Application.objects.filter(pk=confidential_app.pk).exists()
    response = console_client.post(f"/console/apps/{confidential_app.public_id}/delete/")
    assert response.status_code == 302 and response["Location"] == "/console/apps/"
    assert not Application.objects.filter(pk=confidential_app.pk).exists()
    assert Event.objects.filter(event_type="app.oauth2.client.lifecycle.delete").exists()


def test_inactive_app_page_offers_activate_and_delete(console_client, confidential_app):
    console_client.post(f"/console/apps/{confidential_app.public_id}/deactivate/")
    body = text(console_client.get(f"/console/apps/{confidential_app.public_id}/"))
    assert ">Activate</button>" in body and ">Delete</a>" in body


def test_a_label_another_app_has_is_refused_beside_the_field(console_client, public_app):
    response = console_client.post("/console/apps/new/browser/", spa_form(label=" single-PAGE app "))
    assert response.status_code == 400
    assert response.context["form"].errors["label"] == [
        "An app integration named 'single-PAGE app' already exists. Give this one another name."
    ]
    assert Application.objects.filter(name__iexact="single-page app").count() == 1


def test_editing_an_app_keeps_its_own_label_but_not_anothers(console_client, public_app, confidential_app):
    from tests.clients.test_console_app_general import edit_data

    same = console_client.post(f"/console/apps/{public_app.public_id}/edit/", edit_data(public_app))
    assert same.status_code == 302
    taken = console_client.post(
        f"/console/apps/{public_app.public_id}/edit/", edit_data(public_app, label=confidential_app.name)
    )
    assert taken.status_code == 400 and "already exists" in taken.context["form"].errors["label"][0]


def test_the_api_still_accepts_a_label_another_app_has_as_okta_does(api_client, confidential_app):
    from tests.clients.test_api_apps import app_body

    response = api_client.post("/api/v1/apps", app_body(label=confidential_app.name))
    assert response.status_code == 200, response.content
    assert Application.objects.filter(name=confidential_app.name).count() == 2


def test_every_error_is_reported_at_once(console_client):
    """Django's own field errors (a grace period that is not a number, a missing name) and validate_app()'s
    (a redirect URI with a fragment, a bad origin) in one answer, each beside its field."""
    response = console_client.post(
        "/console/apps/new/browser/",
        spa_form(
            label="",
            leeway="ten",
            redirect_uris="https://shop.example.com/cb#frag",
            trusted_origins="https://shop.example.com/path",
        ),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["label"] == ["The app name is required."]
    assert errors["leeway"] == ["Enter a whole number."]
    assert "must not contain a fragment" in errors["redirect_uris"][0]
    assert "with no path" in errors["trusted_origins"][0]
    assert list(errors) == ["label", "leeway", "redirect_uris", "trusted_origins"]


def test_required_fields_are_marked(console_client):
    body = text(console_client.get("/console/apps/new/browser/"))
    assert '<label for="id_label">App integration name <span class="required">Required</span></label>' in body
    assert 'name="label" maxlength="200" aria-required="true" required id="id_label">' in body
    assert 'Allowed grant types <span class="required">Required</span></legend>' in body
    assert 'role="radiogroup" aria-required="true">\n    <legend>User consent <span class="required">Required' in body
    # An optional field says nothing.
    assert '<label for="id_redirect_uris">Sign-in redirect URIs</label>' in body
    textarea = body.split('<textarea name="redirect_uris"')[1].split(">")[0]
    assert "required" not in textarea


@pytest.mark.parametrize(
    ("app_type", "phrase"),
    [
        ("web", "the settings a web application needs"),
        ("browser", "the settings a single-page application needs"),
        ("native", "the settings a native application needs"),
        ("service", "the settings an API service needs"),
    ],
)
def test_the_create_form_names_the_app_type_in_good_grammar(console_client, app_type, phrase):
    assert phrase in text(console_client.get(f"/console/apps/new/{app_type}/"))
