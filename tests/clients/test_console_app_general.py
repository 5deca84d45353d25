"""Console: an app's General tab — client credentials, secret regeneration, General Settings edit."""

from clients.models import Application
from core.models import Event
from tests.kit.console import text


def test_general_tab_shows_credentials_and_settings(console_client, public_app):
    response = console_client.get(f"/console/apps/{public_app.public_id}/")
    assert response.status_code == 200
    body = text(response)
    assert f'<code id="client-id">{public_app.client_id}</code>' in body
    assert 'data-copy="#client-id"' in body and "js/copy" in body
    assert "None (public client, PKCE)" in body
    assert "Generate new secret" not in body
    assert "https://app.example.com/callback" in body
    assert "Rotate token after every use; grace period 30 s" in body


def test_general_tab_of_confidential_app_offers_secret_regeneration(console_client, confidential_app):
    body = text(console_client.get(f"/console/apps/{confidential_app.public_id}/"))
    assert "Client secret (HTTP Basic)" in body
    assert "Generate new secret" in body
    assert confidential_app.plain_secret not in body


def test_secret_regeneration_asks_first(console_client, confidential_app):
    before = Application.objects.get(pk=confidential_app.pk).client_secret
    response = console_client.get(f"/console/apps/{confidential_app.public_id}/secret/")
    assert response.status_code == 200
    assert "Generate a new client secret?" in text(response)
    assert Application.objects.get(pk=confidential_app.pk).client_secret == before


def test_secret_regeneration_shows_the_new_secret_once(console_client, confidential_app):
    from clients.hashers import verifies

    response = console_client.post(f"/console/apps/{confidential_app.public_id}/secret/")
    assert response.status_code == 302 and response["Location"] == f"/console/apps/{confidential_app.public_id}/"
    stored = Application.objects.get(pk=confidential_app.pk).client_secret
    response = console_client.get(response["Location"])
    assert response["Cache-Control"] == "no-store"
    body = text(response)
    assert Application.objects.get(pk=confidential_app.pk).client_secret == stored  # the GET made no other
    secret = body.split('<code id="new-secret">')[1].split("</code>")[0]
    stored = Application.objects.get(pk=confidential_app.pk).client_secret
    assert secret != confidential_app.plain_secret
    assert verifies(secret, stored)
    assert verifies(confidential_app.plain_secret, stored)  # the old one keeps working until deactivated
    assert secret not in text(console_client.get(f"/console/apps/{confidential_app.public_id}/"))


def test_public_app_has_no_secret_to_regenerate(console_client, public_app):
    response = console_client.post(f"/console/apps/{public_app.public_id}/secret/", follow=True)
    assert "has no secret" in text(response)
    assert Application.objects.get(pk=public_app.pk).client_secret == ""


def test_edit_shows_the_settings_form_with_save_and_cancel(console_client, public_app):
    response = console_client.get(f"/console/apps/{public_app.public_id}/edit/")
    assert response.status_code == 200
    body = text(response)
    assert ">Save</button>" in body and ">Cancel</a>" in body
    assert 'value="ROTATE"' in body and "checked" in body
    assert 'name="leeway" value="30"' in body
    assert "Device Authorization is for native apps on input-constrained devices." in body


def edit_data(app, **overrides):
    data = {
        "label": app.name,
        "grant_types": list(app.grant_types),
        "rotation_type": app.rotation_type,
        "leeway": str(app.leeway),
        "redirect_uris": "\n".join(app.redirect_uri_list),
        "post_logout_redirect_uris": "\n".join(app.post_logout_redirect_uri_list),
        "trusted_origins": "\n".join(app.trusted_origin_list),
        "consent_method": app.consent_method,
    }
    data.update(overrides)
    return data


def test_edit_switches_to_persistent_tokens(console_client, confidential_app):
    """A confidential app; a public one may not (tests/clients/test_public_clients.py)."""
    confidential_app.rotation_type = "ROTATE"
    confidential_app.save()
    response = console_client.post(
        f"/console/apps/{confidential_app.public_id}/edit/",
        edit_data(confidential_app, rotation_type="STATIC", label="Renamed"),
    )
    assert response.status_code == 302 and response["Location"] == f"/console/apps/{confidential_app.public_id}/"
    confidential_app.refresh_from_db()
    assert confidential_app.rotation_type == "STATIC" and confidential_app.name == "Renamed"
    assert Event.objects.filter(event_type="app.oauth2.client.lifecycle.update").exists()
    assert "Saved the general settings." in text(console_client.get(response["Location"]))


def test_edit_unticks_refresh_token(console_client, public_app):
    console_client.post(
        f"/console/apps/{public_app.public_id}/edit/", edit_data(public_app, grant_types=["authorization_code"])
    )
    public_app.refresh_from_db()
    assert public_app.grant_types == ["authorization_code"]
    assert "No refresh tokens" in text(console_client.get(f"/console/apps/{public_app.public_id}/"))


def test_edit_with_a_bad_grace_period_keeps_the_old_settings(console_client, public_app):
    response = console_client.post(f"/console/apps/{public_app.public_id}/edit/", edit_data(public_app, leeway="90"))
    assert response.status_code == 400
    assert "The grace period must be a whole number of seconds from 0 to 60." in text(response)
    public_app.refresh_from_db()
    assert public_app.leeway == 30


