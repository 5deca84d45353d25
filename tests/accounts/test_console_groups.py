"""Console: Directory → Groups (list, search, create, rename, delete, members), an app's Assignments tab,
and a user's groups and apps on their page. Removals confirm first, saying how many families they revoke."""

import html

import pytest

from accounts import groups
from accounts.models import Group
from clients import assignments
from clients.models import AppGroupAssignment, AppUserAssignment
from tests.kit.console import make_family, text
from tokens.models import TokenFamily


def page(response) -> str:
    return html.unescape(text(response))


@pytest.fixture
def staff(db):
    return groups.create_group(name="Staff", description="Employees")


def test_groups_list_searches_and_shows_everyone(console_client, staff):
    groups.create_group(name="Contractors")

    listed = page(console_client.get("/console/groups/"))
    found = page(console_client.get("/console/groups/", {"q": "staf"}))

    assert "Everyone" in listed and "Staff" in listed and "Contractors" in listed and "Built in" in listed
    assert "Staff" in found and "Contractors" not in found
    assert 'aria-current="page" href="/console/groups/"' in listed


def test_create_rename_and_delete_a_group(console_client):
    created = console_client.post("/console/groups/new/", {"name": "Contractors", "description": "External"})
    group = Group.objects.get(name="Contractors")
    assert created.status_code == 302 and created["Location"] == f"/console/groups/{group.public_id}/"

    renamed = console_client.post(f"/console/groups/{group.public_id}/edit/", {"name": "Vendors", "description": ""})
    assert renamed.status_code == 302
    group.refresh_from_db()
    assert group.name == "Vendors"

    confirm = console_client.get(f"/console/groups/{group.public_id}/delete/")
    assert "Delete group Vendors?" in page(confirm) and "0 token families" in page(confirm)
    deleted = console_client.post(f"/console/groups/{group.public_id}/delete/")
    assert deleted.status_code == 302 and not Group.objects.filter(pk=group.pk).exists()


def test_a_blank_group_name_is_refused_beside_the_field(console_client):
    response = console_client.post("/console/groups/new/", {"name": "   ", "description": ""})
    assert response.status_code == 400
    assert "required" in page(response).lower()
    assert not Group.objects.filter(type="OKTA_GROUP").exists()


def test_everyone_has_no_change_actions(console_client):
    everyone = Group.everyone()
    shown = page(console_client.get(f"/console/groups/{everyone.public_id}/"))
    assert "cannot be renamed" in shown and "Rename" not in shown
    assert console_client.get(f"/console/groups/{everyone.public_id}/edit/").status_code == 404
    assert console_client.post(f"/console/groups/{everyone.public_id}/delete/").status_code == 404
    assert Group.objects.filter(pk=everyone.pk).exists()


def test_add_a_member_by_search_and_remove_them_after_confirming(console_client, staff, end_user, confidential_app):
    assignments.unassign_group(confidential_app, Group.everyone())
    assignments.assign_group(confidential_app, staff)
    found = page(console_client.get(f"/console/groups/{staff.public_id}/", {"q": "alice"}))
    assert f"Add {end_user.username}" in found

    added = console_client.post(f"/console/groups/{staff.public_id}/members/", {"user": end_user.uid})
    assert added.status_code == 302 and staff.memberships.filter(user=end_user).exists()
    make_family(confidential_app, end_user)

    confirm = console_client.get(f"/console/groups/{staff.public_id}/members/{end_user.uid}/remove/")
    assert "This revokes 1 token family" in page(confirm)
    assert staff.memberships.exists()  # the GET only asks
    console_client.post(f"/console/groups/{staff.public_id}/members/{end_user.uid}/remove/")

    assert not staff.memberships.exists()
    assert TokenFamily.objects.get().status == "REVOKED"


def test_the_assignments_tab_assigns_and_removes_groups_and_users(console_client, confidential_app, staff, end_user):
    tab = f"/console/apps/{confidential_app.public_id}/assignments/"
    shown = page(console_client.get(tab))
    assert "Everyone" in shown and "No one is assigned directly." in shown

    assert f"Assign {staff.name}" in page(console_client.get(tab, {"group_q": "sta"}))
    console_client.post(f"{tab}groups/", {"group": staff.public_id})
    assert f"Assign {end_user.username}" in page(console_client.get(tab, {"user_q": "alice"}))
    console_client.post(f"{tab}users/", {"user": end_user.uid})
    assert AppGroupAssignment.objects.filter(app=confidential_app, group=staff).exists()
    assert AppUserAssignment.objects.filter(app=confidential_app, user=end_user).exists()

    make_family(confidential_app, end_user)
    everyone = Group.everyone().public_id
    confirm = page(console_client.get(f"{tab}groups/{everyone}/remove/"))
    assert "This revokes 0 token families" in confirm  # end_user stays assigned directly
    console_client.post(f"{tab}groups/{everyone}/remove/")
    confirm = page(console_client.get(f"{tab}users/{end_user.uid}/remove/"))
    assert "This revokes 1 token family" in confirm
    console_client.post(f"{tab}users/{end_user.uid}/remove/")

    assert TokenFamily.objects.get().status == "REVOKED"
    assert list(AppGroupAssignment.objects.filter(app=confidential_app).values_list("group", flat=True)) == [staff.pk]


def test_the_user_page_shows_groups_and_the_apps_they_can_sign_in_to(console_client, end_user, staff, make_app):
    open_app, _ = make_app(label="Open to all")
    closed, _ = make_app(label="Closed app")
    assignments.unassign_group(closed, Group.everyone())
    groups.add_member(staff, end_user)

    shown = page(console_client.get(f"/console/users/{end_user.uid}/"))

    assert "Everyone" in shown and "Staff" in shown
    assert "Open to all" in shown and "Closed app" not in shown


def test_group_pages_are_for_admins_only(client, other_user, staff):
    client.force_login(other_user)
    assert client.get("/console/groups/").status_code == 403
    assert client.post(f"/console/groups/{staff.public_id}/members/", {"user": other_user.uid}).status_code == 403
    assert not staff.memberships.exists()
