"""The token endpoint's grants: authorization_code, refresh_token, client_credentials.

`token_response()` is the whole /token endpoint minus HTTP: it authenticates the client,
dispatches on `grant_type` and returns the RFC 6749 §5.1 body, or raises OAuthError.
Database work happens in short transactions; signing happens after them, outside any lock.
"""

import re
import time
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from clients.models import GRANT_AUTHORIZATION_CODE, GRANT_CLIENT_CREDENTIALS, GRANT_REFRESH_TOKEN

from . import client_cache, events, lifecycle, minting, scopes
from .client_auth import authenticate_client, cached_client, check_client, find_client, read_credentials
from .crypto import hash_token, s256
from .errors import (
    INVALID_CODE,
    INVALID_SCOPE,
    PKCE_FAILED,
    REDIRECT_MISMATCH,
    OAuthError,
    invalid_grant_refresh,
    missing,
)
from .models import AuthorizationCode
from .servers import AuthServer

SUPPORTED_GRANTS = [GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN, GRANT_CLIENT_CREDENTIALS]
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
MAX_TOKEN_LENGTH = lifecycle.MAX_TOKEN_LENGTH


def _configured(app) -> str:
    return f"Configured grant types: [{', '.join(app.grant_types)}]."


def token_response(server: AuthServer, params, authorization: str, request=None) -> dict:
    grant_type = params.get("grant_type")
    if grant_type == GRANT_REFRESH_TOKEN:
        return refresh_token_grant(server, params, authorization, request)
    if grant_type == GRANT_CLIENT_CREDENTIALS:
        return _client_credentials(server, params, authorization, request)
    app = authenticate_client(params, authorization, request=request)
    _check_grant(app, grant_type)
    if grant_type == GRANT_AUTHORIZATION_CODE:
        return authorization_code_grant(server, app, params, request)
    return _extra_grants[grant_type](server, app, params, request)


def _client_credentials(server: AuthServer, params, authorization: str, request) -> dict:
    """client_credentials with the app from tokens/client_cache.py when it proves the request; the
    grant's event insert confirms the cached row, or the request starts again from the database."""
    app = cached_client(params, authorization)
    if app is not None:
        try:
            return client_credentials_grant(server, app, params, request, confirm=True)
        except client_cache.Stale:
            client_cache.forget(app.client_id)
    app = authenticate_client(params, authorization, request=request)
    _check_grant(app, GRANT_CLIENT_CREDENTIALS)
    response = client_credentials_grant(server, app, params, request)
    client_cache.put(app)
    return response


def _check_grant(app, grant_type: str | None) -> None:
    if not grant_type:
        raise OAuthError("invalid_request", missing("grant_type"))
    if grant_type not in SUPPORTED_GRANTS and grant_type not in _extra_grants:
        raise OAuthError(
            "unsupported_grant_type",
            f"The authorization grant type is not supported by the authorization server. {_configured(app)}",
        )
    if not app.allows_grant(grant_type):
        raise OAuthError(
            "unauthorized_client",
            f"The client is not authorized to use the provided grant type. {_configured(app)}",
        )


# Grants added by other modules (the device grant registers itself here).
_extra_grants: dict = {}


def register_grant(grant_type: str, handler) -> None:
    _extra_grants[grant_type] = handler


def supported_grants() -> list[str]:
    """Every grant the token endpoint answers, registered ones included (discovery lists them)."""
    return SUPPORTED_GRANTS + [g for g in _extra_grants if g not in SUPPORTED_GRANTS]


def issue(
    server: AuthServer,
    app,
    *,
    user,
    granted: list[str],
    family=None,
    refresh_token: str | None = None,
    auth_time: int | None = None,
    nonce: str | None = None,
    jti: str | None = None,
) -> dict:
    """Sign the access token (and ID token for `openid`) and build the token response."""
    now = int(time.time())
    access = minting.mint_access_token(
        server,
        client_id=app.client_id,
        scopes=granted,
        user=user,
        family_id=family.public_id if family else None,
        now=now,
        jti=jti,
    )
    body = {
        "token_type": "Bearer",
        "expires_in": access.expires_at - now,
        "access_token": access.token,
        "scope": " ".join(granted),
    }
    if refresh_token:
        body["refresh_token"] = refresh_token
    if user is not None and "openid" in granted:
        body["id_token"] = minting.mint_id_token(
            server,
            client_id=app.client_id,
            user=user,
            scopes=granted,
            auth_time=auth_time or now,
            nonce=nonce,
            access_token=access.token,
            now=now,
        )
    return body


