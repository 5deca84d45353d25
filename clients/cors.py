"""CORS for browser apps (SPEC §3a), through django-cors-headers' `check_request_enabled` signal.

Discovery and keys are public and answer any origin. The endpoints a browser app calls with
fetch (token, revoke, introspect, userinfo, device authorize) answer only an origin that some
active app lists among its trusted origins; others get no CORS headers. Pages the browser
navigates to (authorize, logout) get none.
"""

import re

from corsheaders.middleware import (
    ACCESS_CONTROL_ALLOW_HEADERS,
    ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS,
)
from corsheaders.middleware import CorsMiddleware as BaseCorsMiddleware

from .models import Application

PUBLIC_SUFFIXES = ("/keys", "/.well-known/openid-configuration", "/.well-known/oauth-authorization-server")
TRUSTED_ONLY_SUFFIXES = ("/v1/token", "/v1/revoke", "/v1/introspect", "/v1/userinfo", "/v1/device/authorize")
# DPoP (RFC 9449): the proof is a request header, and a browser app must read the nonce and the challenge.
REQUEST_HEADERS = ("dpop",)
EXPOSED_HEADERS = ("DPoP-Nonce", "WWW-Authenticate")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")  # an RFC 9110 token


def is_trusted_origin(origin: str) -> bool:
    if not origin or len(origin) > 255:
        return False
    candidates = Application.objects.filter(status=Application.Status.ACTIVE, allowed_origins__contains=origin)
    return any(origin in app.trusted_origin_list for app in candidates.only("allowed_origins"))


def cors_allowed(sender, request, **kwargs) -> bool:
    if request.path.endswith(PUBLIC_SUFFIXES):
        return True
    if request.path.endswith(TRUSTED_ONLY_SUFFIXES):
        return is_trusted_origin(request.headers.get("origin", ""))
    return False


class CorsMiddleware(BaseCorsMiddleware):
    """django-cors-headers, plus: a preflight allows the request headers the client asks for, `DPoP`
    always; answers expose `DPoP-Nonce` and `WWW-Authenticate` to the page.

    Okta's and other SDKs add headers of their own (SPEC §3a), which a fixed list cannot know.
    Only well-formed header names are echoed, so nothing can be injected into the response.
    """

    def add_response_headers(self, request, response):
        response = super().add_response_headers(request, response)
        if ACCESS_CONTROL_ALLOW_ORIGIN not in response:
            return response
        if request.method == "OPTIONS":
            asked = request.headers.get("access-control-request-headers", "")
            allowed = [h.strip() for h in response.get(ACCESS_CONTROL_ALLOW_HEADERS, "").split(",") if h.strip()]
            known = {h.lower() for h in allowed}
            extra = [h.strip().lower() for h in asked.split(",") if _HEADER_NAME.match(h.strip())]
            allowed += [h for h in dict.fromkeys([*REQUEST_HEADERS, *extra]) if h not in known]
            response[ACCESS_CONTROL_ALLOW_HEADERS] = ", ".join(allowed)
        else:
            exposed = [h.strip() for h in response.get(ACCESS_CONTROL_EXPOSE_HEADERS, "").split(",") if h.strip()]
            known = {h.lower() for h in exposed}
            exposed += [h for h in EXPOSED_HEADERS if h.lower() not in known]
            response[ACCESS_CONTROL_EXPOSE_HEADERS] = ", ".join(exposed)
        return response
