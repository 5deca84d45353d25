"""Scopes and claims of one authorization server.

The org server has the fixed OIDC scopes. A custom server has its own rows (tokens/servers/models.py,
loaded with the server by registry.py): its system scopes (the OIDC ones and `offline_access`) and
the custom ones admins add. Claims are the server's `Claim` rows: `RESOURCE` claims go into the
access token, `IDENTITY` claims into the ID token, each value an expression that
`parse_claim_expression()` reads (as-admin's validation calls it too, so both agree).
"""

import re
from collections.abc import Callable

from tokens.oauth.errors import INVALID_SCOPE, OAuthError

from .registry import AuthServer

OIDC_SCOPES = {
    "openid": "Sign you in",
    "profile": "See your name and username",
    "email": "See your email address",
    "address": "See your address",
    "phone": "See your phone number",
    "offline_access": "Keep you signed in (refresh tokens)",
}

# Claims Rotor sets itself in its tokens; a custom claim may not take these names.
RESERVED_CLAIMS = frozenset(
    {
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "nbf",
        "jti",
        "cid",
        "uid",
        "scp",
        "cnf",
        "ver",
        "auth_time",
        "nonce",
        "amr",
        "idp",
        "at_hash",
        "c_hash",
        "acr",
        "azp",
        "sid",
        "typ",
        "client_id",
        "scope",
        "token_type",
    }
)


def server_scopes(server: AuthServer) -> dict[str, str]:
    """name -> description of every scope `server` knows."""
    if not server.is_custom:
        return dict(OIDC_SCOPES)
    return {name: scope.description or scope.display_name or name for name, scope in server.config.scopes.items()}


def published_scopes(server: AuthServer) -> list[str]:
    """Discovery's `scopes_supported`: the org server's OIDC scopes, or a custom server's `ALL_CLIENTS` scopes."""
    if not server.is_custom:
        return list(OIDC_SCOPES)
    return [name for name, scope in server.config.scopes.items() if scope.metadata_publish == "ALL_CLIENTS"]


def default_scopes(server: AuthServer) -> list[str]:
    """The scopes granted when a client asks for none (Okta's `default: true`); the org server has none."""
    if not server.is_custom:
        return []
    return [name for name, scope in server.config.scopes.items() if scope.default]


def custom_scope_names(server: AuthServer) -> list[str]:
    """The scopes a client_credentials grant may ask for: every scope but the OIDC ones (no user, no identity)."""
    if not server.is_custom:
        return []
    return [name for name in server.config.scopes if name not in OIDC_SCOPES]


def parse(value: str | None) -> list[str]:
    """Split a `scope` parameter, keeping order and dropping repeats."""
    return list(dict.fromkeys((value or "").split()))


def unknown(server: AuthServer, scopes: list[str]) -> list[str]:
    known = server_scopes(server)
    return [s for s in scopes if s not in known]


def user_claims(user, scopes: list[str]) -> dict:
    """The standard OIDC claims the granted scopes release (OIDC Core §5.4)."""
    claims: dict = {}
    if "profile" in scopes:
        claims.update(
            name=user.get_full_name() or user.username,
            preferred_username=user.username,
            given_name=user.first_name,
            family_name=user.last_name,
            updated_at=int((user.last_login or user.date_joined).timestamp()),
        )
    if "email" in scopes and user.email:
        claims.update(email=user.email, email_verified=True)
    return claims


def grantable(app, requested: list[str]) -> list[str]:
    """The scopes a sign-in may grant the app: `offline_access` only with the refresh grant (SPEC §1)."""
    return requested if app.issues_refresh_tokens else [s for s in requested if s != "offline_access"]


def for_sign_in(server: AuthServer, app, value: str | None, *, request_name: str) -> list[str]:
    """The scopes a sign-in (authorize, device authorization) asks for, as the app may be granted them.

    No scope: the server's default scopes (Okta: "If the client omits the scope parameter in an
    authorization request, Okta returns the access token with all of the default scopes"), and
    `invalid_scope` when it has none. An unknown scope is `invalid_scope` too; `request_name` names the request.
    """
    requested = parse(value) or default_scopes(server)
    if not requested:
        raise OAuthError("invalid_scope", f"The {request_name} must include a scope.")
    if unknown(server, requested):
        raise OAuthError("invalid_scope", INVALID_SCOPE)
    return grantable(app, requested)


