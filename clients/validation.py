"""The per-type rules for app integrations, shared by the console, the API and `createclient`.

`validate_app()` takes the app's settings in a flat form (the names of SPEC §5) and returns
them cleaned, or raises AppValidationError with every problem keyed by field. Each field or
concern has its own small rule below; validate_app() runs them in a fixed order, so the errors
of a field, and the fields themselves, always come out in the same order.
"""

import string
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from core import publickeys

from .models import (
    GRANT_AUTHORIZATION_CODE,
    GRANT_CLIENT_CREDENTIALS,
    GRANT_DEVICE_CODE,
    GRANT_REFRESH_TOKEN,
    GRANT_TYPES,
    Application,
)

APP_TYPES = [c.value for c in Application.AppType]
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]
CONSENT_METHODS = ["TRUSTED", "REQUIRED"]
ROTATION_TYPES = ["ROTATE", "STATIC"]

# Which grants each app type may have, and why the others are off (the console shows the reason).
ALLOWED_GRANTS = {
    "web": [GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN, GRANT_CLIENT_CREDENTIALS],
    "browser": [GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN],
    "native": [GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN, GRANT_DEVICE_CODE],
    "service": [GRANT_CLIENT_CREDENTIALS],
}
GRANT_UNAVAILABLE_REASON = {
    GRANT_CLIENT_CREDENTIALS: "Only web and API service apps can keep a secret to use Client Credentials.",
    GRANT_DEVICE_CODE: "Device Authorization is for native apps on input-constrained devices.",
    GRANT_AUTHORIZATION_CODE: "API service apps act for themselves, not for a signed-in user.",
    GRANT_REFRESH_TOKEN: "API service apps get new access tokens with Client Credentials instead.",
}
# What each app type needs at least one of, and what it says when it has none of them.
NEEDED_GRANTS = {
    "web": ([GRANT_AUTHORIZATION_CODE], "Web and single-page apps need the Authorization Code grant."),
    "browser": ([GRANT_AUTHORIZATION_CODE], "Web and single-page apps need the Authorization Code grant."),
    "native": (
        [GRANT_AUTHORIZATION_CODE, GRANT_DEVICE_CODE],
        "Native apps need Authorization Code or Device Authorization.",
    ),
    "service": ([GRANT_CLIENT_CREDENTIALS], "API service apps need the Client Credentials grant."),
}
GRANT_LABELS = {
    GRANT_AUTHORIZATION_CODE: "Authorization Code",
    GRANT_REFRESH_TOKEN: "Refresh Token",
    GRANT_CLIENT_CREDENTIALS: "Client Credentials",
    GRANT_DEVICE_CODE: "Device Authorization",
}
_PRINTABLE = set(string.printable) - set(string.whitespace) | {" "}
_CLIENT_ID_CHARS = set(string.ascii_letters + string.digits + "-_.")
# Schemes a browser runs or reads locally instead of handing to an app: never a redirect target.
_SCRIPT_SCHEMES = {"javascript", "data", "vbscript", "file", "blob", "about"}