def test_edit_rejects_a_grant_the_type_cannot_have_even_if_posted(console_client, public_app):
    response = console_client.post(
        f"/console/apps/{public_app.public_id}/edit/",
        edit_data(public_app, grant_types=["authorization_code", "urn:ietf:params:oauth:grant-type:device_code"]),
    )
    assert response.status_code == 400
    assert "is not allowed for this app type" in text(response)
    public_app.refresh_from_db()
    assert "urn:ietf:params:oauth:grant-type:device_code" not in public_app.grant_types


def test_edit_rejects_a_bad_sign_out_uri_beside_its_field(console_client, confidential_app):
    response = console_client.post(
        f"/console/apps/{confidential_app.public_id}/edit/",
        edit_data(confidential_app, post_logout_redirect_uris="not a uri", pkce_required="on"),
    )
    assert response.status_code == 400
    assert "post_logout_redirect_uris" in response.context["form"].errors


def test_web_app_can_turn_pkce_on(console_client, confidential_app):
    console_client.post(
        f"/console/apps/{confidential_app.public_id}/edit/", edit_data(confidential_app, pkce_required="on")
    )
    confidential_app.refresh_from_db()
    assert confidential_app.pkce_required


def test_edit_of_unknown_app_is_404(console_client):
    assert console_client.post("/console/apps/0oaNope/edit/", {}).status_code == 404


def test_web_app_switches_to_client_secret_post(console_client, confidential_app):
    response = console_client.post(
        f"/console/apps/{confidential_app.public_id}/edit/",
        edit_data(confidential_app, token_endpoint_auth_method="client_secret_post", pkce_required="on"),
    )
    assert response.status_code == 302
    confidential_app.refresh_from_db()
    assert confidential_app.token_endpoint_auth_method == "client_secret_post"
    assert "Client secret (in the request body)" in text(console_client.get(response["Location"]))


def test_web_app_cannot_become_a_public_client(console_client, confidential_app):
    response = console_client.post(
        f"/console/apps/{confidential_app.public_id}/edit/",
        edit_data(confidential_app, token_endpoint_auth_method="none", pkce_required="on"),
    )
    assert response.status_code == 400
    assert "token_endpoint_auth_method" in response.context["form"].errors
    body = text(console_client.get(f"/console/apps/{confidential_app.public_id}/edit/"))
    assert 'value="none"' not in body  # not even offered


def test_native_app_that_starts_keeping_a_secret_is_shown_it_once(console_client, make_app):
    from django.contrib.auth.hashers import check_password

    app, secret = make_app(label="Field app", application_type="native", redirect_uris=["com.example.app:/cb"])
    assert secret is None and app.is_public
    response = console_client.post(
        f"/console/apps/{app.public_id}/edit/", edit_data(app, token_endpoint_auth_method="client_secret_basic")
    )
    assert response.status_code == 302 and response["Location"] == f"/console/apps/{app.public_id}/"
    response = console_client.get(response["Location"])
    assert response["Cache-Control"] == "no-store"
    new_secret = text(response).split('<code id="new-secret">')[1].split("</code>")[0]
    app.refresh_from_db()
    assert not app.is_public and check_password(new_secret, app.client_secret)


def test_a_spa_without_a_trusted_origin_is_warned_and_offered_its_redirect_origin(console_client, make_app):
    app, _ = make_app(
        label="Bare SPA",
        application_type="browser",
        redirect_uris=[
            "https://spa.example.com:443/callback",
            "https://spa.example.com/silent",
            "http://localhost:8080/cb",
        ],
    )
    body = text(console_client.get(f"/console/apps/{app.public_id}/"))
    assert "This single-page app has no trusted origin." in body
    assert body.count('name="origin"') == 2  # the same origin twice is offered once; the default port is dropped
    assert 'value="https://spa.example.com"' in body and 'value="http://localhost:8080"' in body
    response = console_client.post(
        f"/console/apps/{app.public_id}/trusted-origins/", {"origin": "https://spa.example.com"}
    )
    assert response.status_code == 302 and response["Location"] == f"/console/apps/{app.public_id}/"
    app.refresh_from_db()
    assert app.trusted_origin_list == ["https://spa.example.com"]
    assert Event.objects.filter(event_type="app.oauth2.client.lifecycle.update", app_id=app.public_id).exists()
    after = text(console_client.get(response["Location"]))
    assert "Added https://spa.example.com to the trusted origins." in after and "no trusted origin" not in after


def test_only_a_redirect_uris_origin_is_trusted_with_one_click(console_client, make_app):
    app, _ = make_app(label="Bare SPA", application_type="browser", redirect_uris=["https://spa.example.com/cb"])
    response = console_client.post(
        f"/console/apps/{app.public_id}/trusted-origins/", {"origin": "https://evil.example"}, follow=True
    )
    assert "is not the origin of a sign-in redirect URI" in text(response)
    app.refresh_from_db()
    assert app.trusted_origin_list == []
    assert console_client.get(f"/console/apps/{app.public_id}/trusted-origins/").status_code == 405


def test_no_origin_warning_for_a_spa_with_one_or_a_web_app(console_client, public_app, confidential_app):
    assert "no trusted origin" not in text(console_client.get(f"/console/apps/{public_app.public_id}/"))
    assert "no trusted origin" not in text(console_client.get(f"/console/apps/{confidential_app.public_id}/"))
