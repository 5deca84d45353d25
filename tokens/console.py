"""Console pages for the token side: dashboard and token families (authorization servers: tokens/servers/console.py)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from core.console import confirm_then_act, staff_required
from core.systemlog.audit import Audit

from . import family_search, reports
from .lifecycle.revocation import revoke_family
from .models import TokenFamily


@staff_required
def dashboard(request):
    return render(request, "tokens/dashboard.html", reports.dashboard())


@staff_required
def family_list(request):
    form, page = family_search.family_page(request)
    return render(request, "tokens/family_list.html", {"form": form, "page": page})


@staff_required
def family_detail(request, public_id):
    family = get_object_or_404(reports.family_rows(), public_id=public_id)
    ctx = {
        "family": family,
        "timeline": reports.group_runs(reports.family_timeline(family, limit=reports.TIMELINE_LIMIT)),
        "token_count": family.tokens.count(),
        "timeline_limit": reports.TIMELINE_LIMIT,
    }
    return render(request, "tokens/family_detail.html", ctx)


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@staff_required
def family_revoke(request, public_id):
    family = get_object_or_404(TokenFamily.objects.select_related("client", "user"), public_id=public_id)
    back = _safe_next(request, reverse("tokens:family-detail", args=[family.public_id]))

    def revoke():
        if revoke_family(family, reason="revoked_by_admin", audit=Audit.of(request)):
            messages.success(request, f"Revoked token family {family.public_id}; its tokens stop working now.")
        else:
            messages.info(request, f"Token family {family.public_id} was already revoked.")
        return redirect(back)

    return confirm_then_act(
        request,
        revoke,
        title=f"Revoke token family {family.public_id}?",
        message=f"{family.user.username} will have to sign in to {family.client.name} again: every refresh "
        "token and access token from this sign-in stops working now.",
        confirm_label="Revoke family",
        cancel_url=back,
        next_url=back,
    )
