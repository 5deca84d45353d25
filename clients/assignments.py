"""Who may sign in to which app: assignments of groups and users to apps, shared by the API, the console
and accounts/groups.py.

A user may sign in to an app when assigned directly or through a group (`Application.is_assigned_to()`,
the one query /authorize and /activate ask). Taking access away (a group or user unassigned, a user
removed from a group, a group deleted) revokes what the users who lost it hold at that app, through
tokens/lifecycle/revocation.py, so their access tokens introspect inactive and their refresh tokens
fail; refresh itself checks nothing new. Users still assigned another way keep everything.
"""

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import Group, GroupMembership, User
from core.systemlog import recording, types
from core.systemlog.audit import SYSTEM, Audit
from tokens.lifecycle.revocation import revoke_families_of_users_at
from tokens.models import TokenFamily

from .models import AppGroupAssignment, Application, AppUserAssignment

UNASSIGNED_REASON = "app_unassigned"


def group_ref(group: Group) -> dict:
    return {"id": group.public_id, "type": "UserGroup", "alternateId": group.name, "displayName": group.name}


def _log(event_type: str, message: str, app: Application, audit: Audit, *, targets, user=None, revoked=0) -> None:
    recording.record(
        event_type,
        message,
        audit=audit,
        actor=recording.actor_ref(audit.user),
        targets=[recording.app_ref(app), *targets],
        app=app,
        user=user,
        debug={"familiesRevoked": revoked} if revoked else None,
    )


# Reading ---------------------------------------------------------------------------------------------


def assigned_users(app: Application, *, without_group=None, without_user=None, without_member=None) -> QuerySet:
    """The users who may sign in to `app`, or would once one assignment is gone: `without_group` (a group
    unassigned), `without_user` (a direct assignment removed), `without_member` ((group, user): the user
    removed from the group). The previews and the revocations both ask this, so they cannot disagree."""
    groups = AppGroupAssignment.objects.filter(app=app)
    if without_group is not None:
        groups = groups.exclude(group=without_group)
    if groups.filter(group__type=Group.Type.BUILT_IN).exists():
        return User.objects.all()
    direct = AppUserAssignment.objects.filter(app=app)
    if without_user is not None:
        direct = direct.exclude(user=without_user)
    members = GroupMembership.objects.filter(group_id__in=groups.values("group_id"))
    if without_member is not None:
        members = members.exclude(group=without_member[0], user=without_member[1])
    return User.objects.filter(Q(pk__in=direct.values("user_id")) | Q(pk__in=members.values("user_id")))


def app_users(app: Application) -> QuerySet:
    """The users who may sign in to `app` as Okta's AppUser list shows them: `is_direct` (scope USER or
    GROUP) and `assigned_at` (the direct assignment's time, else the user's creation)."""
    direct = AppUserAssignment.objects.filter(app=app, user=OuterRef("pk"))
    return assigned_users(app).annotate(
        is_direct=Exists(direct), assigned_at=Coalesce(Subquery(direct.values("created")[:1]), F("date_joined"))
    )


def losing_access(app: Application, candidates: QuerySet, **without) -> QuerySet:
    """Those of `candidates` who would not be assigned to `app` without the assignment `without` names."""
    return candidates.exclude(pk__in=assigned_users(app, **without).values("pk"))


def active_families(app: Application, users: QuerySet) -> int:
    return TokenFamily.objects.filter(status=TokenFamily.Status.ACTIVE, client=app, user__in=users.values("pk")).count()


def apps_of_user(user: User) -> QuerySet:
    """The active apps `user` may sign in to (the user's page)."""
    return Application.objects.filter(
        Q(user_assignments__user=user) | Q(group_assignments__group__in=Group.of_user(user).values("pk")),
        status=Application.Status.ACTIVE,
    ).distinct()


def is_directly_assigned(app: Application, user: User) -> bool:
    return AppUserAssignment.objects.filter(app=app, user=user).exists()


