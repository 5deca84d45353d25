"""Client authentication at /token, /revoke, /introspect, /device/authorize (RFC 6749 §2.3, SPEC §3).

Each app authenticates the one way it is registered for (`token_endpoint_auth_method`): a
`client_secret_basic` app by HTTP Basic, a `client_secret_post` app with `client_secret` in the body,
a `private_key_jwt` app with a signed assertion (RFC 7523 §2.2, below), a public app (`none`) with
`client_id` alone, proving itself with PKCE. Any other way is
`invalid_client`: the registration is the operator's decision about where the secret may travel
(a body is logged more often than a header), and a public client that sends a secret is not the
client it was registered as. The secret check is a salted SHA-256 (clients/hashers.py) against each of the app's
active secrets (at most two, on the app row), so this costs one indexed query and microseconds.

An assertion is accepted once: signed (asymmetric algorithms only) by one of the app's active keys
(tokens/oauth/client_jwks.py), `iss` and `sub` the client_id, `aud` this server's issuer or one of
its endpoints, `exp` present and at most ROTOR_CLIENT_ASSERTION_MAX_SECONDS (five minutes) ahead,
and a `jti` not seen before (core/replay.py: Redis or the database, shared by every worker and
node). The jti is checked after the signature, so only the client itself can spend its jtis. That
write is one round trip more than a secret costs, and it is why a private_key_jwt app is never
served from the client cache: a cached check that spent the jti could not be repeated when the
cached row turns out stale.
"""

import base64
import binascii
import time
from urllib.parse import unquote_plus

import jwt
from django.conf import settings

from clients.hashers import verifies
from clients.models import Application
from core import publickeys, replay
from core.systemlog.audit import SYSTEM, Audit
from tokens.lifecycle.paths import database

from . import client_cache, client_jwks, limits
from .errors import CLIENT_AUTH_FAILED, NO_CLIENT_CREDENTIALS, OAuthError, invalid_client

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CLOCK_SKEW = 30  # seconds allowed between the client's clock and ours, for `exp`, `nbf` and `iat`
MAX_ASSERTION_LENGTH = 16 * 1024

MULTIPLE_CREDENTIALS = (
    "Cannot supply multiple client credentials. Use one of the following: credentials in the "
    "Authorization header, or credentials in the post body."
)


class Secret(str):
    """A client secret as the request presented it; `method` names the way it came
    (`client_secret_basic` or `client_secret_post`), which must be the app's own."""

    method: str

    def __new__(cls, value: str, method: str):
        secret = super().__new__(cls, value)
        secret.method = method
        return secret


class Assertion(str):
    """A client assertion (RFC 7523 §2.2) as the request presented it, with its claims not yet verified."""

    method = "private_key_jwt"


def _method_of(secret: str | None) -> str | None:
    """How a secret was sent: `none` when none was; None when it is not one read_credentials() gave."""
    if secret is None:
        return "none"
    return secret.method if isinstance(secret, Secret | Assertion) else None


def _basic_credentials(header: str) -> tuple[str, str]:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise invalid_client()
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid_client() from None
    client_id, sep, secret = decoded.partition(":")
    if not sep or not client_id:
        raise invalid_client()
    return unquote_plus(client_id), unquote_plus(secret)


