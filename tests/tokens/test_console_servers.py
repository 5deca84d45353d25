"""Console: Security → Authorization servers: the list, Add Authorization Server, the Settings tab with its keys
and "Rotate keys now", edit, activate, deactivate (which says how many token families it revokes) and delete."""

import pytest

from core.models import Event
from tests.kit.console import make_family, text
from tests.kit.servers import add_policy, add_rule
from tokens.models import TokenFamily
from tokens.servers import keys, services
from tokens.servers.models import AuthorizationServer

BASE = "/console/security/authorization-servers/"


@pytest.fixture
def payments(db):
    return services.create_server({"name": "Payments", "description": "Payments API", "audiences": ["api://pay"]})


def test_list_shows_every_server_with_audience_issuer_and_status(console_client, settings, payments):
    services.deactivate_server(payments)
    response = console_client.get(BASE)
    assert response.status_code == 200
    body = text(response)
    assert "Org authorization server" in body and "Add Authorization Server" in body
    for name, audience, issuer in [
        ("default", "api://default", f"{settings.ROTOR_ISSUER}/oauth2/default"),
        ("Payments", "api://pay", f"{settings.ROTOR_ISSUER}/oauth2/{payments.id}"),
        ("Org authorization server", settings.ROTOR_ISSUER, settings.ROTOR_ISSUER),
    ]:
        assert name in body and f"<code>{audience}</code>" in body and f"<code>{issuer}</code>" in body
    assert f'href="{BASE}{payments.id}/"' in body and f'href="{BASE}org/"' in body
    assert body.count(">Active<") == 2 and body.count(">Inactive<") == 1
    assert f'href="{BASE}default/deactivate/"' in body and f'action="{BASE}{payments.id}/activate/"' in body
    assert f'href="{BASE}{payments.id}/delete/"' in body and f'href="{BASE}default/delete/"' not in body
    assert f"{BASE}org/deactivate/" not in body


def test_settings_tab_shows_issuer_audience_and_each_key(console_client, settings):
    keys.ensure_keys("default")
    body = text(console_client.get(f"{BASE}default/"))
    assert f"<code>{settings.ROTOR_ISSUER}/oauth2/default</code>" in body
    assert "<code>api://default</code>" in body
    assert f"{settings.ROTOR_ISSUER}/oauth2/default/.well-known/openid-configuration" in body
    for key in keys.list_keys("default"):
        assert key.kid in body
    assert body.count(">ACTIVE<") == 1 and body.count(">NEXT<") == 1
    assert 'aria-current="page" href="/console/security/authorization-servers/default/">Settings' in body


def test_org_server_settings_are_read_only(console_client, settings):
    body = text(console_client.get(f"{BASE}org/"))
    assert "Org authorization server" in body and f"<code>{settings.ROTOR_ISSUER}/oauth2/v1/keys</code>" in body
    assert f"{BASE}org/edit/" not in body and "Deactivate" not in body
    assert console_client.get(f"{BASE}org/edit/").status_code == 404
    policies = text(console_client.get(f"{BASE}org/policies/"))
    assert "no access policies" in policies and "Add New Access Policy" not in policies
    assert "Access tokens live 1 hour, ID tokens 1 hour, refresh tokens 90 days." in policies


def test_add_authorization_server_creates_it_through_the_services(console_client, settings):
    assert "Add Authorization Server" in text(console_client.get(f"{BASE}new/"))
    response = console_client.post(
        f"{BASE}new/", {"name": "Orders", "audiences": "api://orders", "description": "Orders API"}
    )
    server = AuthorizationServer.objects.get(name="Orders")
    assert response.status_code == 302 and response["Location"] == f"{BASE}{server.id}/"
    assert server.audiences == ["api://orders"] and server.id.startswith("aus")
    assert Event.objects.filter(event_type="oauth2.as.created").count() == 1
    body = text(console_client.get(response["Location"]))
    assert "Added authorization server &#x27;Orders&#x27;." in body
    assert f"<code>{settings.ROTOR_ISSUER}/oauth2/{server.id}</code>" in body
    assert len(keys.list_keys(server.id)) == 2  # its own keys


def test_add_server_shows_every_error_beside_its_field_and_writes_nothing(console_client):
    response = console_client.post(f"{BASE}new/", {"name": "", "audiences": "api://a, api://b"})
    assert response.status_code == 400
    body = text(response)
    assert "The name is required." in body
    assert "Audiences may have at most 1 entries." in body  # the API's validator, beside the Audience field
    assert body.count('class="field has-error"') == 2
    assert not AuthorizationServer.objects.exclude(id="default").exists()