def refresh_token_grant(server: AuthServer, params, authorization: str, request) -> dict:
    """The hot path. The token's row arrives with its client in one query, which then authenticates
    the caller; only a token that is unknown or not the caller's costs a separate client lookup."""
    client_id, secret = read_credentials(params, authorization)
    presented = params.get("refresh_token")
    row = lifecycle.find_token(presented)
    if row is not None and row.family.client.client_id == client_id:
        app = check_client(row.family.client, secret, request=request)
    else:
        app = check_client(find_client(client_id), secret, request=request)
        row = None
    _check_grant(app, GRANT_REFRESH_TOKEN)
    if not presented:
        raise OAuthError("invalid_request", missing("refresh_token"))
    if row is None:
        raise invalid_grant_refresh()
    requested = scopes.parse(params.get("scope")) or None
    result = lifecycle.refresh(
        row=row, presented=presented, client=app, server=server, requested_scopes=requested, request=request
    )
    family = result.family
    return issue(
        server,
        app,
        user=family.user,
        granted=result.scopes,
        family=family,
        refresh_token=result.refresh_token,
        auth_time=int(family.auth_time.timestamp()),
    )


def _check_code(code: AuthorizationCode | None, app, server: AuthServer, params) -> AuthorizationCode:
    if code is None or code.client_id != app.pk or code.server != server.id:
        raise OAuthError("invalid_grant", INVALID_CODE)
    if code.expires_at <= timezone.now() or not code.user.is_active:
        raise OAuthError("invalid_grant", INVALID_CODE)
    if params.get("redirect_uri") != code.redirect_uri:
        raise OAuthError("invalid_grant", REDIRECT_MISMATCH)
    verifier = params.get("code_verifier")
    if code.code_challenge or verifier is not None:
        if not code.code_challenge or not verifier or not _VERIFIER.match(verifier):
            raise OAuthError("invalid_grant", PKCE_FAILED)
        if s256(verifier) != code.code_challenge:
            raise OAuthError("invalid_grant", PKCE_FAILED)
    return code


def _revoke_code_issue(code: AuthorizationCode, server: AuthServer, request) -> None:
    """A second use of a code revokes what the first issued (RFC 6749 §4.1.2)."""
    with transaction.atomic():
        code = AuthorizationCode.objects.select_related("family__client", "family__user").get(pk=code.pk)
        if code.family is not None:
            lifecycle._revoke(code.family, server, reason="code_reuse", request=request)
        if code.access_jti and code.access_expires_at:
            lifecycle.revoke_access_token(code.access_jti, int(code.access_expires_at.timestamp()))


def authorization_code_grant(server: AuthServer, app, params, request) -> dict:
    value = params.get("code")
    if not value:
        raise OAuthError("invalid_request", missing("code"))
    if "redirect_uri" not in params:
        raise OAuthError("invalid_request", missing("redirect_uri"))
    code = None
    if len(value) <= MAX_TOKEN_LENGTH:
        code = AuthorizationCode.objects.select_related("user").filter(code_hash=hash_token(value)).first()
    _check_code(code, app, server, params)
    if code.redeemed_at is not None:
        _revoke_code_issue(code, server, request)
        raise OAuthError("invalid_grant", INVALID_CODE)

    user = code.user
    granted = list(code.scopes)
    now = timezone.now()
    with transaction.atomic():
        jti_family, refresh = lifecycle.start_family_if_offline(
            client=app,
            user=user,
            server=server,
            scopes=granted,
            auth_time=code.auth_time,
            grant_type=GRANT_AUTHORIZATION_CODE,
        )
        jti = minting.access_jti(jti_family.public_id if jti_family else None)
        won = AuthorizationCode.objects.filter(pk=code.pk, redeemed_at__isnull=True).update(
            redeemed_at=now,
            family=jti_family,
            access_jti=jti,
            access_expires_at=now + timedelta(minutes=minting.access_minutes()),
        )
        if won:
            events.save_all(
                events.grant_events(
                    server,
                    app,
                    user,
                    jti_family,
                    granted,
                    "authorization_code",
                    request,
                    refresh_issued=jti_family is not None,
                )
            )
        else:
            transaction.set_rollback(True)
    if not won:  # a concurrent request redeemed it first: this is a second use
        _revoke_code_issue(code, server, request)
        raise OAuthError("invalid_grant", INVALID_CODE)
    return issue(
        server,
        app,
        user=user,
        granted=granted,
        family=jti_family,
        refresh_token=refresh,
        auth_time=int(code.auth_time.timestamp()),
        nonce=code.nonce or None,
        jti=jti,
    )


def client_credentials_grant(server: AuthServer, app, params, request, *, confirm: bool = False) -> dict:
    """`confirm`: `app` came from the client cache; raise client_cache.Stale if its row changed."""
    requested = scopes.parse(params.get("scope"))
    available = list(scopes.custom_scopes())
    granted = requested or available
    if not granted or any(s not in available for s in granted):
        raise OAuthError("invalid_scope", INVALID_SCOPE)
    rows = events.grant_events(server, app, None, None, granted, "client_credentials", request, refresh_issued=False)
    if not events.save_all(rows, confirm=app if confirm else None):
        raise client_cache.Stale(app.client_id)
    return issue(server, app, user=None, granted=granted)
