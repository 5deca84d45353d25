"""The console's Assignments tab of an app: the groups and users assigned to it, assigning by search,
and removals behind a confirmation that says how many token families each revokes."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import Group, User
from core.console import confirm_then_change, staff_required, token_families
from core.systemlog.audit import Audit

from . import assignments
from .models import AppGroupAssignment, Application, AppUserAssignment

CANDIDATES = 10  # matches offered by each search


def _app(public_id) -> Application:
    return get_object_or_404(Application, public_id=public_id)


def _tab(app) -> str:
    return reverse("clients:app-assignments", args=[app.public_id])


@staff_required
def assignments_tab(request, public_id):
    app = _app(public_id)
    group_q = request.GET.get("group_q", "").strip()[:255]
    user_q = request.GET.get("user_q", "").strip()[:150]
    group_rows = AppGroupAssignment.objects.filter(app=app).select_related("group").order_by("group__name", "pk")
    user_rows = AppUserAssignment.objects.filter(app=app).select_related("user").order_by("user__username", "pk")
    ctx = {
        "app": app,
        "tab": "assignments",
        "group_rows": group_rows,
        "user_rows": user_rows,
        "group_q": group_q,
        "user_q": user_q,
        "group_candidates": list(
            Group.objects.filter(name__icontains=group_q)
            .exclude(app_assignments__app=app)
            .order_by("name")[:CANDIDATES]
        )
        if group_q
        else [],
        "user_candidates": list(
            User.objects.filter(User.matching(user_q, lookup="icontains"))
            .exclude(app_assignments__app=app)
            .order_by("username")[:CANDIDATES]
        )
        if user_q
        else [],
    }
    return render(request, "clients/app_assignments.html", ctx)


def _assign_view(model, field: str, id_field: str, assign, name: str):
    """A search result's Assign button: the POST's `field` is the `model` row's `id_field` (404 if none),
    `assign` the clients/assignments.py call; the message names the row by its `name` attribute."""

    @require_POST
    @staff_required
    def view(request, public_id):
        app = _app(public_id)
        assignee = get_object_or_404(model, **{id_field: request.POST.get(field, "")})
        assign(app, assignee, audit=Audit.of(request))
        messages.success(request, f"Assigned {getattr(assignee, name)} to {app.name}.")
        return redirect(_tab(app))

    return view


assign_group = _assign_view(Group, "group", "public_id", assignments.assign_group, "name")
assign_user = _assign_view(User, "user", "uid", assignments.assign_user, "username")


@staff_required
def unassign_group(request, public_id, group_id):
    app = _app(public_id)
    group = get_object_or_404(Group, public_id=group_id, app_assignments__app=app)
    count = assignments.families_revoked_by_unassigning_group(app, group)

    def remove():
        revoked = assignments.unassign_group(app, group, audit=Audit.of(request))
        return f"Unassigned {group.name} from {app.name}; revoked {token_families(revoked)}."

    who = "Users" if group.is_everyone else f"Members of {group.name}"
    return confirm_then_change(
        request,
        remove,
        then=_tab(app),
        title=f"Unassign {group.name} from {app.name}?",
        message=f"{who} who are not assigned another way can no longer sign in to {app.name}. "
        f"This revokes {token_families(count)}: their refresh and access tokens for this app stop working now.",
        confirm_label=f"Unassign and revoke {token_families(count)}",
        cancel_url=_tab(app),
    )


@staff_required
def unassign_user(request, public_id, uid):
    app = _app(public_id)
    user = get_object_or_404(User, uid=uid, app_assignments__app=app)
    count = assignments.families_revoked_by_unassigning_user(app, user)

    def remove():
        revoked = assignments.unassign_user(app, user, audit=Audit.of(request))
        return f"Unassigned {user.username} from {app.name}; revoked {token_families(revoked)}."

    return confirm_then_change(
        request,
        remove,
        then=_tab(app),
        title=f"Unassign {user.username} from {app.name}?",
        message=f"Unless a group assigns them too, {user.username} can no longer sign in to {app.name}. "
        f"This revokes {token_families(count)}: their refresh and access tokens for this app stop working now.",
        confirm_label=f"Unassign and revoke {token_families(count)}",
        cancel_url=_tab(app),
    )
