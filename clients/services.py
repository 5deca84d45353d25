"""Creating, changing and retiring app integrations: the one path every writer goes through.

Each function validates with clients/validation.py, writes in one transaction, records the
`app.oauth2.client.lifecycle.*` event, and returns a new client secret only when it made one.
"""

from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from core.systemlog import recording, types
from core.systemlog.audit import SYSTEM, Audit
from tokens.lifecycle.revocation import revoke_families

from . import credentials
from .assignments import assign_everyone
from .credentials import new_client_secret
from .models import Application, CredentialStatus
from .validation import AppValidationError, validate_app


def settings_of(app: Application) -> dict:
    """An app's current settings in the flat form validate_app() takes."""
    return {
        "label": app.name,
        "application_type": app.application_type,
        "grant_types": list(app.grant_types),
        "redirect_uris": app.redirect_uri_list,
        "post_logout_redirect_uris": app.post_logout_redirect_uri_list,
        "trusted_origins": app.trusted_origin_list,
        "token_endpoint_auth_method": app.token_endpoint_auth_method,
        "pkce_required": app.pkce_required,
        "consent_method": app.consent_method,
        "rotation_type": app.rotation_type,
        "leeway": app.leeway,
        "initiate_login_uri": app.initiate_login_uri,
        "dpop_bound_access_tokens": app.dpop_bound_access_tokens,
        "jwks_uri": app.jwks_uri,
    }


_DEFAULT_PORTS = {"http": 80, "https": 443}


def needs_trusted_origin(app: Application) -> bool:
    """A single-page app calls the token endpoint from the browser, which CORS allows only from a trusted
    origin; without one, its sign-in gets a code it cannot redeem."""
    return app.application_type == Application.AppType.BROWSER and not app.trusted_origin_list


def redirect_origins(app: Application) -> list[str]:
    """The origins (scheme://host[:port], as a browser sends them) of the app's http(s) sign-in redirect URIs
    that it does not trust yet: where a single-page app most likely runs."""
    origins = []
    for uri in app.redirect_uri_list:
        try:
            parts = urlsplit(uri)
            port = parts.port
        except ValueError:
            continue
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            continue
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        origin = f"{parts.scheme}://{host}" + (f":{port}" if port and port != _DEFAULT_PORTS[parts.scheme] else "")
        if origin not in origins and origin not in app.trusted_origin_list:
            origins.append(origin)
    return origins


def trust_origin(app: Application, origin: str, *, audit: Audit = SYSTEM) -> Application:
    """Add one of `redirect_origins(app)` to the app's trusted origins (the console's one-click offer)."""
    if origin not in redirect_origins(app):
        raise AppValidationError({"trusted_origins": [f"'{origin}' is not the origin of a sign-in redirect URI."]})
    app, _ = update_app(app, {"trusted_origins": app.trusted_origin_list + [origin]}, audit=audit)
    return app


def _apply(app: Application, clean: dict) -> None:
    app.name = clean["label"]
    app.grant_types = clean["grant_types"]
    app.response_types = clean["response_types"]
    app.redirect_uris = " ".join(clean["redirect_uris"])
    app.post_logout_redirect_uris = " ".join(clean["post_logout_redirect_uris"])
    app.allowed_origins = " ".join(clean["trusted_origins"])
    app.token_endpoint_auth_method = clean["token_endpoint_auth_method"]
    app.pkce_required = clean["pkce_required"]
    app.skip_authorization = clean["consent_method"] == "TRUSTED"
    app.rotation_type = clean["rotation_type"]
    app.leeway = clean["leeway"]
    app.initiate_login_uri = clean["initiate_login_uri"]
    app.dpop_bound_access_tokens = clean["dpop_bound_access_tokens"]
    app.jwks_uri = clean["jwks_uri"]


def _log(action: str, message: str, app: Application, audit: Audit) -> None:
    """Record `app.oauth2.client.lifecycle.<action>` for `app`."""
    recording.record(
        types.client_lifecycle(action),
        message,
        audit=audit,
        actor=recording.actor_ref(audit.user),
        targets=[recording.app_ref(app)],
        app=app,
    )


