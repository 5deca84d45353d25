"""HTTP views of the device authorization grant: the device's endpoint and the user's /activate page.

Polling goes through the ordinary token endpoint (tokens/views.py), where tokens/device.py registers
its grant. The logic lives in tokens/device.py; these views only read requests and render answers.
"""

from datetime import UTC, datetime

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from rest_framework.response import Response

from . import device
from .authorization import describe_scopes
from .servers import get_server
from .views import NO_STORE, OAuthEndpoint

SESSION_OUTCOME = "device_activation"


class DeviceAuthorizeView(OAuthEndpoint):
    """POST /v1/device/authorize (RFC 8628 §3.1): form-encoded, client authentication, RFC 6749 errors."""

    def post(self, request, server_id):
        body = device.start_authorization(
            get_server(server_id), self.params(request), request.META.get("HTTP_AUTHORIZATION", ""), request._request
        )
        return Response(body, headers=NO_STORE)


def _auth_time(request) -> datetime | None:
    stamp = request.session.get("auth_time")
    return datetime.fromtimestamp(stamp, tz=UTC) if stamp else None


def _attempt(request) -> device.Attempt:
    if not request.session.session_key:
        request.session.save()
    return device.Attempt(session_key=request.session.session_key, ip=request.META.get("REMOTE_ADDR", ""))


@require_http_methods(["GET", "POST"])
def activate(request):
    """Enter the code the device shows (pre-filled from verification_uri_complete), review, approve or deny."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.method == "GET":
        return render(request, "oauth/device_activate.html", {"user_code": request.GET.get("user_code", "")[:32]})

    raw = request.POST.get("user_code", "")[:32]
    try:
        row = device.find_pending(raw, _attempt(request), user=request.user, request=request)
    except device.ActivationError as exc:
        context = {"user_code": raw, "error": exc.message}
        return render(request, "oauth/device_activate.html", context, status=exc.status)

    decision = request.POST.get("decision")
    if decision not in ("approve", "deny"):
        context = {
            "app": row.client,
            "user_code": device.format_user_code(device.normalize_user_code(raw)),
            "scopes": describe_scopes(row.scopes),
        }
        return render(request, "oauth/device_confirm.html", context)
    if decision == "approve":
        done = device.approve(row, request.user, auth_time=_auth_time(request), request=request)
    else:
        done = device.deny(row, request.user, request=request)
    if not done:  # expired or decided in another tab meanwhile
        error = device.ActivationError.USED
        return render(request, "oauth/device_activate.html", {"user_code": raw, "error": error}, status=400)
    request.session[SESSION_OUTCOME] = {"approved": decision == "approve", "app": row.client.name}
    return redirect("tokens:device-activate-done")


def activate_done(request):
    outcome = request.session.pop(SESSION_OUTCOME, None)
    if outcome is None:
        return redirect("tokens:device-activate")
    return render(request, "oauth/device_done.html", outcome)
