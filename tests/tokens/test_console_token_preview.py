"""Console: a server's Token Preview. A client, a grant type, a user and scopes; it shows the policy and rule that
match (or why none does), the lifetimes, and the claims of the access and ID tokens in the shape they would have,
through tokens/servers/preview.py, issuing and recording nothing."""

import html
import json

import pytest

from core.models import Event
from tests.kit.console import text
from tests.kit.servers import add_claim, add_policy, add_rule, make_server
from tokens.models import TokenFamily

BASE = "/console/security/authorization-servers/"


def claims_in(body: str, token: str) -> dict:
    """The claims a preview shows for `token` ("access" or "id"), read back from the page's JSON."""
    shown = body.split(f'<pre class="token" id="preview-{token}-token">')[1].split("</pre>")[0]
    return json.loads(html.unescape(shown))


def preview(browser, server_id, **params):
    return browser.get(f"{BASE}{server_id}/preview/", params)


@pytest.fixture
def orders(db):
    server = make_server("Orders", audience="api://orders", scopes=["orders:read"])
    policy = add_policy(server, "Orders policy")
    add_rule(
        policy,
        "Short-lived",
        access_token_lifetime_minutes=15,
        refresh_token_lifetime_minutes=1440,
        refresh_token_window_minutes=120,
    )
    add_claim(server, "tier", '"gold"')
    add_claim(server, "mail", "user.email", claim_type="IDENTITY")
    return server


def test_the_form_lists_clients_grant_types_and_the_servers_scopes(console_client, orders, confidential_app):
    response = console_client.get(f"{BASE}{orders.id}/preview/")
    assert response.status_code == 200
    body = text(response)
    assert confidential_app.name in body and "Device Authorization" in body and 'value="orders:read"' in body
    assert 'id="preview-result"' not in body


def test_preview_shows_the_matching_rule_lifetimes_and_both_tokens(console_client, orders, confidential_app, end_user):
    events, families = Event.objects.count(), TokenFamily.objects.count()
    response = preview(
        console_client,
        orders.id,
        client=confidential_app.client_id,
        grant_type="authorization_code",
        user=end_user.username,
        scopes=["openid", "email", "offline_access", "orders:read"],
    )
    assert response.status_code == 200
    body = text(response)
    assert '<dd id="preview-policy">Orders policy</dd>' in body and '<dd id="preview-rule">Short-lived</dd>' in body
    assert '<dd id="preview-access">15 minutes</dd>' in body
    assert "1 day, expires if not used every 2 hours" in body
    access = claims_in(body, "access")
    assert access["aud"] == "api://orders" and access["iss"].endswith(f"/oauth2/{orders.id}")
    assert access["exp"] - access["iat"] == 15 * 60
    assert access["cid"] == confidential_app.client_id and access["uid"] == end_user.uid
    assert set(access["scp"]) == {"openid", "email", "offline_access", "orders:read"}
    assert access["tier"] == "gold" and "mail" not in access
    id_token = claims_in(body, "id")
    assert id_token["aud"] == confidential_app.client_id and id_token["mail"] == end_user.email
    assert "tier" not in id_token
    assert (Event.objects.count(), TokenFamily.objects.count()) == (events, families)  # nothing issued or recorded


def test_client_credentials_needs_no_user_and_has_no_id_token(console_client, orders, make_app):
    service, _ = make_app(label="Batch job", application_type="service", grant_types=["client_credentials"])
    response = preview(
        console_client, orders.id, client=service.client_id, grant_type="client_credentials", scopes=["orders:read"]
    )
    body = text(response)
    assert response.status_code == 200 and '<dd id="preview-rule">Short-lived</dd>' in body
    assert claims_in(body, "access")["scp"] == ["orders:read"]
    assert 'id="preview-id-token"' not in body and "No ID token" in body
    assert '<dd id="preview-refresh">None issued</dd>' in body


def test_no_matching_rule_says_why(console_client, confidential_app, end_user):
    server = make_server("Strict")
    policy = add_policy(server, "Machines only")
    add_rule(policy, "Client credentials only", grants=["client_credentials"])
    response = preview(
        console_client,
        server.id,
        client=confidential_app.client_id,
        grant_type="authorization_code",
        user=end_user.username,
        scopes=["openid"],
    )
    assert response.status_code == 200
    body = text(response)
    no_match = body.split('id="preview-no-match">')[1].split("</div>")[0]
    assert "No token would be issued." in no_match
    assert "Policy evaluation failed for this request" in no_match
    assert 'id="preview-access-token"' not in body


def test_a_policy_for_other_clients_does_not_match(console_client, confidential_app, public_app, end_user):
    server = make_server("Picky")
    add_rule(add_policy(server, "SPA only", clients=[public_app.client_id]), "Rule")
    body = text(
        preview(
            console_client,
            server.id,
            client=confidential_app.client_id,
            grant_type="authorization_code",
            user=end_user.username,
            scopes=["openid"],
        )
    )
    assert "No token would be issued." in body and "Policy evaluation failed" in body


def test_the_org_server_has_fixed_lifetimes(console_client, confidential_app, end_user):
    body = text(
        preview(
            console_client,
            "org",
            client=confidential_app.client_id,
            grant_type="authorization_code",
            user=end_user.uid,
            scopes=["openid", "offline_access"],
        )
    )
    assert "None: the org server's lifetimes are fixed" in body
    assert "90 days, expires if not used every 90 days" in body
    assert '<dd id="preview-access">1 hour</dd>' in body
    assert claims_in(body, "id")["sub"]


def test_bad_choices_are_shown_beside_their_fields(console_client, orders):
    response = preview(console_client, orders.id, client="nope", grant_type="password", user="nobody", scopes=["x"])
    assert response.status_code == 400
    body = text(response)
    assert "Select a valid choice. nope is not one of the available choices." in body
    assert "Select a valid choice. password is not one of the available choices." in body
    assert "Select a valid choice. x is not one of the available choices." in body
    assert 'id="preview-result"' not in body


def test_a_user_grant_needs_a_known_user(console_client, orders, confidential_app):
    base = {"client": confidential_app.client_id, "grant_type": "authorization_code", "scopes": ["openid"]}
    assert "Name the user who signs in." in text(preview(console_client, orders.id, **base))
    response = preview(console_client, orders.id, user="ghost@example.com", **base)
    assert response.status_code == 400 and "No user is called ghost@example.com." in text(response)


def test_outsiders_cannot_preview(client, other_user, orders, confidential_app):
    client.force_login(other_user)
    response = preview(client, orders.id, client=confidential_app.client_id, grant_type="client_credentials")
    assert response.status_code == 403


def test_preview_shows_the_users_groups_and_the_ones_the_rule_matched(console_client, confidential_app, end_user):
    from accounts import groups
    from accounts.models import Group

    server = make_server("Staff API", audience="api://staff")
    contractors = Group.objects.create(name="Contractors")
    groups.add_member(contractors, end_user)
    add_rule(add_policy(server, "Staff"), "Contractors only", groups=[contractors.public_id])

    body = text(
        preview(
            console_client,
            server.id,
            client=confidential_app.client_id,
            grant_type="authorization_code",
            user=end_user.username,
            scopes=["openid"],
        )
    )
    assert '<dd id="preview-rule">Contractors only</dd>' in body
    assert '<dd id="preview-groups">Contractors, Everyone</dd>' in body
    assert '<dd id="preview-group-matches">Contractors</dd>' in body
