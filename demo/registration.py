"""The demo's own app integration: a single-page app (public client, PKCE) whose refresh tokens
rotate with a short grace period, registered for this issuer's /demo/callback.

The demo app *is* the browser app with that redirect URI, so nothing else records which one it is:
`firstrun` registers it once per issuer, and the page finds it the same way. An admin may change it in
the console like any app (a longer grace period, or deactivate it)."""

from urllib.parse import urlsplit

from django.conf import settings

from clients.models import Application
from clients.services import create_app

LABEL = "Rotor demo (single-page app)"
LEEWAY_SECONDS = 10  # long enough to see a grace-period reuse, short enough to wait out
SCOPES = "openid profile email offline_access"


def issuer_origin() -> str:
    parts = urlsplit(settings.ROTOR_ISSUER)
    return f"{parts.scheme}://{parts.netloc}"


def callback_uri() -> str:
    return f"{settings.ROTOR_ISSUER}/demo/callback"


def find_app() -> Application | None:
    """The demo app of this issuer, active or not; the oldest if an admin made another one."""
    uri = callback_uri()
    candidates = Application.objects.filter(application_type="browser", redirect_uris__contains=uri).order_by("pk")
    return next((app for app in candidates if uri in app.redirect_uri_list), None)


def ensure_app() -> tuple[Application, bool]:
    """The demo app, registered through clients.services if this issuer has none; (app, created)."""
    app = find_app()
    if app is not None:
        return app, False
    app, _secret = create_app(
        {
            "label": LABEL,
            "application_type": "browser",
            "grant_types": ["authorization_code", "refresh_token"],
            "redirect_uris": [callback_uri()],
            "post_logout_redirect_uris": [f"{settings.ROTOR_ISSUER}/demo/"],
            "trusted_origins": [issuer_origin()],
            "token_endpoint_auth_method": "none",
            "pkce_required": True,
            "consent_method": "TRUSTED",
            "rotation_type": "ROTATE",
            "leeway": LEEWAY_SECONDS,
        }
    )
    return app, True