def consent_scopes(server: AuthServer, requested: list[str]) -> list[str]:
    """The requested scopes the user must consent to: every one on the org server, a custom server's `REQUIRED` ones."""
    if not server.is_custom:
        return list(requested)
    return [s for s in requested if s in server.config.scopes and server.config.scopes[s].consent == "REQUIRED"]


def describe(server: AuthServer, requested: list[str], *, consent_only: bool = False) -> list[tuple[str, str]]:
    """(scope, what it lets the app do): the consent page lists `consent_scopes()` (`consent_only`), the
    device-confirmation page every scope."""
    known = server_scopes(server)
    shown = consent_scopes(server, requested) if consent_only else requested
    return [(s, known.get(s, s)) for s in shown]


# Claims ---------------------------------------------------------------------------------------------

# Okta's profile attribute names and how each reads the User model (accounts/models.py).
PROFILE_ATTRIBUTES: dict[str, Callable] = {
    "login": lambda u: u.username,
    "email": lambda u: u.email,
    "firstName": lambda u: u.first_name,
    "lastName": lambda u: u.last_name,
    "displayName": lambda u: u.get_full_name() or u.username,
    "nickName": lambda u: u.first_name,
    "id": lambda u: u.uid,
    "status": lambda u: u.status,
}
_USER_EXPRESSION = re.compile(r"user\.(?:profile\.)?([A-Za-z][A-Za-z0-9_]*)")
_LITERAL = re.compile(r'"([^"\\]*)"|\'([^\'\\]*)\'')
SUPPORTED_FORMS = (
    "Supported values are user.<profile attribute> ("
    + ", ".join(PROFILE_ATTRIBUTES)
    + ') or a string literal in quotes, e.g. "finance".'
)


def parse_claim_expression(value: str) -> Callable:
    """The evaluator of one claim value: `user.<attribute>` or a quoted string literal.

    Returns a function of the user (None for client_credentials, where `user.…` gives None and the
    claim is left out). Raises ValueError naming the supported forms for anything else.
    """
    text = (value or "").strip()
    literal = _LITERAL.fullmatch(text)
    if literal:
        constant = literal.group(1) if literal.group(1) is not None else literal.group(2)
        return lambda user: constant
    match = _USER_EXPRESSION.fullmatch(text)
    if match:
        attribute = match.group(1)
        read = PROFILE_ATTRIBUTES.get(attribute)
        if read is None:
            raise ValueError(f"Unknown profile attribute '{attribute}'. {SUPPORTED_FORMS}")
        return lambda user: None if user is None else read(user)
    raise ValueError(f"The claim value '{value}' is not a supported expression. {SUPPORTED_FORMS}")


def _included(claim, scopes: list[str], *, in_token: bool) -> bool:
    """Okta: a claim goes in when its `conditions.scopes` is empty (any scope) or names a granted scope. An
    IDENTITY claim with `alwaysIncludeInToken: false` stays out of the ID token and comes from /userinfo."""
    conditions = claim.conditions_scopes or []
    if conditions and not any(s in scopes for s in conditions):
        return False
    return not (in_token and claim.claim_type == "IDENTITY" and not claim.always_include_in_token)


def custom_claims(server: AuthServer, claim_type: str, user, scopes: list[str], *, in_token: bool = True) -> dict:
    """The server's ACTIVE `claim_type` claims for this user and these scopes, by name.

    A claim whose value comes out empty (no user, an empty attribute) is left out, as Okta does. A stored
    value that no longer parses is skipped rather than failing the sign-in: validation refuses such values.
    """
    if not server.is_custom:
        return {}
    claims: dict = {}
    for claim in server.config.claims:
        if claim.status != "ACTIVE" or claim.claim_type != claim_type or claim.value_type != "EXPRESSION":
            continue
        if claim.name in RESERVED_CLAIMS or not _included(claim, scopes, in_token=in_token):
            continue
        try:
            value = parse_claim_expression(claim.value)(user)
        except ValueError:
            continue
        if value not in (None, ""):
            claims[claim.name] = value
    return claims
