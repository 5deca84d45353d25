"""Scopes and the user claims each one releases (OIDC Core §5.4)."""

from django.conf import settings

from tokens.oauth.errors import INVALID_SCOPE, OAuthError

OIDC_SCOPES = {
    "openid": "Sign you in",
    "profile": "See your name and username",
    "email": "See your email address",
    "address": "See your address",
    "phone": "See your phone number",
    "offline_access": "Keep you signed in (refresh tokens)",
}


def custom_scopes() -> dict[str, str]:
    return {name: f"Custom scope {name}" for name in settings.ROTOR_CUSTOM_SCOPES}


def supported_scopes() -> dict[str, str]:
    return OIDC_SCOPES | custom_scopes()


def parse(value: str | None) -> list[str]:
    """Split a `scope` parameter, keeping order and dropping repeats."""
    return list(dict.fromkeys((value or "").split()))


def unknown(scopes: list[str]) -> list[str]:
    known = supported_scopes()
    return [s for s in scopes if s not in known]


def user_claims(user, scopes: list[str]) -> dict:
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


def for_sign_in(app, value: str | None, *, request_name: str) -> list[str]:
    """The scopes a sign-in (authorize, device authorization) asks for, as the app may be granted them.
    Raises OAuthError `invalid_scope` for none or an unknown one; `request_name` names the request."""
    requested = parse(value)
    if not requested:
        raise OAuthError("invalid_scope", f"The {request_name} must include a scope.")
    if unknown(requested):
        raise OAuthError("invalid_scope", INVALID_SCOPE)
    return grantable(app, requested)


def describe(requested: list[str]) -> list[tuple[str, str]]:
    """(scope, what it lets the app do) for the consent and device-confirmation pages."""
    known = supported_scopes()
    return [(s, known.get(s, s)) for s in requested]


# --- Claim names and values. as-admin's placeholder until as-engine's claim code lands in this module:
# tokens/servers/validation.py imports exactly these two names; on merge, keep as-engine's version.
RESERVED_CLAIMS = frozenset(
    {
        "sub", "iss", "aud", "exp", "iat", "nbf", "jti", "cid", "uid", "scp", "cnf", "ver", "auth_time",
        "nonce", "at_hash", "c_hash", "amr", "idp", "azp", "sid", "acr",
    }
)  # fmt: skip


def parse_claim_value(value: str) -> tuple[str, str]:
    """`user.<attribute>` -> ("user", attribute); a quoted literal -> ("literal", text). ValueError otherwise."""
    import re

    if match := re.fullmatch(r"user\.([A-Za-z][A-Za-z0-9_]*)", value):
        return "user", match.group(1)
    if len(value) >= 2 and value[0] == value[-1] == '"' and '"' not in value[1:-1]:
        return "literal", value[1:-1]
    raise ValueError('Use user.<profile attribute> (e.g. user.email) or a string in double quotes (e.g. "gold").')
