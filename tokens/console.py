"""Console pages for the token side: dashboard, token families, authorization servers and keys."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from core.console import confirm_then_act, staff_required
from core.systemlog.audit import Audit

from . import family_search, reports
from .lifecycle.revocation import revoke_family
from .models import TokenFamily
from .servers import keys
from .servers.registry import all_servers, any_server, server_ids


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


@staff_required
def server_list(request):
    servers = [{"server": s, "keys": keys.list_keys(s.id)} for s in all_servers()]
    return render(request, "tokens/server_list.html", {"servers": servers})


def _rotation_consequences(server_id: str) -> tuple[str, str]:
    """The confirmation's detail and warning: which key a rotation drops, and whether tokens it signed may still
    be live (keys.early_rotation, the rule `rotatekeys` warns with too)."""
    dropped, early = keys.dropped_key(server_id), keys.early_rotation(server_id)
    if early is not None:
        warning = (
            f"Key {early.kid} is dropped now. It stopped signing only {early.retired_minutes} min ago, so tokens it "
            f"signed within the last {early.lifetime_minutes} min (the longest token lifetime) are still live and "
            "stop verifying."
        )
        return "", warning
    if dropped is not None:
        minutes = int(keys.longest_token_lifetime(server_id).total_seconds() // 60)
        return (
            f"Key {dropped.kid} is dropped. It stopped signing more than {minutes} min ago (the longest token "
            "lifetime), so no token it signed is still valid.",
            "",
        )
    return "No key is dropped: this server has no EXPIRED key yet.", ""


@staff_required
def server_rotate(request, server_id):
    if server_id not in server_ids():
        raise Http404("No such authorization server")
    server = any_server(server_id)

    def rotate():
        _before, after = keys.rotate_keys(server.id)
        active = next((k.kid for k in after if k.status == "ACTIVE"), "?")
        messages.success(request, f"Rotated the keys of {server.name}. Now signing with {active}.")
        return redirect("tokens:server-list")

    detail, warning = _rotation_consequences(server.id) if request.method != "POST" else ("", "")
    return confirm_then_act(
        request,
        rotate,
        title=f"Rotate the signing keys of {server.name}?",
        message="The NEXT key starts signing, the ACTIVE key becomes EXPIRED (still published, so the tokens it "
        "signed keep verifying), the old EXPIRED key is dropped and a new NEXT key is made.",
        detail=detail,
        warning=warning,
        confirm_label="Rotate keys now",
        cancel_url=reverse("tokens:server-list"),
    )
