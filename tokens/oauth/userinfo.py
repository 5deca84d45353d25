"""The userinfo endpoint (OIDC Core §5.3): the claims of the user an access token names."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.models import User
from tokens.servers.registry import AuthServer, get_server
from tokens.servers.scopes import custom_claims, user_claims

from . import minting


def userinfo(server: AuthServer, authorization: str) -> tuple[int, dict, str | None]:
    """(status, body, WWW-Authenticate) for the userinfo endpoint."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return (
            401,
            {"error": "invalid_request", "error_description": "No bearer token was sent."},
            'Bearer realm="rotor", error="invalid_request"',
        )
    claims = minting.live_access_claims(server, token.strip())
    invalid = (
        401,
        {"error": "invalid_token", "error_description": "The access token is invalid."},
        'Bearer realm="rotor", error="invalid_token"',
    )
    if claims is None or "uid" not in claims:
        return invalid
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
    status, body, challenge = userinfo(get_server(server_id), request.META.get("HTTP_AUTHORIZATION", ""))
    response = JsonResponse(body, status=status)
    if challenge:
        response["WWW-Authenticate"] = challenge
    response["Cache-Control"] = "no-store"
    return response