def test_edit_saves_and_redirects_to_the_settings_tab(console_client, payments):
    url = f"{BASE}{payments.id}/edit/"
    assert 'value="api://pay"' in text(console_client.get(url))
    response = console_client.post(url, {"name": "Payments v2", "audiences": "api://pay2", "description": ""})
    assert response.status_code == 302 and response["Location"] == f"{BASE}{payments.id}/"
    payments.refresh_from_db()
    assert (payments.name, payments.audiences, payments.description) == ("Payments v2", ["api://pay2"], "")


def test_edit_with_a_bad_audience_shows_the_validator_message(console_client, payments):
    response = console_client.post(f"{BASE}{payments.id}/edit/", {"name": "Payments", "audiences": "api://has space"})
    assert response.status_code == 400
    assert "is not a valid audience" in text(response)
    payments.refresh_from_db()
    assert payments.audiences == ["api://pay"]


def test_deactivate_says_how_many_families_it_revokes_then_revokes_them(
    console_client, payments, confidential_app, end_user
):
    add_rule(add_policy(payments))  # a family is started only where a rule allows the sign-in
    family, _token, _ = make_family(confidential_app, end_user, server=payments.id)
    make_family(confidential_app, end_user)  # on `default`: untouched
    url = f"{BASE}{payments.id}/deactivate/"
    body = text(console_client.get(url))
    assert "1 active token family" in body and "is revoked now" in body
    payments.refresh_from_db()
    assert payments.status == "ACTIVE"  # the GET asked only
    response = console_client.post(url)
    assert response.status_code == 302
    payments.refresh_from_db()
    family.refresh_from_db()
    assert payments.status == "INACTIVE" and family.status == "REVOKED"
    assert TokenFamily.objects.filter(server="default", status="ACTIVE").count() == 1


def test_activate_is_a_post(console_client, payments):
    services.deactivate_server(payments)
    assert console_client.get(f"{BASE}{payments.id}/activate/").status_code == 405
    response = console_client.post(f"{BASE}{payments.id}/activate/")
    assert response.status_code == 302
    payments.refresh_from_db()
    assert payments.status == "ACTIVE"


def test_delete_only_when_inactive(console_client, payments):
    response = console_client.get(f"{BASE}{payments.id}/delete/")
    assert response.status_code == 302  # active: refused, with the reason
    assert "Deactivate the authorization server before deleting it." in text(console_client.get(response["Location"]))
    assert console_client.post(f"{BASE}{payments.id}/delete/").status_code == 302
    assert AuthorizationServer.objects.filter(pk=payments.pk).exists()

    services.deactivate_server(payments)
    assert "removed for good" in text(console_client.get(f"{BASE}{payments.id}/delete/"))
    response = console_client.post(f"{BASE}{payments.id}/delete/")
    assert response.status_code == 302 and response["Location"] == BASE
    assert not AuthorizationServer.objects.filter(pk=payments.pk).exists()


def test_default_server_cannot_be_deleted(console_client):
    services.deactivate_server(AuthorizationServer.objects.get(pk="default"))
    response = console_client.post(f"{BASE}default/delete/", follow=True)
    assert "The default authorization server cannot be deleted." in text(response)
    assert AuthorizationServer.objects.filter(pk="default").exists()


@pytest.mark.parametrize(
    "path",
    [
        "ausNOPE/",
        "ausNOPE/edit/",
        "ausNOPE/scopes/",
        "ausNOPE/claims/",
        "ausNOPE/policies/",
        "ausNOPE/preview/",
        "ausNOPE/rotate/",
        "ausNOPE/deactivate/",
        "default/scopes/scpNOPE/edit/",
        "default/claims/oclNOPE/delete/",
        "default/policies/00pNOPE/edit/",
        "org/scopes/new/",
    ],
)
def test_unknown_ids_are_the_readable_404_page(console_client, path):
    response = console_client.get(BASE + path)
    assert response.status_code == 404
    assert "Not found" in text(response)


@pytest.mark.parametrize("path", ["", "new/", "default/", "default/edit/", "default/policies/", "default/preview/"])
def test_outsiders_are_refused(client, other_user, path):
    assert client.get(BASE + path).status_code == 302  # signed out: to the console sign-in
    client.force_login(other_user)
    assert client.get(BASE + path).status_code == 403


def test_non_staff_cannot_create_or_deactivate(client, other_user, payments):
    client.force_login(other_user)
    assert client.post(f"{BASE}new/", {"name": "X", "audiences": "api://x"}).status_code == 403
    assert client.post(f"{BASE}{payments.id}/deactivate/").status_code == 403
    payments.refresh_from_db()
    assert payments.status == "ACTIVE" and AuthorizationServer.objects.count() == 2


