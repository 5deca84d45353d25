"""The per-type rules for app integrations, shared by the console, the API and `createclient`.

`validate_app()` takes the app's settings in a flat form (the names of SPEC §5) and returns
them cleaned, or raises AppValidationError with every problem keyed by field.
"""

import string
from urllib.parse import urlsplit

from .models import (
    GRANT_AUTHORIZATION_CODE,
    GRANT_CLIENT_CREDENTIALS,
    GRANT_DEVICE_CODE,
    GRANT_REFRESH_TOKEN,
    GRANT_TYPES,
    Application,
)

APP_TYPES = [c.value for c in Application.AppType]
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
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


def defaults_for(application_type: str) -> dict:
    """What an app of this type gets for every setting it does not send (SPEC §5)."""
    is_browser_or_native = application_type in ("browser", "native")
    return {
        "token_endpoint_auth_method": "none" if is_browser_or_native else "client_secret_basic",
        "pkce_required": is_browser_or_native,
        "consent_method": "TRUSTED",
        "rotation_type": "ROTATE" if application_type == "browser" else "STATIC",
        "leeway": 30,
        "redirect_uris": [],
        "post_logout_redirect_uris": [],
        "trusted_origins": [],
        "initiate_login_uri": "",
        "grant_types": [GRANT_CLIENT_CREDENTIALS] if application_type == "service" else [GRANT_AUTHORIZATION_CODE],
    }


def _uri_problem(uri: object, *, app_type: str, kind: str) -> str | None:
    if not isinstance(uri, str) or not uri or len(uri) > 1024:
        return f"'{uri}' is not a valid {kind}."
    if any(ch.isspace() for ch in uri) or not uri.isprintable():
        return f"'{uri}' is not a valid {kind}: it contains spaces or control characters."
    parts = urlsplit(uri)
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
    parts = urlsplit(origin)
    has_path = parts.path not in ("", "/")  # a trailing slash is dropped below
    if parts.scheme not in ("http", "https") or not parts.hostname or has_path or set("?#@") & set(origin):
        return f"'{origin}' is not a valid origin: use scheme://host[:port] with no path."
    return None


