"""Console: the user page's actions — profile, temporary password, sign out everywhere, revoke all tokens."""

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from core.models import Event
from tests.kit.console import make_family, text, use
from tokens.models import TokenFamily
from tokens.oauth.errors import OAuthError


def test_edit_profile_through_the_service_and_logs_it(console_client, end_user, owner):
    page = console_client.get(f"/console/users/{end_user.uid}/edit/")
    assert page.status_code == 200 and 'value="Liddell"' in text(page)
    response = console_client.post(
        f"/console/users/{end_user.uid}/edit/",
        {"first_name": "Alice", "last_name": "Hargreaves", "email": "alice.h@example.com"},
    )
    assert response.status_code == 302 and response["Location"] == f"/console/users/{end_user.uid}/"
    end_user.refresh_from_db()
    assert (end_user.last_name, end_user.email) == ("Hargreaves", "alice.h@example.com")
    event = Event.objects.get(event_type="user.account.update_profile")
    assert event.actor["id"] == owner.uid and event.user_id == end_user.uid
    assert event.debug_data == {"changedAttributes": "last_name,email"}


def test_edit_profile_refuses_a_bad_email_and_changes_nothing(console_client, end_user):
    response = console_client.post(f"/console/users/{end_user.uid}/edit/", {"email": "not an email"})
    assert response.status_code == 400
    end_user.refresh_from_db()
    assert end_user.email == "alice@example.com"
    assert not Event.objects.filter(event_type="user.account.update_profile").exists()


@pytest.mark.parametrize("login_url", ["/accounts/login/", "/console/login/"])
def test_temporary_password_must_be_changed_at_next_sign_in(console_client, owner, end_user, login_url):
    user = owner if login_url == "/console/login/" else end_user
    response = console_client.post(f"/console/users/{user.uid}/password/", {"password": "temporary pass 123"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.must_change_password and user.check_password("temporary pass 123")
    assert Event.objects.filter(event_type="user.account.reset_password", user_id=user.uid).exists()

    browser = Client()
    response = browser.post(login_url, {"username": user.username, "password": "temporary pass 123"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/new/"
    assert "_auth_user_id" not in browser.session  # no session before the new password
    assert browser.get("/console/").status_code == 302

    form = browser.get("/accounts/password/new/")
    assert form.status_code == 200 and "Choose a new password" in text(form)
    assert "no-store" in form["Cache-Control"]
    same = {"old_password": "temporary pass 123", "new_password1": "temporary pass 123"}
    same["new_password2"] = same["new_password1"]
    assert browser.post("/accounts/password/new/", same).status_code == 400
    new = {
        "old_password": "temporary pass 123",
        "new_password1": "my own pass 4567",
        "new_password2": "my own pass 4567",
    }
    response = browser.post("/accounts/password/new/", new)
    assert response.status_code == 302
    assert browser.session["_auth_user_id"] == str(user.pk)
    user.refresh_from_db()
    assert not user.must_change_password and user.check_password("my own pass 4567")
    assert Event.objects.filter(event_type="user.account.update_password", user_id=user.uid).exists()


def test_the_change_step_needs_a_pending_sign_in(client):
    response = client.get("/accounts/password/new/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"


def _sessions_of(user) -> int:
    return sum(1 for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk))


def test_sign_out_everywhere_ends_sessions_and_revokes_families(console_client, end_user, other_user, public_app):
    phone, laptop, bystander = Client(), Client(), Client()
    for browser, user, password in (
        (phone, end_user, "alice password 1"),
        (laptop, end_user, "alice password 1"),
        (bystander, other_user, "mallory password 1"),
    ):
        browser.post("/accounts/login/", {"username": user.username, "password": password})
    assert _sessions_of(end_user) == 2 and _sessions_of(other_user) == 1
    family, _, _ = make_family(public_app, end_user)
    others, _, _ = make_family(public_app, other_user)

    page = console_client.get(f"/console/users/{end_user.uid}/sign-out/")
    assert page.status_code == 200 and "Sign out everywhere" in text(page)
    response = console_client.post(f"/console/users/{end_user.uid}/sign-out/", follow=True)
    assert "ended 2 sessions and revoked 1 token family" in text(response)
    assert _sessions_of(end_user) == 0 and _sessions_of(other_user) == 1
    family.refresh_from_db()
    others.refresh_from_db()
    assert family.status == "REVOKED" and family.revoked_reason == "signed_out_everywhere"
    assert others.status == "ACTIVE"
    event = Event.objects.get(event_type="user.session.clear")
    assert event.debug_data == {"sessionsEnded": 2, "familiesRevoked": 1}


def test_revoke_all_tokens_says_how_many_families(console_client, end_user, public_app, confidential_app):
    make_family(public_app, end_user)
    make_family(confidential_app, end_user)
    gone, _, _ = make_family(public_app, end_user)
    console_client.post(f"/console/families/{gone.public_id}/revoke/")
    page = console_client.get(f"/console/users/{end_user.uid}/revoke-tokens/")
    assert "This revokes 2 token families" in text(page) and "Revoke 2 token families" in text(page)
    response = console_client.post(f"/console/users/{end_user.uid}/revoke-tokens/", follow=True)
    assert "Revoked 2 token families of alice@example.com." in text(response)
    assert not TokenFamily.objects.filter(user=end_user, status="ACTIVE").exists()


def test_a_reuse_detected_family_is_reachable_from_its_user(console_client, end_user, public_app):
    family, _, tokens = make_family(public_app, end_user, rotations=1)
    later = timezone.now() + timedelta(seconds=public_app.leeway + 1)
    with mock.patch("django.utils.timezone.now", return_value=later), pytest.raises(OAuthError):
        use(public_app, tokens[0])
    body = text(console_client.get(f"/console/users/{end_user.uid}/"))
    assert f"/console/families/{family.public_id}/" in body and "reuse_detected" in body
    assert f"/console/system-log/?user={end_user.uid}" in body
    assert "Revoke all tokens" not in body  # nothing left to revoke


def test_non_staff_cannot_use_the_user_actions(client, other_user, end_user):
    client.force_login(other_user)
    for action in ("edit", "password", "sign-out", "revoke-tokens"):
        assert client.post(f"/console/users/{end_user.uid}/{action}/").status_code == 403, action


def test_signing_yourself_out_everywhere_ends_your_console_session(client, owner):
    client.post("/console/login/", {"username": owner.username, "password": "correct horse battery"})
    assert client.get("/console/").status_code == 200
    response = client.post(f"/console/users/{owner.uid}/sign-out/")
    assert response.status_code == 302
    assert client.get("/console/").status_code == 302  # back to the sign-in page