def families_revoked_by_unassigning_group(app: Application, group: Group) -> int:
    """How many active families unassigning `group` from `app` would revoke (the console's confirmation)."""
    return active_families(app, losing_access(app, group.users(), without_group=group))


def families_revoked_by_unassigning_user(app: Application, user: User) -> int:
    return active_families(app, losing_access(app, User.objects.filter(pk=user.pk), without_user=user))


def families_revoked_by_leaving(group: Group, user: User) -> int:
    """How many active families removing `user` from `group` would revoke, over the group's apps."""
    one = User.objects.filter(pk=user.pk)
    return sum(
        active_families(app, losing_access(app, one, without_member=(group, user)))
        for app in Application.objects.filter(group_assignments__group=group)
    )


# Writing ---------------------------------------------------------------------------------------------


def revoke_lost_access(app: Application, candidates: QuerySet, *, audit: Audit = SYSTEM) -> int:
    """After an assignment is gone: revoke what those of `candidates` no longer assigned hold at `app`."""
    return revoke_families_of_users_at(app, losing_access(app, candidates), reason=UNASSIGNED_REASON, audit=audit)


def assign_group(app: Application, group: Group, *, priority: int | None = None, audit: Audit = SYSTEM):
    """Assign `group` to `app` (idempotent, as Okta's PUT); returns the assignment."""
    with transaction.atomic():
        assignment, created = AppGroupAssignment.objects.get_or_create(
            app=app, group=group, defaults={"priority": priority or 0}
        )
        if not created and priority is not None and priority != assignment.priority:
            assignment.priority = priority
            assignment.save(update_fields=["priority", "last_updated"])
        if created:
            _log(
                types.APP_GROUP_ASSIGN,
                f"Assigned group '{group.name}' to app '{app.name}'",
                app,
                audit,
                targets=[group_ref(group)],
            )
    return assignment


def unassign_group(app: Application, group: Group, *, audit: Audit = SYSTEM) -> int:
    """Take `group` off `app`; its members assigned no other way lose access now. Returns the families
    revoked; False-y 0 also when the group was not assigned."""
    with transaction.atomic():
        deleted, _ = AppGroupAssignment.objects.filter(app=app, group=group).delete()
        if not deleted:
            return 0
        revoked = revoke_lost_access(app, group.users(), audit=audit)
        _log(
            types.APP_GROUP_UNASSIGN,
            f"Unassigned group '{group.name}' from app '{app.name}'",
            app,
            audit,
            targets=[group_ref(group)],
            revoked=revoked,
        )
    return revoked


def assign_user(app: Application, user: User, *, audit: Audit = SYSTEM) -> AppUserAssignment:
    with transaction.atomic():
        assignment, created = AppUserAssignment.objects.get_or_create(app=app, user=user)
        if created:
            _log(
                types.APP_USER_ASSIGN,
                f"Assigned user '{user.username}' to app '{app.name}'",
                app,
                audit,
                targets=[recording.user_ref(user)],
                user=user,
            )
    return assignment


def unassign_user(app: Application, user: User, *, audit: Audit = SYSTEM) -> int:
    """Remove the user's direct assignment; unless a group still assigns them, revoke their families there."""
    with transaction.atomic():
        deleted, _ = AppUserAssignment.objects.filter(app=app, user=user).delete()
        if not deleted:
            return 0
        revoked = revoke_lost_access(app, User.objects.filter(pk=user.pk), audit=audit)
        _log(
            types.APP_USER_UNASSIGN,
            f"Unassigned user '{user.username}' from app '{app.name}'",
            app,
            audit,
            targets=[recording.user_ref(user)],
            user=user,
            revoked=revoked,
        )
    return revoked


def assign_everyone(app: Application) -> None:
    """A new app starts assigned to Everyone, as Okta's wizard offers by default (create_app() calls it)."""
    AppGroupAssignment.objects.get_or_create(app=app, group=Group.everyone())
