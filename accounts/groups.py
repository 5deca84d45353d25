"""Groups: creating, renaming and deleting them, and their members. Shared by `/api/v1/groups`, the
console and the tests. Everyone (BUILT_IN) holds every user implicitly and refuses every change.

Taking a user out of a group, or deleting a group, can take away access to the apps the group is
assigned to: clients/assignments.py revokes what the users who lost it hold there.
"""

from django.db import transaction
from django.utils import timezone

from clients import assignments
from clients.models import Application
from core.systemlog import recording, types
from core.systemlog.audit import SYSTEM, Audit

from .models import Group, GroupMembership, User

NAME_MAX = 255
DESCRIPTION_MAX = 1024


class GroupValidationError(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


class BuiltInGroup(Exception):
    """Everyone cannot be renamed, deleted or given members (Okta refuses changes to BUILT_IN groups)."""


def _log(event_type: str, message: str, group: Group, audit: Audit, *, user: User | None = None, debug=None):
    targets = [assignments.group_ref(group)] + ([recording.user_ref(user)] if user is not None else [])
    recording.record(
        event_type, message, audit=audit, actor=recording.actor_ref(audit.user), targets=targets, user=user, debug=debug
    )


def _clean(name, description) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    description = (description or "").strip()
    if not name:
        errors["name"] = ["A group name is required."]
    elif len(name) > NAME_MAX:
        errors["name"] = [f"A group name must be at most {NAME_MAX} characters."]
    elif "\x00" in name:
        errors["name"] = ["A group name cannot contain NUL."]
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = [f"A description must be at most {DESCRIPTION_MAX} characters."]
    elif "\x00" in description:
        errors["description"] = ["A description cannot contain NUL."]
    if errors:
        raise GroupValidationError(errors)
    return name, description


def _refuse_built_in(group: Group) -> None:
    if group.is_everyone:
        raise BuiltInGroup(group.public_id)


def create_group(*, name: str, description: str = "", audit: Audit = SYSTEM) -> Group:
    """A new OKTA_GROUP. Names need not be unique (Okta allows two groups of one name; ids tell them apart)."""
    name, description = _clean(name, description)
    with transaction.atomic():
        group = Group.objects.create(name=name, description=description, type=Group.Type.OKTA_GROUP)
        _log(types.GROUP_CREATE, f"Created group '{group.name}'", group, audit)
    return group


def update_group(group: Group, *, name: str, description: str = "", audit: Audit = SYSTEM) -> Group:
    _refuse_built_in(group)
    name, description = _clean(name, description)
    with transaction.atomic():
        group.name, group.description = name, description
        group.save(update_fields=["name", "description", "last_updated"])
        _log(types.GROUP_UPDATE, f"Updated group '{group.name}'", group, audit)
    return group


def families_revoked_by_deleting(group: Group) -> int:
    """How many active families deleting `group` would revoke (the console's confirmation)."""
    return sum(
        assignments.families_revoked_by_unassigning_group(app, group)
        for app in Application.objects.filter(group_assignments__group=group)
    )


def delete_group(group: Group, *, audit: Audit = SYSTEM) -> int:
    """Delete the group, its memberships and its app assignments; members who thereby lose an app lose
    what they hold there. Returns the families revoked."""
    _refuse_built_in(group)
    with transaction.atomic():
        apps = list(Application.objects.filter(group_assignments__group=group))
        member_ids = list(group.memberships.values_list("user_id", flat=True))
        _log(types.GROUP_DELETE, f"Deleted group '{group.name}'", group, audit)
        group.delete()
        members = User.objects.filter(pk__in=member_ids)
        return sum(assignments.revoke_lost_access(app, members, audit=audit) for app in apps)


def add_member(group: Group, user: User, *, audit: Audit = SYSTEM) -> bool:
    """Put `user` in `group` (idempotent, as Okta's PUT); True when they were not in it yet."""
    _refuse_built_in(group)
    with transaction.atomic():
        _, created = GroupMembership.objects.get_or_create(group=group, user=user)
        if created:
            Group.objects.filter(pk=group.pk).update(last_membership_updated=timezone.now())
            _log(types.GROUP_MEMBER_ADD, f"Added '{user.username}' to group '{group.name}'", group, audit, user=user)
    return created


def remove_member(group: Group, user: User, *, audit: Audit = SYSTEM) -> int:
    """Take `user` out of `group`. Each app the group is assigned to that the user can no longer sign in
    to (no direct assignment, no other group) loses the user's families at once. Returns the families
    revoked."""
    _refuse_built_in(group)
    with transaction.atomic():
        deleted, _ = GroupMembership.objects.filter(group=group, user=user).delete()
        if not deleted:
            return 0
        Group.objects.filter(pk=group.pk).update(last_membership_updated=timezone.now())
        one = User.objects.filter(pk=user.pk)
        revoked = sum(
            assignments.revoke_lost_access(app, one, audit=audit)
            for app in Application.objects.filter(group_assignments__group=group)
        )
        _log(
            types.GROUP_MEMBER_REMOVE,
            f"Removed '{user.username}' from group '{group.name}'",
            group,
            audit,
            user=user,
            debug={"familiesRevoked": revoked} if revoked else None,
        )
    return revoked
