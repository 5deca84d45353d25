"""The revocation endpoint (`POST /v1/revoke`, RFC 7009).

Revoking a refresh token revokes its family and every access token issued from it; revoking an
access token puts it on the revocation list. Unknown or foreign tokens are silently ignored.
"""

from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters

from core.systemlog.audit import Audit
from tokens.lifecycle import families
from tokens.lifecycle.revocation import revoke_access_token, revoke_family
from tokens.servers.registry import AuthServer, get_server

from . import minting
from .client_auth import authenticate_client
from .errors import OAuthError
from .http import NO_STORE, OAuthEndpoint, required_param

TOKEN_TYPE_HINTS = (None, "", "access_token", "refresh_token", "device_secret")


def revoke(server: AuthServer, params, authorization: str, audit: Audit) -> None:
    """Revoke a token of the calling client."""
    app = authenticate_client(params, authorization, audit=audit, server=server)
    token = required_param(params, "token")
    hint = params.get("token_type_hint")
    if hint not in TOKEN_TYPE_HINTS:
        raise OAuthError("unsupported_token_type", f"The token type '{hint}' is not supported.")
    if minting.looks_like_jwt(token):
        claims = minting.access_claims(server, token)
        if claims is not None and claims["cid"] == app.client_id:
            revoke_access_token(claims["jti"], claims["exp"])
        return
    row = families.find_token(token)
    if row is not None and row.family.client_id == app.pk and row.family.server == server.id:
        revoke_family(row.family, reason="revoked_by_client", audit=audit)


@method_decorator(sensitive_post_parameters("client_secret", "client_assertion", "token"), name="dispatch")
class RevokeView(OAuthEndpoint):
    def post(self, request, server_id):
        revoke(get_server(server_id), self.params(request), self.authorization(request), self.audit(request))
        return HttpResponse(status=200, headers=NO_STORE)  # RFC 7009 §2.2: 200 even for unknown tokens
