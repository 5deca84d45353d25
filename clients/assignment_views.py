"""The console's Assignments tab of an app: the groups and users assigned to it, assigning by search,
and removals behind a confirmation that says how many token families each revokes."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import Group, User
from core.console import confirm_then_act, staff_required
from core.systemlog.audit import Audit

from . import assignments
from .models import AppGroupAssignment, Application, AppUserAssignment

CANDIDATES = 10  # matches offered by each search


def _app(public_id) -> Application:
    return get_object_or_404(Application, public_id=public_id)


def _families(count: int) -> str:
    return f"{count} token famil{'y' if count == 1 else 'ies'}"


def _back(app):
    return redirect("clients:app-assignments", public_id=app.public_id)


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


@require_POST
@staff_required
def assign_group(request, public_id):
    app = _app(public_id)
    group = get_object_or_404(Group, public_id=request.POST.get("group", ""))
    assignments.assign_group(app, group, audit=Audit.of(request))
    messages.success(request, f"Assigned {group.name} to {app.name}.")
    return _back(app)


@require_POST
@staff_required
def assign_user(request, public_id):
    app = _app(public_id)
    user = get_object_or_404(User, uid=request.POST.get("user", ""))
    assignments.assign_user(app, user, audit=Audit.of(request))
    messages.success(request, f"Assigned {user.username} to {app.name}.")
    return _back(app)


@staff_required
def unassign_group(request, public_id, group_id):
    app = _app(public_id)
    group = get_object_or_404(Group, public_id=group_id, app_assignments__app=app)
    count = assignments.families_revoked_by_unassigning_group(app, group)

    def remove():
        revoked = assignments.unassign_group(app, group, audit=Audit.of(request))
        messages.success(request, f"Unassigned {group.name} from {app.name}; revoked {_families(revoked)}.")
        return _back(app)

    who = "Users" if group.is_everyone else f"Members of {group.name}"
    return confirm_then_act(
        request,
        remove,
        title=f"Unassign {group.name} from {app.name}?",
        message=f"{who} who are not assigned another way can no longer sign in to {app.name}. "
        f"This revokes {_families(count)}: their refresh and access tokens for this app stop working now.",
        confirm_label=f"Unassign and revoke {_families(count)}",
        cancel_url=reverse("clients:app-assignments", args=[app.public_id]),
    )


@staff_required
def unassign_user(request, public_id, uid):
    app = _app(public_id)
    user = get_object_or_404(User, uid=uid, app_assignments__app=app)
    count = assignments.families_revoked_by_unassigning_user(app, user)

    def remove():
        revoked = assignments.unassign_user(app, user, audit=Audit.of(request))
        messages.success(request, f"Unassigned {user.username} from {app.name}; revoked {_families(revoked)}.")
        return _back(app)

    return confirm_then_act(
        request,
        remove,
        title=f"Unassign {user.username} from {app.name}?",
        message=f"Unless a group assigns them too, {user.username} can no longer sign in to {app.name}. "
        f"This revokes {_families(count)}: their refresh and access tokens for this app stop working now.",
        confirm_label=f"Unassign and revoke {_families(count)}",
        cancel_url=reverse("clients:app-assignments", args=[app.public_id]),
    )
