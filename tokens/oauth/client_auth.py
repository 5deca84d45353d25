"""Client authentication at /token, /revoke, /introspect, /device/authorize (RFC 6749 §2.3, SPEC §3).

Each app authenticates the one way it is registered for (`token_endpoint_auth_method`): a
`client_secret_basic` app by HTTP Basic, a `client_secret_post` app with `client_secret` in the body,
a public app (`none`) with `client_id` alone, proving itself with PKCE. Any other way is
`invalid_client`: the registration is the operator's decision about where the secret may travel
(a body is logged more often than a header), and a public client that sends a secret is not the
client it was registered as. The secret check is a salted SHA-256 (clients/hashers.py), so this costs one indexed
query and microseconds.
"""

import base64
import binascii
from urllib.parse import unquote_plus

from django.contrib.auth.hashers import check_password

from clients.models import Application
from core.systemlog.audit import SYSTEM, Audit
from tokens.lifecycle.paths import database

from . import client_cache, limits
from .errors import NO_CLIENT_CREDENTIALS, OAuthError, invalid_client

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


def _method_of(secret: str | None) -> str | None:
    """How a secret was sent: `none` when none was; None when it is not one read_credentials() gave."""
    if secret is None:
        return "none"
    return secret.method if isinstance(secret, Secret) else None


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


def read_credentials(params, authorization: str) -> tuple[str, Secret | None]:
    """The (client_id, secret) a request presents, by HTTP Basic or in the body, but never both. The
    secret (a `Secret`, even when empty) remembers which way it came; None means none was sent."""
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


def _proves(app: Application, secret: str | None) -> bool:
    """Whether `secret` proves `app`: sent the way the app is registered for, then for a public app no
    secret at all, for a confidential one its own."""
    if _method_of(secret) != app.token_endpoint_auth_method:
        return False
    if app.is_public:
        return True
    return bool(secret) and check_password(secret, app.client_secret)


def check_client(app: Application | None, secret: str | None, *, audit: Audit = SYSTEM) -> Application:
    """`app` if it is active and `secret` proves it (public apps: no secret at all)."""
    if app is None or not app.is_active:
        raise invalid_client()
    if _proves(app, secret):
        return app
    if not app.is_public:
        limits.record_invalid_client(app, audit)  # one event per client and minute, with a count
    raise invalid_client()


def cached_client(params, authorization: str) -> Application | None:
    """The app from tokens/oauth/client_cache.py if these credentials prove it (it holds only apps that
    passed authentication and the grant check). None means "ask the database", never "refused";
    the caller confirms a hit when it writes."""
    client_id, secret = read_credentials(params, authorization)
    app = client_cache.get(client_id)
    return app if app is not None and _proves(app, secret) else None


def find_client(client_id: str) -> Application | None:
    # PostgreSQL refuses NUL in text, so such an id would be a 500 instead of an unknown client.
    if len(client_id) > 255 or "\x00" in client_id:
        return None
    return database().find_client(client_id)


def authenticate_client(params, authorization: str, *, audit: Audit = SYSTEM) -> Application:
    """The active app these credentials prove, or OAuthError(invalid_client | invalid_request)."""
    client_id, secret = read_credentials(params, authorization)
    return check_client(find_client(client_id), secret, audit=audit)
