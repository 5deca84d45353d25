"""Console: a server's Scopes and Claims tabs. Their forms parse what was typed; the API's validator
(tokens/servers/validation.py) decides, and its messages show beside the fields, all at once."""

import pytest

from core.models import Event
from tests.kit.console import text
from tokens.servers import services
from tokens.servers.models import Claim, Scope

BASE = "/console/security/authorization-servers/"


@pytest.fixture
def server(db):
    return services.create_server({"name": "Payments", "audiences": ["api://pay"]})


def scopes_url(server, tail=""):
    return f"{BASE}{server.id}/scopes/{tail}"


def claims_url(server, tail=""):
    return f"{BASE}{server.id}/claims/{tail}"


# Scopes -----------------------------------------------------------------------------------------------------------


def test_scopes_tab_lists_system_and_custom_scopes(console_client):
    body = text(console_client.get(f"{BASE}default/scopes/"))
    for name in ("openid", "profile", "email", "address", "phone", "offline_access", "api:read", "api:write"):
        assert f"<code>{name}</code>" in body
    assert body.count(">System<") == 6 and body.count(">Custom<") == 2
    api_read = Scope.objects.get(server_id="default", name="api:read")
    openid = Scope.objects.get(server_id="default", name="openid")
    assert scopes_url(openid.server, f"{api_read.id}/edit/") in body
    assert scopes_url(openid.server, f"{openid.id}/delete/") not in body  # system scopes stay


def test_org_server_scopes_are_read_only(console_client):
    body = text(console_client.get(f"{BASE}org/scopes/"))
    assert "<code>openid</code>" in body and "Add Scope" not in body


def test_add_scope_with_consent_metadata_and_default(console_client, server):
    response = console_client.post(
        scopes_url(server, "new/"),
        {
            "name": "payments:read",
            "display_name": "Read payments",
            "description": "See your payments",
            "consent": "REQUIRED",
            "metadata_publish": "on",
            "default": "on",
        },
    )
    assert response.status_code == 302 and response["Location"] == scopes_url(server)
    scope = Scope.objects.get(server=server, name="payments:read")
    assert (scope.consent, scope.metadata_publish, scope.default, scope.system) == (
        "REQUIRED",
        "ALL_CLIENTS",
        True,
        False,
    )
    assert Event.objects.filter(event_type="oauth2.scope.created").count() == 1
    body = text(console_client.get(response["Location"]))
    assert "Added scope &#x27;payments:read&#x27;." in body and "See your payments" in body


def test_scope_form_shows_every_validator_error_at_once(console_client, server):
    Scope.objects.create(server=server, name="taken")
    response = console_client.post(scopes_url(server, "new/"), {"name": "has space", "consent": "SOMETIMES"})
    assert response.status_code == 400
    body = text(response)
    assert "A scope name is printable ASCII without spaces" in body
    assert "Select a valid choice. SOMETIMES is not one of the available choices." in body
    assert body.count('class="field has-error"') == 2
    response = console_client.post(scopes_url(server, "new/"), {"name": "taken", "consent": "IMPLICIT"})
    assert "A scope named &#x27;taken&#x27; already exists on this authorization server." in text(response)
    assert not Scope.objects.filter(server=server, name="has space").exists()


def test_edit_scope(console_client, server):
    scope = services.create_scope(server, {"name": "pay:write"})
    url = scopes_url(server, f"{scope.id}/edit/")
    assert 'value="pay:write"' in text(console_client.get(url))
    response = console_client.post(url, {"name": "pay:write", "description": "Pay for you", "consent": "IMPLICIT"})
    assert response.status_code == 302
    scope.refresh_from_db()
    assert (scope.description, scope.metadata_publish, scope.default) == ("Pay for you", "NO_CLIENTS", False)


def test_delete_scope_asks_then_deletes(console_client, server):
    scope = services.create_scope(server, {"name": "pay:write"})
    url = scopes_url(server, f"{scope.id}/delete/")
    assert "invalid_scope" in text(console_client.get(url))
    assert Scope.objects.filter(pk=scope.pk).exists()
    assert console_client.post(url).status_code == 302
    assert not Scope.objects.filter(pk=scope.pk).exists()


