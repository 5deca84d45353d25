"""CORS for browser apps (SPEC §3a), through django-cors-headers' `check_request_enabled` signal.

Discovery and keys are public and answer any origin. The other OAuth endpoints answer only an
origin that some active app lists among its trusted origins; others get no CORS headers.
"""

from .models import Application

PUBLIC_SUFFIXES = ("/keys", "/.well-known/openid-configuration", "/.well-known/oauth-authorization-server")


def is_trusted_origin(origin: str) -> bool:
    if not origin or len(origin) > 255:
        return False
    candidates = Application.objects.filter(status=Application.Status.ACTIVE, allowed_origins__contains=origin)
    return any(origin in app.trusted_origin_list for app in candidates.only("allowed_origins"))


def cors_allowed(sender, request, **kwargs) -> bool:
    if request.path.endswith(PUBLIC_SUFFIXES):
        return True
    return is_trusted_origin(request.headers.get("origin", ""))