def create_app(data: dict, *, activate: bool = True, audit: Audit = SYSTEM) -> tuple[Application, str | None]:
    """Create an app; returns it with its plaintext secret (None for public clients), shown once."""
    clean = validate_app(data)
    app = Application(application_type=clean["application_type"], user=None)
    _apply(app, clean)
    if clean.get("client_id"):
        app.client_id = clean["client_id"]
    else:
        app.client_id = app.public_id
    uses_secret = app.token_endpoint_auth_method.startswith("client_secret")
    secret = (clean.get("client_secret") or new_client_secret()) if uses_secret else None
    app.client_secret = ""  # credentials.sync() writes the hashes of its secrets
    app.status = Application.Status.ACTIVE if activate else Application.Status.INACTIVE
    # A client_id may be one a deleted app had: none of that app's access tokens may count for this one.
    # Whole seconds, like `iat`, so this app's own first tokens do count.
    app.tokens_valid_after = timezone.now().replace(microsecond=0)
    with transaction.atomic():
        app.save()
        assign_everyone(app)
        if secret:
            credentials.add_secret_row(app, secret)
        if clean.get("jwks") is not None:
            credentials.replace_keys(app, clean["jwks"])
        credentials.sync(app)
        _log("create", f"Created app '{app.name}'", app, audit)
    return app, secret


def update_app(app: Application, changes: dict, *, audit: Audit = SYSTEM) -> tuple[Application, str | None]:
    """Apply `changes` on top of the app's settings. Switching to a secret-based method without an active
    secret makes one (returned, shown once); switching to a public client removes its secrets and keys.
    `jwks` in `changes` replaces the registered keys (credentials.replace_keys())."""
    data = settings_of(app) | {k: v for k, v in changes.items() if v is not None}
    clean = validate_app(data, instance=app)
    _apply(app, clean)
    secret = None
    with transaction.atomic():
        app.save()
        if app.is_public:
            app.secrets.all().delete()
            app.json_web_keys.all().delete()
        elif clean.get("jwks") is not None:
            credentials.replace_keys(app, clean["jwks"])
        if (
            app.token_endpoint_auth_method.startswith("client_secret")
            and not app.secrets.filter(status=CredentialStatus.ACTIVE).exists()
        ):
            secret = new_client_secret()
            if app.secrets.count() >= credentials.MAX_SECRETS:  # two inactive ones: the oldest makes room
                app.secrets.order_by("created", "id").first().delete()
            credentials.add_secret_row(app, secret)
        credentials.sync(app)
        _log("update", f"Updated app '{app.name}'", app, audit)
    return app, secret


def rotate_secret(app: Application, *, audit: Audit = SYSTEM) -> str:
    """Replace every client secret of the app with one new one: what a leaked secret needs (the old ones
    stop working at once on every node). A planned change adds a second secret instead
    (credentials.create_secret()) and deactivates the old one once clients have moved."""
    if app.is_public:
        raise AppValidationError({"client_secret": ["A public client (authentication 'none') has no secret."]})
    secret = new_client_secret()
    with transaction.atomic():
        credentials.lock(app)
        app.secrets.all().delete()
        credentials.add_secret_row(app, secret)
        credentials.sync(app)
        _log("update", f"Replaced the client secrets of '{app.name}'", app, audit)
    return secret


def _set_status(app: Application, status: str, action: str, audit: Audit) -> Application:
    """Move the app to `status`, revoking its token families when it goes inactive (SPEC §3,
    implicit revocation). `updated` moves too, so every node's client cache sees the change."""
    with transaction.atomic():
        app.status, app.updated = status, timezone.now()
        Application.objects.filter(pk=app.pk).update(status=app.status, updated=app.updated)
        if status == Application.Status.INACTIVE:
            revoke_families(client=app, reason="app_deactivated", audit=audit)
        _log(action, f"{action.capitalize()}d app '{app.name}'", app, audit)
    return app


def activate_app(app: Application, *, audit: Audit = SYSTEM) -> Application:
    return _set_status(app, Application.Status.ACTIVE, "activate", audit)


def deactivate_app(app: Application, *, audit: Audit = SYSTEM) -> Application:
    """Deactivate the app and revoke every token family it holds."""
    return _set_status(app, Application.Status.INACTIVE, "deactivate", audit)


class AppIsActive(Exception):
    """Only an INACTIVE app can be deleted (Okta E0000056)."""


def delete_app(app: Application, *, audit: Audit = SYSTEM) -> None:
    if app.is_active:
        raise AppIsActive(app.public_id)
    with transaction.atomic():
        _log("delete", f"Deleted app '{app.name}'", app, audit)
        app.delete()