def test_posts_need_the_csrf_token(owner, payments):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    assert browser.post(f"{BASE}{payments.id}/deactivate/").status_code == 403
    payments.refresh_from_db()
    assert payments.status == "ACTIVE"


def test_pages_are_not_cached(console_client, payments):
    for path in ("", f"{payments.id}/", f"{payments.id}/policies/", f"{payments.id}/preview/"):
        assert console_client.get(BASE + path)["Cache-Control"] == "no-store"


# "Rotate keys now", per server ---------------------------------------------------------------------------------


def test_rotate_asks_first(console_client):
    keys.ensure_keys("default")
    before = [(k.kid, k.status) for k in keys.list_keys("default")]
    response = console_client.get(f"{BASE}default/rotate/")
    assert response.status_code == 200 and "Rotate keys now" in text(response)
    assert [(k.kid, k.status) for k in keys.list_keys("default")] == before


def test_rotate_turns_the_cycle_once_through_the_shared_code(console_client):
    keys.ensure_keys("default")
    before = {k.status: k.kid for k in keys.list_keys("default")}
    response = console_client.post(f"{BASE}default/rotate/", follow=True)
    after = {k.status: k.kid for k in keys.list_keys("default")}
    assert after["ACTIVE"] == before["NEXT"]
    assert after["EXPIRED"] == before["ACTIVE"]
    assert after["NEXT"] not in before.values()
    assert f"Now signing with {after['ACTIVE']}" in text(response)
    assert Event.objects.filter(event_type="app.oauth2.as.key.rollover").count() == 1
    org = {k.status for k in keys.list_keys("org")}
    assert "EXPIRED" not in org  # the other server is untouched


def test_rotate_a_custom_server(console_client, payments):
    before = {k.status: k.kid for k in keys.list_keys(payments.id)}
    response = console_client.post(f"{BASE}{payments.id}/rotate/")
    assert response.status_code == 302 and response["Location"] == f"{BASE}{payments.id}/"
    after = {k.status: k.kid for k in keys.list_keys(payments.id)}
    assert after["ACTIVE"] == before["NEXT"] and after["EXPIRED"] == before["ACTIVE"]


def test_rotate_org_server_records_its_event(console_client):
    console_client.post(f"{BASE}org/rotate/")
    assert Event.objects.filter(event_type="app.oauth2.key.rollover").count() == 1


def test_rotate_unknown_server_is_404(console_client):
    assert console_client.post(f"{BASE}custom/rotate/").status_code == 404


def test_non_staff_cannot_rotate(client, other_user):
    keys.ensure_keys("default")
    before = [(k.kid, k.status) for k in keys.list_keys("default")]
    client.force_login(other_user)
    assert client.post(f"{BASE}default/rotate/").status_code == 403
    assert [(k.kid, k.status) for k in keys.list_keys("default")] == before


def test_rotate_warns_and_names_the_key_whose_tokens_may_still_be_live(console_client, settings):
    keys.rotate_keys("default")  # the EXPIRED key signed until a moment ago
    expired = next(k.kid for k in keys.list_keys("default") if k.status == "EXPIRED")
    body = text(console_client.get(f"{BASE}default/rotate/"))
    warning = body.split('id="confirm-warning">')[1].split("</div>")[0]
    lifetime = max(settings.ROTOR_ACCESS_TOKEN_MINUTES, settings.ROTOR_ID_TOKEN_MINUTES)
    assert f"Key {expired} is dropped now." in warning
    assert f"tokens it signed within the last {lifetime} min" in warning and "stop verifying" in warning


def test_rotate_names_the_dropped_key_without_a_warning_once_its_tokens_have_expired(console_client):
    from datetime import timedelta

    from django.utils import timezone

    from tokens.models import SigningKey

    keys.rotate_keys("default")
    SigningKey.objects.filter(server="default", status="NEXT").update(created=timezone.now() - timedelta(days=1))
    expired = next(k.kid for k in keys.list_keys("default") if k.status == "EXPIRED")
    body = text(console_client.get(f"{BASE}default/rotate/"))
    assert 'id="confirm-warning"' not in body
    assert f"Key {expired} is dropped." in body and "no token it signed is still valid" in body


def test_rotate_of_a_server_without_an_expired_key_drops_none(console_client):
    keys.ensure_keys("default")
    body = text(console_client.get(f"{BASE}default/rotate/"))
    assert "No key is dropped" in body and 'id="confirm-warning"' not in body
