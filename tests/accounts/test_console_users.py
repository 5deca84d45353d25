"""Console: Users — list, search, create, the user page, deactivate, activate, delete."""

import re

from accounts.models import User
from core.models import Event
from tests.kit.console import make_family, text
from tokens.models import TokenFamily


def test_list_shows_users_with_status_and_role(console_client, end_user, other_user):
    response = console_client.get("/console/users/")
    assert response.status_code == 200
    body = text(response)
    assert "alice@example.com" in body and "Alice Liddell" in body
    assert "Administrator" in body and "mallory@example.com" in body


def test_search_matches_username_email_and_name(console_client, end_user, other_user):
    for term in ("alice", "Liddell", "ALICE@EXAMPLE"):
        body = text(console_client.get("/console/users/", {"q": term}))
        assert "alice@example.com" in body and "mallory@example.com" not in body, term


def test_status_filter_shows_deactivated_users(console_client, end_user, other_user):
    console_client.post(f"/console/users/{other_user.uid}/deactivate/")
    body = text(console_client.get("/console/users/", {"status": "DEPROVISIONED"}))
    assert "mallory@example.com" in body and "alice@example.com" not in body


def test_create_user(console_client, owner):
    response = console_client.post(
        "/console/users/new/",
        {
            "username": "bob@example.com",
            "email": "bob@example.com",
            "first_name": "Bob",
            "last_name": "Builder",
            "password": "a long enough password",
        },
    )
    user = User.objects.get(username="bob@example.com")
    assert response.status_code == 302 and response["Location"] == f"/console/users/{user.uid}/"
    assert user.check_password("a long enough password")
    assert not user.is_staff and user.is_active
    assert Event.objects.get(event_type="user.lifecycle.create").actor["id"] == owner.uid


def test_create_admin_user(console_client):
    console_client.post(
        "/console/users/new/", {"username": "carol", "password": "a long enough password", "is_staff": "on"}
    )
    assert User.objects.get(username="carol").is_staff


def test_create_rejects_a_taken_username_beside_the_field(console_client, end_user):
    response = console_client.post(
        "/console/users/new/", {"username": "ALICE@example.com", "password": "another long one"}
    )
    assert response.status_code == 400  # as every console form answers a refused POST
    assert response.context["form"].errors["username"] == ["A user with this username already exists."]
    assert User.objects.filter(username__iexact="alice@example.com").count() == 1


def test_create_rejects_a_weak_password_beside_the_field(console_client):
    response = console_client.post("/console/users/new/", {"username": "dave", "password": "password"})
    assert "password" in response.context["form"].errors
    assert "This password is too common." in text(response)
    assert not User.objects.filter(username="dave").exists()


def test_create_rejects_missing_fields_and_bad_email(console_client):
    response = console_client.post("/console/users/new/", {"username": "", "email": "not-an-email", "password": ""})
    errors = response.context["form"].errors
    assert {"username", "email", "password"} <= set(errors)
    assert User.objects.count() == 1  # only the admin


def test_user_page_lists_apps_and_all_families(console_client, end_user, public_app, confidential_app):
    active, _, _ = make_family(public_app, end_user, rotations=1)
    revoked, _, _ = make_family(confidential_app, end_user)
    console_client.post(f"/console/families/{revoked.public_id}/revoke/")
    response = console_client.get(f"/console/users/{end_user.uid}/")
    assert response.status_code == 200
    body = text(response)
    assert "Single-page app" in body and "Confidential web app" in body
    # Revoked families are listed too (they used to vanish from their user), newest first.
    assert [f.public_id for f in response.context["families"]] == [revoked.public_id, active.public_id]
    assert active.public_id in body
    assert f"/console/families/{active.public_id}/revoke/?next=/console/users/{end_user.uid}/" in body
    assert f"/console/families/{revoked.public_id}/revoke/" not in body


def test_revoke_from_the_user_page_returns_to_it(console_client, end_user, public_app):
    family, _, _ = make_family(public_app, end_user)
    back = f"/console/users/{end_user.uid}/"
    response = console_client.post(f"/console/families/{family.public_id}/revoke/", {"next": back})
    assert response["Location"] == back
    family.refresh_from_db()
    assert family.status == "REVOKED"


def test_deactivate_asks_first_then_revokes_the_users_tokens(console_client, end_user, public_app):
    family, _, _ = make_family(public_app, end_user)
    page = console_client.get(f"/console/users/{end_user.uid}/deactivate/")
    assert page.status_code == 200 and "Deactivate user" in text(page)
    end_user.refresh_from_db()
    assert end_user.is_active
    response = console_client.post(f"/console/users/{end_user.uid}/deactivate/", follow=True)
    assert "revoked their tokens" in text(response)
    end_user.refresh_from_db()
    family.refresh_from_db()
    assert not end_user.is_active
    assert family.status == TokenFamily.Status.REVOKED


def test_admin_cannot_deactivate_themselves(console_client, owner):
    response = console_client.post(f"/console/users/{owner.uid}/deactivate/", follow=True)
    assert "You cannot deactivate your own account." in text(response)
    owner.refresh_from_db()
    assert owner.is_active


def test_activate_a_deactivated_user(console_client, end_user):
    console_client.post(f"/console/users/{end_user.uid}/deactivate/")
    console_client.post(f"/console/users/{end_user.uid}/activate/")
    end_user.refresh_from_db()
    assert end_user.is_active


def test_delete_only_after_deactivation_with_confirmation(console_client, end_user):
    refused = console_client.post(f"/console/users/{end_user.uid}/delete/", follow=True)
    assert "Deactivate the user before deleting them." in text(refused)
    assert User.objects.filter(pk=end_user.pk).exists()
    console_client.post(f"/console/users/{end_user.uid}/deactivate/")
    page = console_client.get(f"/console/users/{end_user.uid}/delete/")
    assert page.status_code == 200 and "Delete user" in text(page)
    response = console_client.post(f"/console/users/{end_user.uid}/delete/")
    assert response["Location"] == "/console/users/"
    assert not User.objects.filter(pk=end_user.pk).exists()


def test_unknown_user_is_404(console_client):
    assert console_client.get("/console/users/00uNope/").status_code == 404
    assert console_client.post("/console/users/00uNope/deactivate/").status_code == 404


def test_non_staff_cannot_manage_users(client, other_user, end_user):
    client.force_login(other_user)
    assert client.get("/console/users/").status_code == 403
    assert client.post(f"/console/users/{end_user.uid}/deactivate/").status_code == 403
    assert (
        client.post("/console/users/new/", {"username": "x", "password": "a long enough password"}).status_code == 403
    )
    end_user.refresh_from_db()
    assert end_user.is_active and not User.objects.filter(username="x").exists()


def test_the_alphabetical_users_list_pages_with_previous_and_next(console_client):
    User.objects.bulk_create(User(username=f"user{i:02}@example.com") for i in range(30))
    first = text(console_client.get("/console/users/"))
    assert ">Next</a>" in first and "Older" not in first
    following = re.search(r'href="\?([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = text(console_client.get(f"/console/users/?{following}"))
    assert ">Previous</a>" in second and "Newer" not in second


def test_the_newest_first_apps_list_pages_with_newer_and_older(console_client, make_app):
    for i in range(26):
        make_app(label=f"App {i:02}", application_type="service")
    first = text(console_client.get("/console/apps/"))
    assert ">Older</a>" in first and ">Next</a>" not in first
    following = re.search(r'href="\?([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert ">Newer</a>" in text(console_client.get(f"/console/apps/?{following}"))
