"""Revocation (RFC 7009), introspection (RFC 7662), userinfo and RP-initiated logout.

All four look at a token the same way: a JWT we signed, checked against the revocation list
and its family's status; or an opaque refresh token, found by hash. A client sees only its
own tokens; anything else is simply "not active".
"""

from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from clients.models import Application

from . import lifecycle, minting
from .client_auth import authenticate_client
from .errors import OAuthError, missing
from .models import RefreshToken
from .scopes import user_claims
from .servers import AuthServer

INACTIVE = {"active": False}


def _token_param(params) -> str:
    token = params.get("token")
    if not token:
        raise OAuthError("invalid_request", missing("token"))
    return token


def _access_claims(server: AuthServer, token: str) -> dict | None:
    """Claims of an unexpired access token signed by `server` (revoked or not)."""
    if not minting.looks_like_jwt(token):
        return None
    claims = minting.verify(server, token)
    if claims is None or "cid" not in claims or not str(claims.get("jti", "")).startswith("AT."):
        return None
    return claims


def _live_access_claims(server: AuthServer, token: str) -> dict | None:
    """Claims of an unexpired, unrevoked access token signed by `server`."""
    claims = _access_claims(server, token)
    if claims is None or lifecycle.is_access_token_revoked(claims["jti"], minting.family_of_jti(claims["jti"])):
        return None
    return claims


def revoke(server: AuthServer, params, authorization: str, request=None) -> None:
    """Revoke a token of the calling client. Unknown or foreign tokens are silently ignored."""
    app = authenticate_client(params, authorization, request=request)
    token = _token_param(params)
    hint = params.get("token_type_hint")
    if hint not in (None, "", "access_token", "refresh_token", "device_secret"):
        raise OAuthError("unsupported_token_type", f"The token type '{hint}' is not supported.")
    if minting.looks_like_jwt(token):
        claims = _access_claims(server, token)
        if claims is not None and claims["cid"] == app.client_id:
            lifecycle.revoke_access_token(claims["jti"], claims["exp"])
        return
    row = lifecycle.find_token(token)
    if row is not None and row.family.client_id == app.pk and row.family.server == server.id:
        lifecycle.revoke_family(row.family, reason="revoked_by_client", request=request)


def _refresh_is_live(row: RefreshToken, app: Application) -> bool:
    """Live as refresh would judge it: a rotated token only within the app's grace period."""
    now = timezone.now()
    if not lifecycle.is_live(row, now):
        return False
    if row.rotated_at is not None:
        return app.leeway > 0 and (now - row.rotated_at).total_seconds() <= app.leeway
    return True


def introspect(server: AuthServer, params, authorization: str) -> dict:
    app = authenticate_client(params, authorization)
    token = _token_param(params)
    claims = _live_access_claims(server, token)
    if claims is not None:
        if claims["cid"] != app.client_id:
            return INACTIVE
        body = {
            "active": True,
            "token_type": "Bearer",
            "scope": " ".join(claims.get("scp", [])),
            "client_id": claims["cid"],
            "username": claims["sub"],
            "exp": claims["exp"],
            "iat": claims["iat"],
            "sub": claims["sub"],
            "aud": claims["aud"],
            "iss": claims["iss"],
            "jti": claims["jti"],
        }
        if "uid" in claims:
            body["uid"] = claims["uid"]
        return body
    if minting.looks_like_jwt(token):
        return INACTIVE
    row = lifecycle.find_token(token)
    if row is None or row.family.client_id != app.pk or row.family.server != server.id:
        return INACTIVE
    if not _refresh_is_live(row, app):
        return INACTIVE
    family = row.family
    expiry = family.expires_at or (row.last_used + timedelta(minutes=family.idle_minutes))
    return {
        "active": True,
        "token_type": "refresh_token",
        "scope": " ".join(family.scopes),
        "client_id": app.client_id,
        "username": family.user.username,
        "exp": int(expiry.timestamp()),
        "iat": int(row.created.timestamp()),
        "sub": family.user.username,
        "iss": server.issuer,
        "jti": family.public_id,
        "uid": family.user.uid,
    }


def userinfo(server: AuthServer, authorization: str) -> tuple[int, dict, str | None]:
    """(status, body, WWW-Authenticate) for the userinfo endpoint (OIDC Core §5.3)."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return (
            401,
            {"error": "invalid_request", "error_description": "No bearer token was sent."},
            'Bearer realm="rotor", error="invalid_request"',
        )
    claims = _live_access_claims(server, token.strip())
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
    return 200, {"sub": user.uid} | user_claims(user, scopes), None


def logout_target(server: AuthServer, params) -> str | None:
    """Where RP-initiated logout should send the browser, after checking `id_token_hint`."""
    hint = params.get("id_token_hint")
    target = params.get("post_logout_redirect_uri")
    if not hint:
        if target:
            raise OAuthError("invalid_request", "A post_logout_redirect_uri needs an id_token_hint.")
        return None
    claims = minting.verify(server, hint, verify_exp=False)
    if claims is None:
        raise OAuthError("invalid_request", "The 'id_token_hint' is not a valid ID token of this server.")
    if not target:
        return None
    app = Application.objects.filter(client_id=claims.get("aud")).first()
    if app is None or not app.post_logout_redirect_uri_allowed(target):
        raise OAuthError(
            "invalid_request",
            "The 'post_logout_redirect_uri' must be a sign-out redirect URI in the client app settings.",
        )
    return target
