"""/api/v1/apps/{appId}/groups[/{groupId}] and /api/v1/apps/{appId}/users[/{userId}]: Okta's
ApplicationGroupAssignment and AppUser."""

import pytest

from accounts import groups
from accounts.models import Group
from clients import assignments
from clients.models import AppGroupAssignment, AppUserAssignment
from core.models import Event
from tests.kit.api import assert_okta_error
from tests.kit.oauth import tokens_for
from tokens.models import TokenFamily


@pytest.fixture
def staff(db):
    return groups.create_group(name="Staff")


def test_a_new_app_from_the_api_is_assigned_to_everyone(api_client, settings):
    body = {
        "name": "oidc_client",
        "label": "From the API",
        "signOnMode": "OPENID_CONNECT",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_basic"}},
        "settings": {
            "oauthClient": {
                "application_type": "web",
                "grant_types": ["authorization_code"],
                "redirect_uris": ["https://app.example.com/cb"],
            }
        },
    }
    app_id = api_client.post("/api/v1/apps", body, format="json").json()["id"]

    listed = api_client.get(f"/api/v1/apps/{app_id}/groups").json()

    everyone = Group.everyone().public_id
    assert [a["id"] for a in listed] == [everyone]
    assert listed[0]["priority"] == 0 and listed[0]["profile"] == {}
    assert listed[0]["_links"]["group"] == {"href": f"{settings.ROTOR_ISSUER}/api/v1/groups/{everyone}"}


def test_put_get_delete_a_group_assignment(api_client, confidential_app, staff, settings):
    path = f"/api/v1/apps/{confidential_app.public_id}/groups/{staff.public_id}"

    put = api_client.put(path, {"priority": 3}, format="json")
    assert put.status_code == 200, put.content
    assert put.json()["id"] == staff.public_id and put.json()["priority"] == 3
    assert put.json()["_links"]["self"] == {"href": settings.ROTOR_ISSUER + path}
    assert api_client.put(path).status_code == 200  # idempotent, an empty body keeps the priority
    assert AppGroupAssignment.objects.get(app=confidential_app, group=staff).priority == 3
    assert api_client.get(path).json()["priority"] == 3
    assert Event.objects.filter(event_type="group.application_assignment.add").count() == 1

    assert api_client.delete(path).status_code == 204
    assert_okta_error(api_client.get(path), 404, "E0000007")
    assert_okta_error(api_client.delete(path), 404, "E0000007")


def test_bad_assignment_bodies_are_e0000001(api_client, confidential_app, staff):
    path = f"/api/v1/apps/{confidential_app.public_id}/groups/{staff.public_id}"
    assert_okta_error(api_client.put(path, {"priority": "high"}, format="json"), 400, "E0000001")
    assert_okta_error(api_client.put(path, {"priority": -1}, format="json"), 400, "E0000001")
    assert not AppGroupAssignment.objects.filter(group=staff).exists()


def test_assign_a_user_directly_and_list_the_apps_users(api_client, confidential_app, end_user, owner, settings):
    assignments.unassign_group(confidential_app, Group.everyone())

    created = api_client.post(f"/api/v1/apps/{confidential_app.public_id}/users", {"id": end_user.uid}, format="json")

    assert created.status_code == 200, created.content
    body = created.json()
    assert body["id"] == end_user.uid and body["scope"] == "USER" and body["status"] == "ACTIVE"
    assert body["credentials"] == {"userName": end_user.username}
    assert body["_links"] == {
        "app": {"href": f"{settings.ROTOR_ISSUER}/api/v1/apps/{confidential_app.public_id}"},
        "user": {"href": f"{settings.ROTOR_ISSUER}/api/v1/users/{end_user.uid}"},
    }
    listed = api_client.get(f"/api/v1/apps/{confidential_app.public_id}/users").json()
    assert [u["id"] for u in listed] == [end_user.uid]  # the admin is not assigned


def test_users_through_a_group_have_scope_group(api_client, confidential_app, end_user, staff):
    assignments.unassign_group(confidential_app, Group.everyone())
    assignments.assign_group(confidential_app, staff)
    groups.add_member(staff, end_user)

    shown = api_client.get(f"/api/v1/apps/{confidential_app.public_id}/users/{end_user.uid}")

    assert shown.status_code == 200 and shown.json()["scope"] == "GROUP"
    # Not assigned directly: nothing to delete here.
    assert_okta_error(
        api_client.delete(f"/api/v1/apps/{confidential_app.public_id}/users/{end_user.uid}"), 404, "E0000007"
    )


def test_deleting_a_direct_assignment_revokes_the_users_families(api_client, client, confidential_app, end_user):
    assignments.unassign_group(confidential_app, Group.everyone())
    api_client.post(f"/api/v1/apps/{confidential_app.public_id}/users", {"id": end_user.uid}, format="json")
    tokens_for(client, confidential_app, end_user, secret=confidential_app.plain_secret)

    response = api_client.delete(f"/api/v1/apps/{confidential_app.public_id}/users/{end_user.uid}")

    assert response.status_code == 204
    assert not AppUserAssignment.objects.exists()
    assert TokenFamily.objects.get().status == "REVOKED"
    assert_okta_error(
        api_client.get(f"/api/v1/apps/{confidential_app.public_id}/users/{end_user.uid}"), 404, "E0000007"
    )


def test_deleting_a_group_assignment_revokes_the_members_families(api_client, client, confidential_app, end_user):
    tokens_for(client, confidential_app, end_user, secret=confidential_app.plain_secret)

    response = api_client.delete(f"/api/v1/apps/{confidential_app.public_id}/groups/{Group.everyone().public_id}")

    assert response.status_code == 204
    assert TokenFamily.objects.get().status == "REVOKED"
    assert Event.objects.get(event_type="group.application_assignment.remove").debug_data == {"familiesRevoked": 1}


@pytest.mark.parametrize("body", [{}, {"id": 5}, {"id": "00unothere"}, {"id": "x", "scope": "GROUP"}, []])
def test_bad_user_assignments_are_refused(api_client, confidential_app, body):
    response = api_client.post(f"/api/v1/apps/{confidential_app.public_id}/users", body, format="json")
    assert response.status_code in (400, 404)
    assert response.json()["errorCode"] in ("E0000001", "E0000003", "E0000007")
    assert not AppUserAssignment.objects.exists()


def test_unknown_app_or_group_is_404(api_client, confidential_app, staff):
    assert_okta_error(api_client.get(f"/api/v1/apps/0oanothere/groups/{staff.public_id}"), 404, "E0000007")
    assert_okta_error(api_client.put(f"/api/v1/apps/{confidential_app.public_id}/groups/00gnothere"), 404, "E0000007")
    assert_okta_error(api_client.get("/api/v1/apps/0oanothere/users"), 404, "E0000007")
