"""The userinfo endpoint (OIDC Core §5.3): the claims of the user an access token names.

A DPoP-bound access token (`cnf.jkt`, RFC 9449 §7) is accepted only as `Authorization: DPoP <token>`
with a proof by its key that hashes it as `ath`; presented as Bearer it is refused. Unbound tokens
stay Bearer tokens. The resource side asks for no nonce (RFC 9449 §9 leaves it to the server), so a
proof costs one round trip here: its `jti`.
"""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.models import User
from tokens.servers.registry import AuthServer, get_server
from tokens.servers.scopes import custom_claims, user_claims

from . import dpop, minting
from .errors import OAuthError

_DPOP_CHALLENGE = f'DPoP algs="{" ".join(dpop.ALGORITHMS)}"'


def _dpop_refusal(error: str, description: str) -> tuple[int, dict, str]:
    return 401, {"error": error, "error_description": description}, f'{_DPOP_CHALLENGE}, error="{error}"'


def userinfo(
    server: AuthServer, authorization: str, *, proof: str | None = None, method: str = "GET"
) -> tuple[int, dict, str | None]:
    """(status, body, WWW-Authenticate) for the userinfo endpoint; `proof` is the DPoP header."""
    scheme, _, token = authorization.partition(" ")
    scheme, token = scheme.lower(), token.strip()
    if scheme not in ("bearer", "dpop") or not token:
        return (
            401,
            {"error": "invalid_request", "error_description": "No bearer token was sent."},
            'Bearer realm="rotor", error="invalid_request"',
        )
    claims = minting.live_access_claims(server, token)
    invalid = (
        401,
        {"error": "invalid_token", "error_description": "The access token is invalid."},
        'Bearer realm="rotor", error="invalid_token"',
    )
    if claims is None or "uid" not in claims:
        return _dpop_refusal("invalid_token", "The access token is invalid.") if scheme == "dpop" else invalid
    jkt = (claims.get("cnf") or {}).get("jkt")
    if scheme == "bearer" and jkt:
        return _dpop_refusal("invalid_token", "The access token is DPoP-bound; send it as 'DPoP' with a proof.")
    if scheme == "dpop":
        if not jkt:
            return _dpop_refusal("invalid_token", "The access token is not DPoP-bound; send it as 'Bearer'.")
        try:
            dpop.verify(proof, method=method, url=server.endpoint("userinfo"), access_token=token, jkt=jkt)
        except OAuthError as exc:
            return _dpop_refusal(exc.error, exc.description)
    user = User.objects.filter(uid=claims["uid"], is_active=True).first()
    if user is None:
        return invalid
    scopes = claims.get("scp", [])
    if "openid" not in scopes:
        return (
            403,
            {"error": "insufficient_scope", "error_description": "The access token must have 'openid'."},
            'Bearer realm="rotor", error="insufficient_scope"',
        )
    claims = custom_claims(server, "IDENTITY", user, scopes, in_token=False) | user_claims(user, scopes)
    return 200, {"sub": user.uid} | claims, None


@csrf_exempt
@require_http_methods(["GET", "POST"])
def userinfo_view(request, server_id):
    status, body, challenge = userinfo(
        get_server(server_id),
        request.META.get("HTTP_AUTHORIZATION", ""),
        proof=request.META.get("HTTP_DPOP"),
        method=request.method,
    )
    response = JsonResponse(body, status=status)
    if challenge:
        response["WWW-Authenticate"] = challenge
    response["Cache-Control"] = "no-store"
    return response