def test_a_system_scope_is_not_deleted(console_client, server):
    openid = Scope.objects.get(server=server, name="openid")
    response = console_client.post(scopes_url(server, f"{openid.id}/delete/"), follow=True)
    assert "&#x27;openid&#x27; is a system scope and cannot be deleted." in text(response)
    assert Scope.objects.filter(pk=openid.pk).exists()


def test_a_scope_of_another_server_is_404(console_client, server):
    other = Scope.objects.get(server_id="default", name="api:read")
    assert console_client.get(scopes_url(server, f"{other.id}/edit/")).status_code == 404
    assert console_client.post(scopes_url(server, f"{other.id}/delete/")).status_code == 404
    assert Scope.objects.filter(pk=other.pk).exists()


def test_outsider_cannot_add_a_scope(client, other_user, server):
    client.force_login(other_user)
    assert client.post(scopes_url(server, "new/"), {"name": "x", "consent": "IMPLICIT"}).status_code == 403
    assert not Scope.objects.filter(server=server, name="x").exists()


# Claims -----------------------------------------------------------------------------------------------------------


def claim_post(**overrides):
    return {"name": "tier", "claim_type": "RESOURCE", "value": '"gold"', "include_in": "any"} | overrides


def test_claims_tab_lists_claims(console_client, server):
    services.create_claim(
        server, {"name": "email_addr", "claim_type": "IDENTITY", "value": "user.email", "conditions_scopes": ["email"]}
    )
    body = text(console_client.get(claims_url(server)))
    assert "<code>email_addr</code>" in body and "ID Token" in body and "<code>user.email</code>" in body
    assert "<code>email</code>" in body  # included with that scope only


def test_add_claim_for_the_access_token_in_these_scopes(console_client, server):
    response = console_client.post(
        claims_url(server, "new/"),
        claim_post(include_in="some", scopes=["profile", "email"], always_include_in_token="on"),
    )
    assert response.status_code == 302 and response["Location"] == claims_url(server)
    claim = Claim.objects.get(server=server, name="tier")
    assert (claim.claim_type, claim.value, claim.conditions_scopes, claim.status) == (
        "RESOURCE",
        '"gold"',
        ["profile", "email"],
        "ACTIVE",
    )
    assert claim.always_include_in_token is True
    assert Event.objects.filter(event_type="oauth2.claim.created").count() == 1


def test_claim_form_names_the_supported_values_and_reserved_names_together(console_client, server):
    response = console_client.post(claims_url(server, "new/"), claim_post(name="sub", value="user.favouriteColour"))
    assert response.status_code == 400
    body = text(response)
    assert "&#x27;sub&#x27; is a reserved claim name." in body
    assert "user.&lt;profile attribute&gt;" in body  # the validator names the supported forms
    assert body.count('class="field has-error"') == 2
    assert not Claim.objects.filter(server=server).exists()


def test_claim_for_chosen_scopes_needs_a_scope(console_client, server):
    response = console_client.post(claims_url(server, "new/"), claim_post(include_in="some"))
    assert response.status_code == 400
    assert "Pick the scopes, or include the claim in any scope." in text(response)


def test_edit_and_disable_a_claim(console_client, server):
    claim = services.create_claim(server, {"name": "tier", "claim_type": "RESOURCE", "value": '"gold"'})
    url = claims_url(server, f"{claim.id}/edit/")
    assert 'value="&quot;gold&quot;"' in text(console_client.get(url))
    response = console_client.post(url, claim_post(claim_type="IDENTITY", value="user.login", disabled="on"))
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.claim_type, claim.value, claim.status, claim.always_include_in_token) == (
        "IDENTITY",
        "user.login",
        "INACTIVE",
        False,
    )


def test_delete_claim(console_client, server):
    claim = services.create_claim(server, {"name": "tier", "claim_type": "RESOURCE", "value": '"gold"'})
    url = claims_url(server, f"{claim.id}/delete/")
    assert "no longer carry it" in text(console_client.get(url))
    assert console_client.post(url).status_code == 302
    assert not Claim.objects.filter(pk=claim.pk).exists()
    assert Event.objects.filter(event_type="oauth2.claim.deleted").count() == 1


def test_outsider_cannot_add_a_claim(client, other_user, server):
    client.force_login(other_user)
    assert client.post(claims_url(server, "new/"), claim_post()).status_code == 403
    assert not Claim.objects.exists()
