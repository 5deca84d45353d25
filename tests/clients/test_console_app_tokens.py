"""Console: an app's Tokens tab — its refresh-token families, revoke one, revoke all."""

from core.models import Event
from tests.kit.console import make_family, text, use
from tokens.models import TokenFamily
from tokens.oauth.errors import OAuthError


def test_tokens_tab_lists_families_with_user_scopes_and_rotations(console_client, public_app, end_user):
    family, _, _ = make_family(public_app, end_user, rotations=3, scopes=("openid", "profile", "offline_access"))
    response = console_client.get(f"/console/apps/{public_app.public_id}/tokens/")
    assert response.status_code == 200
    body = text(response)
    assert family.public_id in body
    assert end_user.username in body
    assert "openid profile offline_access" in body
    row = response.context["page"].object_list[0]
    assert row.rotations == 3 and row.status == "ACTIVE"


def test_tokens_tab_only_shows_this_apps_families(console_client, public_app, confidential_app, end_user):
    mine, _, _ = make_family(public_app, end_user)
    theirs, _, _ = make_family(confidential_app, end_user)
    body = text(console_client.get(f"/console/apps/{public_app.public_id}/tokens/"))
    assert mine.public_id in body and theirs.public_id not in body


def test_tokens_tab_without_families_says_so(console_client, public_app):
    assert "No one has signed in to this app" in text(
        console_client.get(f"/console/apps/{public_app.public_id}/tokens/")
    )


def test_revoke_one_family_from_the_tokens_tab(console_client, public_app, end_user, other_user):
    family, token, _ = make_family(public_app, end_user)
    keep, _, _ = make_family(public_app, other_user)
    back = f"/console/apps/{public_app.public_id}/tokens/"
    confirm = console_client.get(f"/console/families/{family.public_id}/revoke/", {"next": back})
    assert confirm.status_code == 200
    assert f'name="next" value="{back}"' in text(confirm)
    response = console_client.post(f"/console/families/{family.public_id}/revoke/", {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    family.refresh_from_db()
    keep.refresh_from_db()
    assert family.status == "REVOKED" and family.revoked_reason == "revoked_by_admin"
    assert keep.status == "ACTIVE"
    try:
        use(public_app, token)
    except OAuthError as exc:
        assert exc.error == "invalid_grant"
    else:
        raise AssertionError("a revoked family's token still refreshed")
    event = Event.objects.get(event_type="app.oauth2.as.token.revoke", family_id=family.public_id)
    assert event.actor["type"] == "User"


def test_revoke_all_asks_first_then_revokes_every_family(console_client, public_app, end_user, other_user):
    make_family(public_app, end_user)
    make_family(public_app, other_user)
    page = console_client.get(f"/console/apps/{public_app.public_id}/tokens/revoke/")
    assert page.status_code == 200 and "Revoke all tokens" in text(page)
    assert TokenFamily.objects.filter(client=public_app, status="ACTIVE").count() == 2
    response = console_client.post(f"/console/apps/{public_app.public_id}/tokens/revoke/", follow=True)
    assert "Revoked 2 token families" in text(response)
    assert not TokenFamily.objects.filter(client=public_app, status="ACTIVE").exists()
