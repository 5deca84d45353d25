"""The token endpoint (`POST /v1/token`): authorization_code, refresh_token, client_credentials,
and the device grant's polls (tokens/device/grant.py).

`token_response()` is the whole endpoint minus HTTP: it authenticates the client, dispatches on
`grant_type` and returns the RFC 6749 §5.1 body, or raises OAuthError. Database work happens in
short transactions; signing happens after them, outside any lock.
"""

import re
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters

from clients.models import GRANT_AUTHORIZATION_CODE, GRANT_CLIENT_CREDENTIALS, GRANT_DEVICE_CODE, GRANT_REFRESH_TOKEN
from core.crypto import hash_token, s256
from core.ops import metrics
from core.systemlog.audit import Audit
from tokens.device import grant as device_grant
from tokens.lifecycle import families
from tokens.lifecycle.events import grant_events, save_events
from tokens.lifecycle.revocation import revoke_access_token, revoke_in_transaction
from tokens.models import AuthorizationCode
from tokens.servers import policies, scopes
from tokens.servers.registry import AuthServer, get_server

from . import client_cache, dpop, minting
from .client_auth import authenticate_client, cached_client, check_client, find_client, read_credentials
from .errors import (
    INVALID_CODE,
    INVALID_SCOPE,
    PKCE_FAILED,
    REDIRECT_MISMATCH,
    OAuthError,
    configured_grants,
    invalid_grant_refresh,
    missing,
    unauthorized_client,
)
from .http import OAuthEndpoint, json_response

DPOP_JKT_MISMATCH = "The DPoP proof's key does not match the 'dpop_jkt' of the authorization request."
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # fullmatch: `$` would let a trailing newline through


def token_response(
    server: AuthServer, params, authorization: str, audit: Audit, *, proof: dpop.Proof | None = None
) -> dict:
    """`proof`: the request's verified DPoP proof (tokens/oauth/dpop.py), which binds what it gets."""
    grant_type = params.get("grant_type")
    if grant_type == GRANT_REFRESH_TOKEN:
        return refresh_token_grant(server, params, authorization, audit, proof=proof)
    if grant_type == GRANT_CLIENT_CREDENTIALS:
        return _client_credentials(server, params, authorization, audit, proof=proof)
    app = authenticate_client(params, authorization, audit=audit, server=server)
    _check_grant(app, grant_type)
    dpop.require_for(app, proof)
    if grant_type == GRANT_AUTHORIZATION_CODE:
        return authorization_code_grant(server, app, params, audit, proof=proof)
    return device_grant.device_code_grant(server, app, params, audit, dpop_jkt=_jkt(proof))


def _jkt(proof: dpop.Proof | None) -> str | None:
    return proof.jkt if proof else None


def supported_grants() -> list[str]:
    """Every grant the token endpoint answers (discovery lists them)."""
    return [GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN, GRANT_CLIENT_CREDENTIALS, GRANT_DEVICE_CODE]


def _check_grant(app, grant_type: str | None) -> None:
    if not grant_type:
        raise OAuthError("invalid_request", missing("grant_type"))
    if grant_type not in supported_grants():
        raise OAuthError(
            "unsupported_grant_type",
            f"The authorization grant type is not supported by the authorization server. {configured_grants(app)}",
        )
    if not app.allows_grant(grant_type):
        raise unauthorized_client(app)


def refresh_token_grant(
    server: AuthServer, params, authorization: str, audit: Audit, *, proof: dpop.Proof | None = None
) -> dict:
    """The hot path. The token's row arrives with its client in one query, which then authenticates
    the caller; only a token that is unknown or not the caller's costs a separate client lookup."""
    client_id, secret = read_credentials(params, authorization)
    presented = params.get("refresh_token")
    row = families.find_token(presented)
    if row is not None and row.family.client.client_id == client_id:
        app = check_client(row.family.client, secret, audit=audit, server=server)
    else:
        app = check_client(find_client(client_id), secret, audit=audit, server=server)
        row = None
    _check_grant(app, GRANT_REFRESH_TOKEN)
    dpop.require_for(app, proof)
    if not presented:
        raise OAuthError("invalid_request", missing("refresh_token"))
    if row is None:
        metrics.refresh("invalid")
        raise invalid_grant_refresh()
    requested = scopes.parse(params.get("scope")) or None
    result = families.refresh(
        row=row,
        presented=presented,
        client=app,
        server=server,
        requested_scopes=requested,
        audit=audit,
        dpop_jkt=_jkt(proof),
    )
    family = result.family
    return minting.issue(
        server,
        app,
        user=family.user,
        granted=result.scopes,
        family=family,
        refresh_token=result.refresh_token,
        auth_time=int(family.auth_time.timestamp()),
        jkt=_jkt(proof),
    )


# authorization_code ---------------------------------------------------------------------------------


def _check_code(code: AuthorizationCode | None, app, server: AuthServer, params) -> AuthorizationCode:
    if code is None or code.client_id != app.pk or code.server != server.id:
        raise OAuthError("invalid_grant", INVALID_CODE)
    if code.expires_at <= timezone.now() or not code.user.is_active:
        raise OAuthError("invalid_grant", INVALID_CODE)
    if params.get("redirect_uri") != code.redirect_uri:
        raise OAuthError("invalid_grant", REDIRECT_MISMATCH)
    verifier = params.get("code_verifier")
    if code.code_challenge or verifier is not None:
        if not code.code_challenge or not verifier or not _VERIFIER.fullmatch(verifier):
            raise OAuthError("invalid_grant", PKCE_FAILED)
        if s256(verifier) != code.code_challenge:
            raise OAuthError("invalid_grant", PKCE_FAILED)
    return code


