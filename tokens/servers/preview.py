"""The console's Token Preview: what a sign-in or grant at one server would get, without issuing anything.

It runs the same code as the token endpoint (registry, scopes, policies, and the claim builders of
tokens/oauth/minting.py) but signs nothing and writes nothing.
"""

import time
from dataclasses import dataclass, field

from clients.models import GRANT_CLIENT_CREDENTIALS

from . import policies
from . import scopes as scope_rules
from .registry import ServerNotFound, any_server

PREVIEW_JTI = "AT.(preview)"


@dataclass
class Preview:
    """`matched` is False with `reason` set when the request would fail (unknown scope, no matching rule)."""

    server: object
    grant_type: str
    scopes: list[str]
    matched: bool
    reason: str = ""
    policy: object = None  # Policy row, or None (org server, or no match)
    rule: object = None  # PolicyRule row, or None
    lifetimes: policies.Lifetimes | None = None
    refresh_token: bool = False  # whether a refresh token would be issued
    access_token: dict = field(default_factory=dict)  # the claims, as the token would carry them
    id_token: dict = field(default_factory=dict)  # {} when no ID token would be issued


def preview(server_id: str, app, user, grant_type: str, scopes: list[str] | str | None) -> Preview:
    """What `app` would get at server `server_id` for `grant_type`, `scopes` (a list or a `scope` string)
    and `user` (None for client_credentials). Raises registry.ServerNotFound only for an unknown id:
    an inactive server can be previewed."""
    server = any_server(server_id)
    if server.status == "DELETED":
        raise ServerNotFound(server_id)
    requested = scope_rules.parse(scopes) if isinstance(scopes, str) or scopes is None else list(scopes)
    if not requested:
        requested = scope_rules.default_scopes(server)
    result = Preview(server=server, grant_type=grant_type, scopes=requested, matched=False)
    if not requested:
        result.reason = "The request has no scope and the server has no default scope."
        return result
    unknown = scope_rules.unknown(server, requested)
    if unknown:
        result.reason = f"Unknown scopes: {', '.join(unknown)} (invalid_scope)."
        return result
    if grant_type != GRANT_CLIENT_CREDENTIALS and user is None:
        result.reason = "This grant type needs a user."
        return result
    if grant_type == GRANT_CLIENT_CREDENTIALS:
        user = None
    try:
        decision = policies.evaluate(server, app, grant_type=grant_type, scopes=requested, user=user)
    except policies.PolicyDenied as denied:
        result.reason = f"{policies.POLICY_FAILED} ({denied.reason})"
        return result
    granted = requested if user is None else scope_rules.grantable(app, requested)
    now = int(time.time())
    result.matched, result.scopes = True, granted
    result.policy, result.rule, result.lifetimes = decision.policy, decision.rule, decision.lifetimes
    result.refresh_token = (
        user is not None and decision.allows_refresh and app.issues_refresh_tokens and "offline_access" in granted
    )
    from tokens.oauth import minting  # minting imports this package's modules

    lifetimes = decision.lifetimes
    result.access_token = minting.access_token_claims(
        server,
        client_id=app.client_id,
        scopes=granted,
        user=user,
        jti=PREVIEW_JTI,
        now=now,
        minutes=lifetimes.access_minutes,
    )
    if user is not None and "openid" in granted:
        result.id_token = minting.id_token_claims(
            server,
            client_id=app.client_id,
            user=user,
            scopes=granted,
            auth_time=now,
            now=now,
            minutes=lifetimes.id_minutes,
        )
        result.id_token["jti"] = "ID.(preview)"
    return result
