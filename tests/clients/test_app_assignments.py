"""App assignments: who may sign in to which app. A new app is assigned to Everyone; an unassigned user
is refused at /authorize and /activate with Okta's error and nothing written; taking an assignment
away (group from app, user from app, user from group, group deleted) revokes the families of the users
who lost access, so their access tokens introspect inactive and their refresh tokens fail."""

import html
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from accounts import groups
from accounts.models import Group, User
from clients import assignments
from clients.models import AppGroupAssignment
from core.models import Event
from tests.kit.dbstate import row_counts
from tests.kit.device import device_authorize
from tests.kit.oauth import INVALID_REFRESH, authorize_params, introspection, pkce_pair, refresh, tokens_for
from tokens.models import AuthorizationCode, DeviceCode, TokenFamily

NOT_ASSIGNED = "User is not assigned to the client application."


@pytest.fixture
def restricted_app(confidential_app):
    """The confidential app without Everyone: nobody is assigned yet."""
    assignments.unassign_group(confidential_app, Group.everyone())
    return confidential_app


@pytest.fixture
def staff_group(db):
    return groups.create_group(name="Staff", description="Employees")


def authorize(client, app):
    _, challenge = pkce_pair()
    return client.get("/oauth2/v1/authorize", authorize_params(app, challenge=challenge))


def query_of(response) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


def test_a_new_app_is_assigned_to_everyone(confidential_app, end_user):
    assert list(AppGroupAssignment.objects.filter(app=confidential_app).values_list("group__type", flat=True)) == [
        "BUILT_IN"
    ]
    assert confidential_app.is_assigned_to(end_user)


def test_everyone_is_one_row_without_memberships(db, end_user, other_user):
    everyone = Group.everyone()
    assert Group.everyone() == everyone and Group.objects.filter(type="BUILT_IN").count() == 1
    assert everyone.memberships.count() == 0
    assert set(everyone.users()) == {end_user, other_user}
    assert list(Group.of_user(end_user)) == [everyone]


def test_unassigned_user_is_refused_at_authorize_and_nothing_is_written(client, restricted_app, end_user):
    client.force_login(end_user)
    before = row_counts()

    response = authorize(client, restricted_app)

    assert response.status_code == 302
    assert response["Location"].startswith(restricted_app.redirect_uri_list[0])
    assert query_of(response) == {"error": "access_denied", "error_description": NOT_ASSIGNED, "state": "st4te"}
    assert row_counts() == before  # no code, no family, no consent, no event


def test_unassigned_user_is_refused_at_activate_and_the_code_stays_pending(client, tv_app, end_user):
    assignments.unassign_group(tv_app, Group.everyone())
    user_code = device_authorize(Client(), tv_app).json()["user_code"]
    client.force_login(end_user)
    before = row_counts()

    shown = client.post("/activate", {"user_code": user_code})
    approved = client.post("/activate", {"user_code": user_code, "decision": "approve"})

    for response in (shown, approved):
        assert response.status_code == 403
        page = html.unescape(response.content.decode())
        assert NOT_ASSIGNED in page and "access_denied" in page
    assert DeviceCode.objects.get().status == "PENDING" and DeviceCode.objects.get().user is None
    after = row_counts()
    after.pop("core.AttemptCounter"), before.pop("core.AttemptCounter")  # the code lookup's guessing counters
    assert after == before


def test_a_user_assigned_directly_signs_in(client, restricted_app, end_user, other_user):
    assignments.assign_user(restricted_app, end_user)

    body = tokens_for(client, restricted_app, end_user, secret=restricted_app.plain_secret)

    assert body["refresh_token"]
    client.force_login(other_user)
    assert query_of(authorize(client, restricted_app))["error"] == "access_denied"
    assert Event.objects.filter(event_type="application.user_membership.add", user_id=end_user.uid).exists()


def test_a_member_of_an_assigned_group_signs_in(client, restricted_app, end_user, staff_group):
    assignments.assign_group(restricted_app, staff_group)
    client.force_login(end_user)
    assert query_of(authorize(client, restricted_app))["error"] == "access_denied"

    groups.add_member(staff_group, end_user)

    assert "code" in query_of(authorize(client, restricted_app))


def test_removing_the_user_from_the_group_revokes_their_families_at_the_app(
    client, restricted_app, end_user, staff_group
):
    assignments.assign_group(restricted_app, staff_group)
    groups.add_member(staff_group, end_user)
    body = tokens_for(client, restricted_app, end_user, secret=restricted_app.plain_secret)

    revoked = groups.remove_member(staff_group, end_user)

    assert revoked == 1
    assert TokenFamily.objects.get().status == "REVOKED"
    assert TokenFamily.objects.get().revoked_reason == "app_unassigned"
    assert introspection(client, restricted_app, body["access_token"], restricted_app.plain_secret) == {"active": False}
    response = refresh(client, restricted_app, body["refresh_token"], secret=restricted_app.plain_secret)
    assert response.status_code == 400 and response.json() == INVALID_REFRESH
    client.force_login(end_user)
    assert query_of(authorize(client, restricted_app))["error_description"] == NOT_ASSIGNED
    event = Event.objects.get(event_type="group.user_membership.remove")
    assert event.user_id == end_user.uid and event.debug_data == {"familiesRevoked": 1}


