"""HTTP views of the device authorization grant: the device's endpoint and the user's /activate page.

Polling goes through the ordinary token endpoint (tokens/oauth/token.py). The logic lives in
grant.py and activation.py; these views only read requests and render answers.
"""

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from rest_framework.response import Response

from core import clientip
from core.systemlog.audit import Audit
from tokens.oauth.http import NO_STORE, OAuthEndpoint, session_auth_time
from tokens.servers import scopes
from tokens.servers.registry import any_server, get_server

from . import activation, grant

SESSION_OUTCOME = "device_activation"


@method_decorator(sensitive_post_parameters("client_secret"), name="dispatch")
class DeviceAuthorizeView(OAuthEndpoint):
    """POST /v1/device/authorize (RFC 8628 §3.1): form-encoded, client authentication, RFC 6749 errors."""

    def post(self, request, server_id):
        body = grant.start_authorization(
            get_server(server_id), self.params(request), self.authorization(request), self.audit(request)
        )
        return Response(body, headers=NO_STORE)


def _attempt(request) -> activation.Attempt:
    """The counters' subjects. The IP counts only when a trusted proxy named it: without one,
    REMOTE_ADDR may be a proxy or NAT that every user shares."""
    if not request.session.session_key:
        request.session.save()
    return activation.Attempt(
        user_key=request.user.uid,
        session_key=request.session.session_key,
        ip=clientip.client_ip(request) if clientip.via_trusted_proxy(request) else None,
    )


@require_http_methods(["GET", "POST"])
def activate(request):
    """Enter the code the device shows (pre-filled from verification_uri_complete), review, approve or deny."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.method == "GET":
        return render(request, "oauth/device_activate.html", {"user_code": request.GET.get("user_code", "")[:32]})

    raw = request.POST.get("user_code", "")[:32]
    try:
        row = activation.find_pending(raw, _attempt(request), user=request.user, audit=Audit.of(request))
    except activation.ActivationError as exc:
        context = {"user_code": raw, "error": exc.message}
        return render(request, "oauth/device_activate.html", context, status=exc.status)

    decision = request.POST.get("decision")
    if decision not in ("approve", "deny"):
        context = {
            "app": row.client,
            "user_code": grant.format_user_code(grant.normalize_user_code(raw)),
            "scopes": scopes.describe(any_server(row.server), row.scopes),
        }
        return render(request, "oauth/device_confirm.html", context)
    if decision == "approve":
        done = activation.approve(row, request.user, auth_time=session_auth_time(request), audit=Audit.of(request))
    else:
        done = activation.deny(row, request.user, audit=Audit.of(request))
    if not done:  # expired or decided in another tab meanwhile
        error = activation.ActivationError.USED
        return render(request, "oauth/device_activate.html", {"user_code": raw, "error": error}, status=400)
    request.session[SESSION_OUTCOME] = {"approved": decision == "approve", "app": row.client.name}
    return redirect("tokens:device-activate-done")


def activate_done(request):
    outcome = request.session.pop(SESSION_OUTCOME, None)
    if outcome is None:
        return redirect("tokens:device-activate")
    return render(request, "oauth/device_done.html", outcome)