def _revoke_code_issue(code: AuthorizationCode, server: AuthServer, audit: Audit) -> None:
    """A second use of a code revokes what the first issued (RFC 6749 §4.1.2)."""
    with transaction.atomic():
        code = AuthorizationCode.objects.select_related("family__client", "family__user").get(pk=code.pk)
        if code.family is not None:
            revoke_in_transaction(code.family, server, reason="code_reuse", audit=audit)
        if code.access_jti and code.access_expires_at:
            revoke_access_token(code.access_jti, int(code.access_expires_at.timestamp()))


def authorization_code_grant(server: AuthServer, app, params, audit: Audit, *, proof: dpop.Proof | None = None) -> dict:
    value = params.get("code")
    if not value:
        raise OAuthError("invalid_request", missing("code"))
    if "redirect_uri" not in params:
        raise OAuthError("invalid_request", missing("redirect_uri"))
    code = None
    if len(value) <= families.MAX_TOKEN_LENGTH:
        code = AuthorizationCode.objects.select_related("user").filter(code_hash=hash_token(value)).first()
    _check_code(code, app, server, params)
    if code.dpop_jkt and code.dpop_jkt != _jkt(proof):  # RFC 9449 §10; the code stays unused, like a wrong key
        raise OAuthError("invalid_grant", DPOP_JKT_MISMATCH)
    if code.redeemed_at is not None:
        _revoke_code_issue(code, server, audit)
        raise OAuthError("invalid_grant", INVALID_CODE)

    user = code.user
    granted = list(code.scopes)
    decision = policies.decide(
        server, app, grant_type=GRANT_AUTHORIZATION_CODE, scopes=granted, user=user, audit=audit
    )  # before the code is claimed: a refusal writes nothing but its event
    now = timezone.now()
    jti = None  # the access token's jti names the family, and the code keeps it for a replay to revoke

    def claim(family) -> bool:
        nonlocal jti
        jti = minting.access_jti(family.public_id if family else None)
        return bool(
            AuthorizationCode.objects.filter(pk=code.pk, redeemed_at__isnull=True).update(
                redeemed_at=now,
                family=family,
                access_jti=jti,
                access_expires_at=now + timedelta(minutes=decision.lifetimes.access_minutes),
            )
        )

    redeemed = families.redeem_once(
        claim,
        client=app,
        user=user,
        server=server,
        scopes=granted,
        auth_time=code.auth_time,
        grant_type=GRANT_AUTHORIZATION_CODE,
        decision=decision,
        audit=audit,
        dpop_jkt=_jkt(proof),
    )
    if redeemed is None:  # a concurrent request redeemed it first: this is a second use
        _revoke_code_issue(code, server, audit)
        raise OAuthError("invalid_grant", INVALID_CODE)
    return minting.issue(
        server,
        app,
        user=user,
        granted=granted,
        lifetimes=decision.lifetimes,
        family=redeemed.family,
        refresh_token=redeemed.refresh_token,
        auth_time=int(code.auth_time.timestamp()),
        nonce=code.nonce or None,
        jti=jti,
        jkt=_jkt(proof),
    )


# client_credentials ---------------------------------------------------------------------------------


def _client_credentials(
    server: AuthServer, params, authorization: str, audit: Audit, *, proof: dpop.Proof | None = None
) -> dict:
    """client_credentials with the app from tokens/oauth/client_cache.py when it proves the request;
    the grant's event insert confirms the cached row, or the request starts again from the database."""
    app = cached_client(params, authorization)
    if app is not None:
        dpop.require_for(app, proof)
        try:
            return client_credentials_grant(server, app, params, audit, confirm=True, jkt=_jkt(proof))
        except client_cache.Stale:
            client_cache.forget(app.client_id)
    app = authenticate_client(params, authorization, audit=audit, server=server)
    _check_grant(app, GRANT_CLIENT_CREDENTIALS)
    dpop.require_for(app, proof)
    response = client_credentials_grant(server, app, params, audit, jkt=_jkt(proof))
    client_cache.put(app)
    return response


def client_credentials_grant(
    server: AuthServer, app, params, audit: Audit, *, confirm: bool = False, jkt: str | None = None
) -> dict:
    """`confirm`: `app` came from the client cache; raise client_cache.Stale if its row changed."""
    requested = scopes.parse(params.get("scope"))
    available = scopes.custom_scope_names(server)
    granted = requested or [s for s in scopes.default_scopes(server) if s in available]
    if not granted or any(s not in available for s in granted):
        raise OAuthError("invalid_scope", INVALID_SCOPE)
    decision = policies.decide(server, app, grant_type=GRANT_CLIENT_CREDENTIALS, scopes=granted, audit=audit)
    rows = grant_events(server, app, None, None, granted, "client_credentials", audit, refresh_issued=False)
    if not save_events(rows, confirm=app if confirm else None):
        raise client_cache.Stale(app.client_id)
    return minting.issue(server, app, user=None, granted=granted, lifetimes=decision.lifetimes, jkt=jkt)


@method_decorator(
    sensitive_post_parameters(
        "client_secret", "client_assertion", "code", "code_verifier", "refresh_token", "device_code"
    ),
    name="dispatch",
)
class TokenView(OAuthEndpoint):
    def post(self, request, server_id):
        server = get_server(server_id)
        proof = dpop.token_request_proof(request, server)
        body = token_response(
            server, self.params(request), self.authorization(request), self.audit(request), proof=proof
        )
        response = json_response(body)
        if proof is not None:
            response["DPoP-Nonce"] = dpop.current_nonce()  # RFC 9449 §8.2: the nonce for the next proof
        return response
