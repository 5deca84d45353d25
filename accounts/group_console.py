"""Console pages for groups (Directory → Groups): list and search, create, rename, delete, and members.
Every change goes through accounts/groups.py; removals that end someone's access say first how many
token families they revoke."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from clients import assignments
from core.console import confirm_then_change, form_page, staff_required, token_families
from core.console_paging import Sort, keyset_page
from core.systemlog.audit import Audit

from . import groups
from .forms import GroupForm, GroupSearchForm, UserSearchForm
from .models import Group, User

GROUP_SORTS = [Sort("name", "name", "Name"), Sort("created", "created", "Created", descending=True, newest_first=True)]
MEMBER_SORTS = [Sort("username", "username", "Username")]
CANDIDATES = 10  # users offered by the add-member search


def _group(public_id) -> Group:
    return get_object_or_404(Group, public_id=public_id)


def _changeable(public_id) -> Group:
    group = _group(public_id)
    if group.is_everyone:
        raise Http404("Everyone cannot be changed.")
    return group


@staff_required
def group_list(request):
    form = GroupSearchForm(request.GET)
    page = keyset_page(request, form.filter(Group.objects.all()), GROUP_SORTS)
    return render(request, "accounts/group_list.html", {"form": form, "page": page})


@staff_required
def group_create(request):
    def create(data):
        group = groups.create_group(**data, audit=Audit.of(request))
        messages.success(request, f"Created group {group.name}.")
        return redirect("accounts:group-detail", public_id=group.public_id)

    return form_page(
        request,
        GroupForm(request.POST or None),
        create,
        refusal=groups.GroupValidationError,
        template="accounts/group_form.html",
        context={"group": None},
    )


@staff_required
def group_detail(request, public_id):
    group = _group(public_id)
    search = UserSearchForm(request.GET)
    candidates = []
    if not group.is_everyone and request.GET.get("q"):
        candidates = search.filter(User.objects.exclude(group_memberships__group=group)).order_by("username")
        candidates = list(candidates[:CANDIDATES])
    ctx = {
        "group": group,
        "page": keyset_page(request, group.users(), MEMBER_SORTS),
        "search": search,
        "candidates": candidates,
        "apps": group.app_assignments.select_related("app").order_by("app__name"),
    }
    return render(request, "accounts/group_detail.html", ctx)


@staff_required
def group_edit(request, public_id):
    group = _changeable(public_id)

    def save(data):
        groups.update_group(group, **data, audit=Audit.of(request))
        messages.success(request, f"Saved group {group.name}.")
        return redirect("accounts:group-detail", public_id=group.public_id)

    return form_page(
        request,
        GroupForm(request.POST or None, initial={"name": group.name, "description": group.description}),
        save,
        refusal=groups.GroupValidationError,
        template="accounts/group_form.html",
        context={"group": group},
    )


@staff_required
def group_delete(request, public_id):
    group = _changeable(public_id)
    count = groups.families_revoked_by_deleting(group)

    def delete():
        revoked = groups.delete_group(group, audit=Audit.of(request))
        return f"Deleted group {group.name}; revoked {token_families(revoked)}."

    apps = group.app_assignments.count()
    return confirm_then_change(
        request,
        delete,
        then=reverse("accounts:group-list"),
        title=f"Delete group {group.name}?",
        message=f"Its {group.memberships.count()} members leave it, and the {apps} app(s) it is assigned to lose it. "
        f"This revokes {token_families(count)}: members who can no longer sign in to one of those apps lose "
        "their tokens there now.",
        confirm_label=f"Delete group and revoke {token_families(count)}",
        cancel_url=reverse("accounts:group-detail", args=[group.public_id]),
    )


@require_POST
@staff_required
def group_member_add(request, public_id):
    group = _changeable(public_id)
    user = get_object_or_404(User, uid=request.POST.get("user", ""))
    added = groups.add_member(group, user, audit=Audit.of(request))
    messages.success(request, f"Added {user.username} to {group.name}." if added else f"{user.username} is in it.")
    return redirect("accounts:group-detail", public_id=group.public_id)


@staff_required
def group_member_remove(request, public_id, uid):
    group = _changeable(public_id)
    user = get_object_or_404(User, uid=uid, group_memberships__group=group)
    count = assignments.families_revoked_by_leaving(group, user)

    def remove():
        revoked = groups.remove_member(group, user, audit=Audit.of(request))
        return f"Removed {user.username} from {group.name}; revoked {token_families(revoked)}."

    return confirm_then_change(
        request,
        remove,
        then=reverse("accounts:group-detail", args=[group.public_id]),
        title=f"Remove {user.username} from {group.name}?",
        message=f"This revokes {token_families(count)}: the apps {group.name} is assigned to, which "
        f"{user.username} can then no longer sign in to, stop accepting their tokens now.",
        confirm_label=f"Remove and revoke {token_families(count)}",
        cancel_url=reverse("accounts:group-detail", args=[group.public_id]),
    )
