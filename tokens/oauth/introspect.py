"""The introspection endpoint (`POST /v1/introspect`, RFC 7662).

A JWT access token we signed, checked against the revocation list and its family's status; or an
opaque refresh token, found by hash. A client sees only its own tokens; anything else is simply
`{"active": false}`.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters

from clients.models import Application
from tokens.lifecycle import families
from tokens.models import RefreshToken
from tokens.servers.registry import AuthServer, get_server

from . import minting
from .client_auth import authenticate_client
from .http import OAuthEndpoint, json_response, required_param

INACTIVE = {"active": False}


def _refresh_is_live(row: RefreshToken, app: Application) -> bool:
    """Live as refresh would judge it: a rotated token only within the app's grace period."""
    now = timezone.now()
    if not families.is_live(row, now):
        return False
    if row.rotated_at is not None:
        return app.leeway > 0 and (now - row.rotated_at).total_seconds() <= app.leeway
    return True


def introspect(server: AuthServer, params, authorization: str) -> dict:
    app = authenticate_client(params, authorization, server=server)
    token = required_param(params, "token")
    claims = minting.live_access_claims(server, token)
    if claims is not None:
        if claims["cid"] != app.client_id:
            return INACTIVE
        jkt = (claims.get("cnf") or {}).get("jkt")
        body = {
            "active": True,
            "token_type": "DPoP" if jkt else "Bearer",
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
        if jkt:
            body["cnf"] = {"jkt": jkt}  # RFC 9449 §6.2: the resource server checks the proof's key against it
        return body
    if minting.looks_like_jwt(token):
        return INACTIVE
    row = families.find_token(token)
    if row is None or row.family.client_id != app.pk or row.family.server != server.id:
        return INACTIVE
    if not _refresh_is_live(row, app):
        return INACTIVE
    family = row.family
    expiry = family.expires_at or (row.last_used + timedelta(minutes=family.idle_minutes))
    body = {
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
    if family.dpop_jkt:
        body["cnf"] = {"jkt": family.dpop_jkt}
    return body


@method_decorator(sensitive_post_parameters("client_secret", "client_assertion", "token"), name="dispatch")
class IntrospectView(OAuthEndpoint):
    def post(self, request, server_id):
        return json_response(introspect(get_server(server_id), self.params(request), self.authorization(request)))