def test_unassigning_the_group_revokes_the_members_families(client, restricted_app, end_user, staff_group):
    assignments.assign_group(restricted_app, staff_group)
    groups.add_member(staff_group, end_user)
    body = tokens_for(client, restricted_app, end_user, secret=restricted_app.plain_secret)
    assert assignments.families_revoked_by_unassigning_group(restricted_app, staff_group) == 1

    assert assignments.unassign_group(restricted_app, staff_group) == 1

    assert TokenFamily.objects.get().status == "REVOKED"
    assert introspection(client, restricted_app, body["access_token"], restricted_app.plain_secret) == {"active": False}


def test_unassigning_a_user_revokes_their_families(client, restricted_app, end_user):
    assignments.assign_user(restricted_app, end_user)
    body = tokens_for(client, restricted_app, end_user, secret=restricted_app.plain_secret, scope="openid")
    assert assignments.families_revoked_by_unassigning_user(restricted_app, end_user) == 0  # no family (no offline)

    assignments.unassign_user(restricted_app, end_user)

    # A sign-in without a family is reached by the user-at-app moment.
    assert introspection(client, restricted_app, body["access_token"], restricted_app.plain_secret) == {"active": False}


def test_a_user_still_assigned_another_way_keeps_their_tokens(client, restricted_app, end_user, staff_group):
    assignments.assign_group(restricted_app, staff_group)
    groups.add_member(staff_group, end_user)
    assignments.assign_user(restricted_app, end_user)
    body = tokens_for(client, restricted_app, end_user, secret=restricted_app.plain_secret)
    assert assignments.families_revoked_by_leaving(staff_group, end_user) == 0

    assert groups.remove_member(staff_group, end_user) == 0

    assert TokenFamily.objects.get().status == "ACTIVE"
    assert introspection(client, restricted_app, body["access_token"], restricted_app.plain_secret)["active"] is True


def test_unassigning_everyone_revokes_only_the_unassigned(client, confidential_app, end_user, other_user):
    assignments.assign_user(confidential_app, other_user)
    kept = tokens_for(client, confidential_app, other_user, secret=confidential_app.plain_secret)
    lost = tokens_for(client, confidential_app, end_user, secret=confidential_app.plain_secret)

    assert assignments.unassign_group(confidential_app, Group.everyone()) == 1

    secret = confidential_app.plain_secret
    assert introspection(client, confidential_app, lost["access_token"], secret) == {"active": False}
    assert introspection(client, confidential_app, kept["access_token"], secret)["active"] is True


def test_deleting_a_group_revokes_what_its_members_lose(client, restricted_app, end_user, staff_group):
    assignments.assign_group(restricted_app, staff_group)
    groups.add_member(staff_group, end_user)
    tokens_for(client, restricted_app, end_user, secret=restricted_app.plain_secret)

    assert groups.delete_group(staff_group) == 1

    assert TokenFamily.objects.get().status == "REVOKED"
    assert not AppGroupAssignment.objects.filter(app=restricted_app).exists()
    assert Event.objects.filter(event_type="group.lifecycle.delete").exists()


def test_a_revocation_at_one_app_leaves_the_users_other_apps_alone(client, make_app, end_user, staff_group):
    first, first_secret = make_app(label="First", grant_types=["authorization_code", "refresh_token"])
    second, second_secret = make_app(label="Second", grant_types=["authorization_code", "refresh_token"])
    assignments.unassign_group(first, Group.everyone())
    assignments.assign_group(first, staff_group)
    groups.add_member(staff_group, end_user)
    tokens_for(client, first, end_user, secret=first_secret)
    tokens_for(client, second, end_user, secret=second_secret)

    groups.remove_member(staff_group, end_user)

    assert TokenFamily.objects.get(client=first).status == "REVOKED"
    assert TokenFamily.objects.get(client=second).status == "ACTIVE"


def test_the_users_apps_are_those_they_may_sign_in_to(make_app, end_user, staff_group):
    open_app, _ = make_app(label="Open")
    staff_app, _ = make_app(label="Staff only")
    assignments.unassign_group(staff_app, Group.everyone())
    assignments.assign_group(staff_app, staff_group)

    assert set(assignments.apps_of_user(end_user)) == {open_app}
    groups.add_member(staff_group, end_user)
    assert set(assignments.apps_of_user(end_user)) == {open_app, staff_app}


def test_everyone_cannot_be_changed(db, end_user):
    everyone = Group.everyone()
    for change in (
        lambda: groups.add_member(everyone, end_user),
        lambda: groups.remove_member(everyone, end_user),
        lambda: groups.update_group(everyone, name="All"),
        lambda: groups.delete_group(everyone),
    ):
        with pytest.raises(groups.BuiltInGroup):
            change()
    assert Group.objects.get(pk=everyone.pk).name == "Everyone"


def test_no_code_is_stored_for_a_refused_user(client, restricted_app, end_user):
    client.force_login(end_user)
    authorize(client, restricted_app)
    assert not AuthorizationCode.objects.exists()
    assert User.objects.count() == 1
