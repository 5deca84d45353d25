"""/api/v1/groups, /api/v1/groups/{id}/users and /api/v1/users/{id}/groups in Okta's shapes."""

import pytest
from rest_framework.test import APIClient

from accounts import groups
from accounts.models import Group, GroupMembership
from core.models import Event
from tests.kit.api import assert_error, assert_okta_error
from tests.kit.dbstate import row_counts


@pytest.fixture
def staff(db):
    return groups.create_group(name="Staff", description="Employees")


def test_create_group_in_oktas_shape(api_client, settings):
    response = api_client.post("/api/v1/groups", {"profile": {"name": "Contractors", "description": "External"}})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"].startswith("00g") and len(body["id"]) == 20
    assert body["type"] == "OKTA_GROUP" and body["objectClass"] == ["okta:user_group"]
    assert body["profile"] == {"name": "Contractors", "description": "External"}
    assert body["created"].endswith("Z") and body["lastMembershipUpdated"] is None
    base = f"{settings.ROTOR_ISSUER}/api/v1/groups/{body['id']}"
    assert body["_links"] == {
        "self": {"href": base},
        "users": {"href": f"{base}/users"},
        "apps": {"href": f"{base}/apps"},
    }
    group = Group.objects.get(public_id=body["id"])
    assert Event.objects.get(event_type="group.lifecycle.create").targets[0]["id"] == group.public_id


@pytest.mark.parametrize(
    "body, path",
    [
        ({}, "profile"),
        ({"profile": {}}, "profile.name"),
        ({"profile": {"name": "  "}}, "profile.name"),
        ({"profile": {"name": 5}}, "profile.name"),
        ({"profile": {"name": "x" * 256}}, "profile.name"),
        ({"profile": {"name": "ok", "description": "d" * 1025}}, "profile.description"),
    ],
)
def test_bad_group_bodies_are_e0000001_and_write_nothing(api_client, body, path):
    before = row_counts()

    response = api_client.post("/api/v1/groups", body, format="json")

    assert_okta_error(response, 400, "E0000001")
    assert path in " ".join(c["errorSummary"] for c in response.json()["errorCauses"])
    after = row_counts()
    after.pop("core.AttemptCounter"), before.pop("core.AttemptCounter")  # the API token's rate-limit window
    assert after == before


def test_list_groups_has_everyone_and_searches_by_name_prefix(api_client, staff):
    groups.create_group(name="Contractors")

    everything = api_client.get("/api/v1/groups").json()
    found = api_client.get("/api/v1/groups", {"q": "sta"}).json()

    assert [g["profile"]["name"] for g in everything] == ["Everyone", "Staff", "Contractors"]
    assert everything[0]["type"] == "BUILT_IN"
    assert [g["id"] for g in found] == [staff.public_id]


def test_list_groups_pages_with_link_headers(api_client, staff, settings):
    groups.create_group(name="Contractors")

    first = api_client.get("/api/v1/groups", {"limit": 2})
    assert len(first.json()) == 2 and 'rel="next"' in first["Link"]
    next_url = first["Link"].split(", ")[1].split(";")[0].strip("<>")
    second = api_client.get(next_url.removeprefix(settings.ROTOR_ISSUER))

    assert [g["profile"]["name"] for g in second.json()] == ["Contractors"]
    assert 'rel="next"' not in second["Link"]


def test_replace_and_delete_a_group(api_client, staff):
    replaced = api_client.put(f"/api/v1/groups/{staff.public_id}", {"profile": {"name": "Employees"}})
    assert replaced.status_code == 200 and replaced.json()["profile"] == {"name": "Employees", "description": None}

    deleted = api_client.delete(f"/api/v1/groups/{staff.public_id}")
    assert deleted.status_code == 204
    assert_okta_error(api_client.get(f"/api/v1/groups/{staff.public_id}"), 404, "E0000007")


def test_everyone_cannot_be_changed_through_the_api(api_client, end_user):
    everyone = Group.everyone()
    path = f"/api/v1/groups/{everyone.public_id}"

    for response in (
        api_client.put(path, {"profile": {"name": "All"}}),
        api_client.delete(path),
        api_client.put(f"{path}/users/{end_user.uid}"),
        api_client.delete(f"{path}/users/{end_user.uid}"),
    ):
        assert_okta_error(response, 403, "E0000006")
    assert Group.objects.get(pk=everyone.pk).name == "Everyone"


def test_membership_put_and_delete(api_client, staff, end_user):
    path = f"/api/v1/groups/{staff.public_id}/users/{end_user.uid}"

    assert api_client.put(path).status_code == 204
    assert api_client.put(path).status_code == 204  # idempotent
    listed = api_client.get(f"/api/v1/groups/{staff.public_id}/users").json()
    assert [u["id"] for u in listed] == [end_user.uid]
    assert GroupMembership.objects.filter(group=staff, user=end_user).count() == 1
    assert Event.objects.filter(event_type="group.user_membership.add").count() == 1
    assert api_client.get(f"/api/v1/groups/{staff.public_id}").json()["lastMembershipUpdated"] is not None

    assert api_client.delete(path).status_code == 204
    assert api_client.get(f"/api/v1/groups/{staff.public_id}/users").json() == []
    assert Event.objects.filter(event_type="group.user_membership.remove").count() == 1


def test_everyones_users_are_every_user(api_client, owner, end_user):
    listed = api_client.get(f"/api/v1/groups/{Group.everyone().public_id}/users").json()
    assert {u["id"] for u in listed} == {owner.uid, end_user.uid}


def test_a_users_groups_include_everyone(api_client, staff, end_user):
    groups.add_member(staff, end_user)
    groups.create_group(name="Other")

    listed = api_client.get(f"/api/v1/users/{end_user.uid}/groups").json()

    assert [g["profile"]["name"] for g in listed] == ["Everyone", "Staff"]


def test_unknown_group_or_user_is_404(api_client, staff, end_user):
    assert_okta_error(api_client.get("/api/v1/groups/00gnothere"), 404, "E0000007")
    assert_okta_error(api_client.put(f"/api/v1/groups/{staff.public_id}/users/00unothere"), 404, "E0000007")
    assert_okta_error(api_client.get("/api/v1/users/00unothere/groups"), 404, "E0000007")
    assert_okta_error(api_client.get("/api/v1/groups/bad%00id"), 404, "E0000007")


def test_non_admins_and_strangers_cannot_use_the_groups_api(db, other_user, staff):
    from accounts.services import create_api_token

    token = create_api_token(other_user, "not an admin")[1]
    outsider = APIClient()
    outsider.credentials(HTTP_AUTHORIZATION=f"SSWS {token}")
    assert_error(outsider.get("/api/v1/groups"), 403, "E0000006")
    assert_error(APIClient().get("/api/v1/groups"), 401, "E0000011")
    assert_error(outsider.put(f"/api/v1/groups/{staff.public_id}/users/{other_user.uid}"), 403, "E0000006")
    assert not staff.memberships.exists()