def validate_app(data: dict, *, instance: Application | None = None) -> dict:
    """Check `data` against SPEC §5 and the per-type rules; return the cleaned settings.

    Keys: label, application_type, grant_types, redirect_uris, post_logout_redirect_uris,
    trusted_origins, token_endpoint_auth_method, pkce_required, consent_method, rotation_type,
    leeway, initiate_login_uri, and on create client_id and client_secret.
    """
    errors: dict[str, list[str]] = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    app_type = data.get("application_type")
    if instance is not None:
        if app_type not in (None, instance.application_type):
            fail("application_type", "The application type cannot be changed after the app is created.")
        app_type = instance.application_type
    if app_type not in APP_TYPES:
        fail("application_type", f"Application type must be one of: {', '.join(APP_TYPES)}.")
        raise AppValidationError(errors)

    clean = defaults_for(app_type)
    clean.update({k: v for k, v in data.items() if v is not None})
    clean["application_type"] = app_type

    label = clean.get("label")
    if not isinstance(label, str) or not label.strip():
        fail("label", "The app name is required.")
    elif len(label) > 100:
        fail("label", "The app name must be at most 100 characters.")
    else:
        clean["label"] = label.strip()

    grants = clean["grant_types"]
    if not isinstance(grants, list) or not grants or not all(isinstance(g, str) for g in grants):
        fail("grant_types", "At least one grant type is required.")
        grants = []
    grants = list(dict.fromkeys(grants))
    for grant in grants:
        if grant not in GRANT_TYPES:
            fail("grant_types", f"'{grant}' is not a supported grant type.")
        elif grant not in ALLOWED_GRANTS[app_type]:
            fail("grant_types", f"'{grant}' is not allowed for this app type. {GRANT_UNAVAILABLE_REASON[grant]}")
    if app_type in ("web", "browser") and GRANT_AUTHORIZATION_CODE not in grants:
        fail("grant_types", "Web and single-page apps need the Authorization Code grant.")
    if app_type == "native" and GRANT_AUTHORIZATION_CODE not in grants and GRANT_DEVICE_CODE not in grants:
        fail("grant_types", "Native apps need Authorization Code or Device Authorization.")
    if app_type == "service" and GRANT_CLIENT_CREDENTIALS not in grants:
        fail("grant_types", "API service apps need the Client Credentials grant.")
    if grants == [GRANT_REFRESH_TOKEN]:
        fail("grant_types", "Refresh Token needs a grant that signs a user in.")
    clean["grant_types"] = grants
    clean["response_types"] = (
        ["code"] if GRANT_AUTHORIZATION_CODE in grants else (["token"] if GRANT_CLIENT_CREDENTIALS in grants else [])
    )

    for field, kind in (("redirect_uris", "redirect URI"), ("post_logout_redirect_uris", "sign-out redirect URI")):
        uris = clean[field]
        if not isinstance(uris, list):
            fail(field, f"The {kind}s must be a list.")
            continue
        for uri in uris:
            problem = _uri_problem(uri, app_type=app_type, kind=kind)
            if problem:
                fail(field, problem)
        clean[field] = list(dict.fromkeys(uris)) if isinstance(uris, list) else []
    if GRANT_AUTHORIZATION_CODE in grants and not clean["redirect_uris"] and "redirect_uris" not in errors:
        fail("redirect_uris", "At least one sign-in redirect URI is required for the Authorization Code grant.")

    origins = clean["trusted_origins"]
    if not isinstance(origins, list):
        fail("trusted_origins", "Trusted origins must be a list.")
    else:
        for origin in origins:
            problem = _origin_problem(origin)
            if problem:
                fail("trusted_origins", problem)
        clean["trusted_origins"] = [o.rstrip("/") for o in dict.fromkeys(origins) if isinstance(o, str)]

    method = clean["token_endpoint_auth_method"]
    if method not in AUTH_METHODS:
        fail("token_endpoint_auth_method", f"Client authentication must be one of: {', '.join(AUTH_METHODS)}.")
    elif app_type == "browser" and method != "none":
        fail("token_endpoint_auth_method", "Single-page apps cannot keep a secret; use 'none' with PKCE.")
    elif app_type in ("web", "service") and method == "none":
        fail("token_endpoint_auth_method", "Web and API service apps must authenticate with a client secret.")

    if not isinstance(clean["pkce_required"], bool):
        fail("pkce_required", "PKCE required must be true or false.")
    elif method == "none" and not clean["pkce_required"]:
        fail("pkce_required", "PKCE is required for public clients (client authentication 'none').")

    if clean["consent_method"] not in CONSENT_METHODS:
        fail("consent_method", "Consent must be TRUSTED or REQUIRED.")

    if clean["rotation_type"] not in ROTATION_TYPES:
        fail("rotation_type", "Refresh token behavior must be ROTATE or STATIC.")
    leeway = clean["leeway"]
    if isinstance(leeway, bool) or not isinstance(leeway, int) or not 0 <= leeway <= 60:
        fail("leeway", "The grace period must be a whole number of seconds from 0 to 60.")

    login_uri = clean["initiate_login_uri"]
    if login_uri:
        problem = _uri_problem(login_uri, app_type="web", kind="initiate login URI")
        if problem:
            fail("initiate_login_uri", problem)

    if instance is None:
        client_id = clean.get("client_id")
        if client_id is not None and (
            not isinstance(client_id, str) or not 6 <= len(client_id) <= 100 or set(client_id) - _CLIENT_ID_CHARS
        ):
            fail("client_id", "A client ID must be 6 to 100 letters, digits, '-', '_' or '.'.")
        elif client_id is not None and Application.objects.filter(client_id=client_id).exists():
            fail("client_id", "An app with this client ID already exists.")
        secret = clean.get("client_secret")
        if secret is not None and (
            not isinstance(secret, str) or not 14 <= len(secret) <= 100 or set(secret) - _PRINTABLE
        ):
            fail("client_secret", "A client secret must be 14 to 100 printable ASCII characters.")
        if secret is not None and method == "none":
            fail("client_secret", "A public client (authentication 'none') has no secret.")

    if errors:
        raise AppValidationError(errors)
    return clean