class AppValidationError(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def defaults_for(application_type: str, auth_method: object = None) -> dict:
    """What an app of this type, authenticating with `auth_method` (or its type's default), gets for every
    setting it does not send (SPEC §5). Every public client rotates its refresh tokens (RFC 9700 §4.14.2)."""
    is_browser_or_native = application_type in ("browser", "native")
    if auth_method not in AUTH_METHODS:
        auth_method = "none" if is_browser_or_native else "client_secret_basic"
    return {
        "token_endpoint_auth_method": auth_method,
        "pkce_required": is_browser_or_native,
        "consent_method": "TRUSTED",
        "rotation_type": "ROTATE" if auth_method == "none" else "STATIC",
        "leeway": 30,
        "redirect_uris": [],
        "post_logout_redirect_uris": [],
        "trusted_origins": [],
        "initiate_login_uri": "",
        "dpop_bound_access_tokens": False,
        "jwks_uri": "",
        "grant_types": [GRANT_CLIENT_CREDENTIALS] if application_type == "service" else [GRANT_AUTHORIZATION_CODE],
    }


def _uri_problem(uri: object, *, app_type: str, kind: str) -> str | None:
    if not isinstance(uri, str) or not uri or len(uri) > 1024:
        return f"'{uri}' is not a valid {kind}."
    if any(ch.isspace() for ch in uri) or not uri.isprintable():
        return f"'{uri}' is not a valid {kind}: it contains spaces or control characters."
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018  (raises ValueError for a port out of range or not a number)
    except ValueError:
        return f"'{uri}' is not a valid {kind}: its host or port cannot be read."
    if "#" in uri:
        return f"'{uri}' is not a valid {kind}: it must not contain a fragment."
    if not parts.scheme:
        return f"'{uri}' is not a valid {kind}: it must be an absolute URI."
    if parts.scheme in ("http", "https"):
        if not parts.hostname:
            return f"'{uri}' is not a valid {kind}: it has no host."
        if "@" in parts.netloc:
            return f"'{uri}' is not a valid {kind}: it must not contain user information."
    elif parts.scheme in _SCRIPT_SCHEMES:
        return f"'{uri}' is not a valid {kind}: the '{parts.scheme}' scheme cannot receive a redirect."
    elif app_type != "native":
        return f"'{uri}' is not a valid {kind}: only native apps may use a custom scheme."
    return None


def _origin_problem(origin: object) -> str | None:
    if not isinstance(origin, str):
        return f"'{origin}' is not a valid origin."
    try:
        parts = urlsplit(origin)
        parts.port  # noqa: B018  (raises ValueError for a port out of range or not a number)
    except ValueError:
        return f"'{origin}' is not a valid origin: its host or port cannot be read."
    has_path = parts.path not in ("", "/")  # a trailing slash is dropped below
    if parts.scheme not in ("http", "https") or not parts.hostname or has_path or set("?#@") & set(origin):
        return f"'{origin}' is not a valid origin: use scheme://host[:port] with no path."
    return None


@dataclass
class _Check:
    """One run of the rules: the app type, the app being changed (None on create), the settings being cleaned
    (rules normalise them in place) and the problems found so far, per field in the order found."""

    app_type: str = ""
    instance: Application | None = None
    clean: dict = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


def _application_type(check: _Check, value: object, instance: Application | None) -> str:
    """The type the other rules check against: an existing app keeps its own. Without a known type nothing
    else can be checked, so an unknown one is raised at once."""
    if instance is not None:
        if value not in (None, instance.application_type):
            check.fail("application_type", "The application type cannot be changed after the app is created.")
        value = instance.application_type
    if value not in APP_TYPES:
        check.fail("application_type", f"Application type must be one of: {', '.join(APP_TYPES)}.")
        raise AppValidationError(check.errors)
    return value


def _label(check: _Check) -> None:
    label = check.clean.get("label")
    if not isinstance(label, str) or not label.strip():
        check.fail("label", "The app name is required.")
    elif len(label) > 100:
        check.fail("label", "The app name must be at most 100 characters.")
    else:
        check.clean["label"] = label.strip()


def _grant_types(check: _Check) -> None:
    """Each grant on its own: known, and allowed for the type. Repeats are dropped, keeping the first."""
    grants = check.clean["grant_types"]
    if not isinstance(grants, list) or not grants or not all(isinstance(g, str) for g in grants):
        check.fail("grant_types", "At least one grant type is required.")
        grants = []
    grants = list(dict.fromkeys(grants))
    for grant in grants:
        if grant not in GRANT_TYPES:
            check.fail("grant_types", f"'{grant}' is not a supported grant type.")
        elif grant not in ALLOWED_GRANTS[check.app_type]:
            check.fail("grant_types", f"'{grant}' is not allowed for this app type. {GRANT_UNAVAILABLE_REASON[grant]}")
    check.clean["grant_types"] = grants


def _grant_combination(check: _Check) -> None:
    """The grants together: one the type needs, and never Refresh Token alone (it only renews what another issued)."""
    grants = check.clean["grant_types"]
    needed, message = NEEDED_GRANTS[check.app_type]
    if not set(needed) & set(grants):
        check.fail("grant_types", message)
    if grants == [GRANT_REFRESH_TOKEN]:
        check.fail("grant_types", "Refresh Token needs a grant that signs a user in.")


def _response_types(check: _Check) -> None:
    """Derived from the grants whatever was sent: `code` for Authorization Code, else `token` for Client Credentials."""
    grants = check.clean["grant_types"]
    check.clean["response_types"] = (
        ["code"] if GRANT_AUTHORIZATION_CODE in grants else (["token"] if GRANT_CLIENT_CREDENTIALS in grants else [])
    )


def _uri_list(check: _Check, name: str, kind: str) -> None:
    """A list of redirect URIs: each one checked, repeats dropped; anything but a list is left as sent."""
    uris = check.clean[name]
    if not isinstance(uris, list):
        check.fail(name, f"The {kind}s must be a list.")
        return
    for uri in uris:
        problem = _uri_problem(uri, app_type=check.app_type, kind=kind)
        if problem:
            check.fail(name, problem)
    check.clean[name] = list(dict.fromkeys(uris))


def _redirect_uris(check: _Check) -> None:
    _uri_list(check, "redirect_uris", "redirect URI")


def _post_logout_redirect_uris(check: _Check) -> None:
    _uri_list(check, "post_logout_redirect_uris", "sign-out redirect URI")


def _redirect_uri_needed(check: _Check) -> None:
    """Authorization Code has nowhere to send the code without one; not said again when the list is already wrong."""
    grants = check.clean["grant_types"]
    if GRANT_AUTHORIZATION_CODE in grants and not check.clean["redirect_uris"] and "redirect_uris" not in check.errors:
        check.fail("redirect_uris", "At least one sign-in redirect URI is required for the Authorization Code grant.")


def _trusted_origins(check: _Check) -> None:
    origins = check.clean["trusted_origins"]
    if not isinstance(origins, list):
        check.fail("trusted_origins", "Trusted origins must be a list.")
        return
    for origin in origins:
        problem = _origin_problem(origin)
        if problem:
            check.fail("trusted_origins", problem)
    check.clean["trusted_origins"] = [o.rstrip("/") for o in dict.fromkeys(origins) if isinstance(o, str)]


def _auth_method(check: _Check) -> None:
    """A secret only where it can be kept: never in a single-page app, always in a web or service app."""
    method = check.clean["token_endpoint_auth_method"]
    if method not in AUTH_METHODS:
        check.fail("token_endpoint_auth_method", f"Client authentication must be one of: {', '.join(AUTH_METHODS)}.")
    elif check.app_type == "browser" and method != "none":
        check.fail("token_endpoint_auth_method", "Single-page apps cannot keep a secret; use 'none' with PKCE.")
    elif check.app_type in ("web", "service") and method == "none":
        check.fail(
            "token_endpoint_auth_method", "Web and API service apps must authenticate with a client secret or a key."
        )


def _pkce(check: _Check) -> None:
    """A public client has only PKCE to bind the code to whoever asked for it."""
    if not isinstance(check.clean["pkce_required"], bool):
        check.fail("pkce_required", "PKCE required must be true or false.")
    elif check.clean["token_endpoint_auth_method"] == "none" and not check.clean["pkce_required"]:
        check.fail("pkce_required", "PKCE is required for public clients (client authentication 'none').")


def _consent(check: _Check) -> None:
    if check.clean["consent_method"] not in CONSENT_METHODS:
        check.fail("consent_method", "Consent must be TRUSTED or REQUIRED.")


PUBLIC_STATIC = (
    "A public client (authentication 'none') must rotate its refresh tokens (RFC 9700 §4.14.2): a persistent "
    "token works for whoever holds it, with no reuse detection. Use ROTATE, or require DPoP "
    "(dpop_bound_access_tokens), which binds it to the client's key."
)


def _dpop(check: _Check) -> None:
    if not isinstance(check.clean["dpop_bound_access_tokens"], bool):
        check.fail("dpop_bound_access_tokens", "Require DPoP must be true or false.")


def _sender_constrained(check: _Check) -> bool:
    """Whether the app's tokens are bound to a key the client holds, the other protection RFC 9700 §4.14.2
    accepts for a public client's refresh tokens: with DPoP required, every token request carries a proof
    and a public client's family is bound to its key (tokens/lifecycle/families.py), so a persistent token
    is useless without that key (the smart TV's case)."""
    return check.clean["dpop_bound_access_tokens"] is True


def _kept_as_is(check: _Check) -> bool:
    """An app saved before this rule, a public client with persistent refresh tokens, that keeps them: it
    keeps working and the console flags it (Application.needs_rotation). Only new such settings are refused;
    an old app without refresh tokens cannot start issuing persistent ones."""
    return check.instance is not None and check.instance.needs_rotation


def _rotation(check: _Check) -> None:
    """ROTATE or STATIC; not STATIC refresh tokens for a public client, whose refresh tokens need rotation or
    a sender constraint (RFC 9700 §4.14.2)."""
    rotation = check.clean["rotation_type"]
    if rotation not in ROTATION_TYPES:
        check.fail("rotation_type", "Refresh token behavior must be ROTATE or STATIC.")
    elif (
        rotation == "STATIC"
        and check.clean["token_endpoint_auth_method"] == "none"
        and GRANT_REFRESH_TOKEN in check.clean["grant_types"]
        and not _sender_constrained(check)
        and not _kept_as_is(check)
    ):
        check.fail("rotation_type", PUBLIC_STATIC)


def _leeway(check: _Check) -> None:
    """The grace period for a rotated refresh token; `True` is an int to Python but not a number of seconds."""
    leeway = check.clean["leeway"]
    if isinstance(leeway, bool) or not isinstance(leeway, int) or not 0 <= leeway <= 60:
        check.fail("leeway", "The grace period must be a whole number of seconds from 0 to 60.")


def _initiate_login_uri(check: _Check) -> None:
    """Optional; a page we send the browser to, so held to the web rules whatever the app type."""
    login_uri = check.clean["initiate_login_uri"]
    if login_uri:
        problem = _uri_problem(login_uri, app_type="web", kind="initiate login URI")
        if problem:
            check.fail("initiate_login_uri", problem)


def _jwks(check: _Check) -> None:
    """Keys sent with the app (`settings.oauthClient.jwks.keys`): public signing keys only, kids unique."""
    jwks = check.clean.get("jwks")
    if jwks is None:
        return
    if not isinstance(jwks, list):
        check.fail("jwks", "The keys must be a list of JWKs.")
        return
    if check.clean["token_endpoint_auth_method"] == "none":
        check.fail("jwks", "A public client (authentication 'none') has no keys.")
    clean, kids = [], set()
    for jwk in jwks:
        try:
            public = publickeys.parse_jwk(jwk)
        except publickeys.BadKey as exc:
            check.fail("jwks", str(exc))
            continue
        kid = public.setdefault("kid", publickeys.thumbprint(public))
        if kid in kids:
            check.fail("jwks", f"Two keys have the kid '{kid}'.")
        kids.add(kid)
        clean.append(public)
    check.clean["jwks"] = clean


def _jwks_uri(check: _Check) -> None:
    """private_key_jwt needs somewhere to find the keys: registered keys or a JWKS URI, not both (Okta)."""
    uri = check.clean["jwks_uri"] or ""
    check.clean["jwks_uri"] = uri
    if uri:
        problem = publickeys.jwks_uri_problem(uri)
        if problem:
            check.fail("jwks_uri", problem)
    if check.clean["token_endpoint_auth_method"] != "private_key_jwt":
        return
    jwks = check.clean.get("jwks")
    has_keys = bool(jwks) if jwks is not None else bool(check.instance and check.instance.active_jwks)
    if uri and has_keys:
        check.fail("jwks_uri", "Give either keys (jwks) or a JWKS URI, not both: delete the registered keys first.")
    elif not uri and not has_keys:
        check.fail("jwks_uri", "Client authentication 'private_key_jwt' needs a public key or a JWKS URI.")


def _client_id(check: _Check) -> None:
    """Create only, and optional (one is made when not sent); it must be unique."""
    client_id = check.clean.get("client_id")
    if client_id is None:
        return
    if not isinstance(client_id, str) or not 6 <= len(client_id) <= 100 or set(client_id) - _CLIENT_ID_CHARS:
        check.fail("client_id", "A client ID must be 6 to 100 letters, digits, '-', '_' or '.'.")
    elif Application.objects.filter(client_id=client_id).exists():
        check.fail("client_id", "An app with this client ID already exists.")


def _client_secret(check: _Check) -> None:
    """Create only, and optional (one is made when not sent); a public client has none."""
    secret = check.clean.get("client_secret")
    if secret is None:
        return
    if not isinstance(secret, str) or not 14 <= len(secret) <= 100 or set(secret) - _PRINTABLE:
        check.fail("client_secret", "A client secret must be 14 to 100 printable ASCII characters.")
    if check.clean["token_endpoint_auth_method"] == "none":
        check.fail("client_secret", "A public client (authentication 'none') has no secret.")
    elif check.clean["token_endpoint_auth_method"] == "private_key_jwt":
        check.fail("client_secret", "An app that authenticates with 'private_key_jwt' is created without a secret.")


def label_in_use(label: str, *, instance: Application | None = None) -> bool:
    """Whether another app has this label (ignoring case and surrounding spaces). The console refuses such a
    label: two rows it cannot tell apart are nearly always an accident, a second Save or a reload. The API and
    `createclient` accept it, as Okta does (an app's `label` is not unique there), so scripts written for Okta
    keep working; validate_app() therefore leaves it out."""
    others = Application.objects.filter(name__iexact=label.strip())
    if instance is not None:
        others = others.exclude(pk=instance.pk)
    return others.exists()


# The order is the order of the fields in AppValidationError.errors; later rules read what earlier ones cleaned.
_RULES = (
    _label,
    _grant_types,
    _grant_combination,
    _response_types,
    _redirect_uris,
    _post_logout_redirect_uris,
    _redirect_uri_needed,
    _trusted_origins,
    _auth_method,
    _pkce,
    _consent,
    _dpop,
    _rotation,
    _leeway,
    _initiate_login_uri,
    _jwks,
    _jwks_uri,
)
_CREATE_RULES = (_client_id, _client_secret)


def validate_app(data: dict, *, instance: Application | None = None) -> dict:
    """Check `data` against SPEC §5 and the per-type rules; return the cleaned settings.

    Keys: label, application_type, grant_types, redirect_uris, post_logout_redirect_uris,
    trusted_origins, token_endpoint_auth_method, pkce_required, consent_method, rotation_type,
    leeway, initiate_login_uri, dpop_bound_access_tokens, jwks_uri, jwks (a list of public JWKs,
    replacing the registered ones), and on create client_id and client_secret.
    """
    check = _Check(instance=instance)
    check.app_type = _application_type(check, data.get("application_type"), instance)
    check.clean = defaults_for(check.app_type, data.get("token_endpoint_auth_method"))
    check.clean.update({k: v for k, v in data.items() if v is not None})
    check.clean["application_type"] = check.app_type
    for rule in _RULES + (_CREATE_RULES if instance is None else ()):
        rule(check)
    if check.errors:
        raise AppValidationError(check.errors)
    return check.clean