def _assertion_credentials(params, authorization: str) -> tuple[str, Assertion]:
    """The client_id an assertion names (its `sub`, which the body's client_id must match if sent)."""
    if authorization or params.get("client_secret") is not None:
        raise OAuthError("invalid_request", MULTIPLE_CREDENTIALS)
    if params.get("client_assertion_type") != ASSERTION_TYPE:
        raise OAuthError("invalid_client", f"The client_assertion_type must be '{ASSERTION_TYPE}'.")
    value = params.get("client_assertion") or ""
    if not value or len(value) > MAX_ASSERTION_LENGTH:
        raise OAuthError("invalid_client", "The client_assertion is missing or too long.")
    try:
        claims = jwt.decode(value, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise OAuthError("invalid_client", "The client_assertion is not a valid JWT.") from None
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise OAuthError("invalid_client", "The client_assertion must contain 'sub', the client_id.")
    body_id = params.get("client_id")
    if body_id is not None and body_id != subject:
        raise OAuthError("invalid_client", "The client_id does not match the client_assertion's 'sub'.")
    return subject, Assertion(value)


def read_credentials(params, authorization: str) -> tuple[str, Secret | Assertion | None]:
    """The (client_id, secret) a request presents, by HTTP Basic, in the body or as an assertion, but
    never two of them. The secret (a `Secret`, even when empty, or an `Assertion`) remembers which way
    it came; None means none was sent."""
    if params.get("client_assertion") is not None or params.get("client_assertion_type") is not None:
        return _assertion_credentials(params, authorization)
    body_id = params.get("client_id")
    body_secret = params.get("client_secret")
    if authorization:
        if body_secret is not None:
            raise OAuthError("invalid_request", MULTIPLE_CREDENTIALS)
        client_id, secret = _basic_credentials(authorization)
        if body_id is not None and body_id != client_id:
            raise invalid_client()
        return client_id, Secret(secret, "client_secret_basic")
    if body_id:
        return body_id, None if body_secret is None else Secret(body_secret, "client_secret_post")
    raise OAuthError("invalid_client", NO_CLIENT_CREDENTIALS)


def audiences(server) -> list[str]:
    """What an assertion's `aud` may name: the server's issuer or the endpoint URLs that authenticate clients."""
    return [server.issuer] + [server.endpoint(name) for name in ("token", "revoke", "introspect", "device/authorize")]


def _assertion_problem(app: Application, assertion: Assertion, server) -> str | None:
    """Why `assertion` does not prove `app` at `server` (a description for invalid_client), or None."""
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        return "The client_assertion is not a valid JWT."
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in publickeys.SIGNING_ALGS:
        return f"The client_assertion must be signed with one of: {', '.join(publickeys.SIGNING_ALGS)}."
    if kid is not None and not isinstance(kid, str):
        return "The client_assertion's 'kid' must be a string."
    try:
        keys = client_jwks.keys_for(app, kid)
    except client_jwks.FetchFailed as exc:
        return f"The client's keys could not be read: {exc}"
    candidates = [key for key in keys if (kid is None or key.get("kid") == kid) and publickeys.fits(key, alg)]
    if not candidates:
        return f"No active key of the client has kid '{kid}' for {alg}." if kid else f"No active key for {alg}."
    claims = None
    for jwk in candidates:
        try:
            claims = jwt.decode(
                assertion,
                key=publickeys.load(jwk),
                algorithms=[alg],
                audience=audiences(server),
                issuer=app.client_id,
                leeway=CLOCK_SKEW,
                options={"require": ["iss", "sub", "aud", "exp", "jti"]},
            )
            break
        except jwt.InvalidSignatureError:
            continue
        except jwt.MissingRequiredClaimError as exc:
            return f"The client_assertion must contain '{exc.claim}'."
        except jwt.ExpiredSignatureError:
            return "The client_assertion has expired."
        except jwt.ImmatureSignatureError:
            return "The client_assertion is not valid yet (nbf or iat is in the future)."
        except jwt.InvalidAudienceError:
            return f"The client_assertion's 'aud' must be the token endpoint URL, {server.endpoint('token')}."
        except jwt.InvalidIssuerError:
            return "The client_assertion's 'iss' must be the client_id."
        except jwt.PyJWTError:
            return "The client_assertion could not be verified."
    if claims is None:
        return "The client_assertion's signature does not verify with the client's keys."
    if claims.get("sub") != app.client_id:
        return "The client_assertion's 'sub' must be the client_id."
    now = time.time()
    exp, jti = claims["exp"], claims["jti"]
    longest = settings.ROTOR_CLIENT_ASSERTION_MAX_SECONDS
    if not isinstance(exp, int | float) or exp - now > longest + CLOCK_SKEW:
        return f"The client_assertion's 'exp' must be at most {longest // 60} minutes ahead."
    if not isinstance(jti, str) or not jti or len(jti) > 255:
        return "The client_assertion's 'jti' must be a string of 1 to 255 characters."
    seen_for = int(exp - now) + CLOCK_SKEW + 1  # until it could no longer be accepted anyway
    if not replay.first_use("client_assertion", f"{app.client_id} {jti}", ttl_seconds=seen_for):
        return "The client_assertion has been used before: each one is accepted once (jti)."
    return None


def _problem(app: Application, secret: str | None, server) -> str | None:
    """Why `secret` does not prove `app`, or None: sent the way the app is registered for, then for a
    public app no secret at all, for a confidential one one of its own secrets or a valid assertion."""
    if _method_of(secret) != app.token_endpoint_auth_method:
        return CLIENT_AUTH_FAILED
    if app.is_public:
        return None
    if isinstance(secret, Assertion):
        if server is None:
            return CLIENT_AUTH_FAILED
        return _assertion_problem(app, secret, server)
    return None if secret and verifies(secret, app.client_secret) else CLIENT_AUTH_FAILED


def check_client(app: Application | None, secret: str | None, *, audit: Audit = SYSTEM, server=None) -> Application:
    """`app` if it is active and `secret` proves it at `server` (public apps: no secret at all)."""
    if app is None or not app.is_active:
        raise invalid_client()
    problem = _problem(app, secret, server)
    if problem is None:
        return app
    if not app.is_public:
        limits.record_invalid_client(app, audit)  # one event per client and minute, with a count
    raise OAuthError("invalid_client", problem)


def cached_client(params, authorization: str) -> Application | None:
    """The app from tokens/oauth/client_cache.py if these credentials prove it (it holds only apps that
    passed authentication and the grant check). None means "ask the database", never "refused";
    the caller confirms a hit when it writes. Assertions always ask the database (see above)."""
    client_id, secret = read_credentials(params, authorization)
    if isinstance(secret, Assertion):
        return None
    app = client_cache.get(client_id)
    return app if app is not None and _problem(app, secret, None) is None else None


def find_client(client_id: str) -> Application | None:
    # PostgreSQL refuses NUL in text, so such an id would be a 500 instead of an unknown client.
    if len(client_id) > 255 or "\x00" in client_id:
        return None
    return database().find_client(client_id)


def authenticate_client(params, authorization: str, *, audit: Audit = SYSTEM, server=None) -> Application:
    """The active app these credentials prove at `server`, or OAuthError(invalid_client | invalid_request)."""
    client_id, secret = read_credentials(params, authorization)
    return check_client(find_client(client_id), secret, audit=audit, server=server)
