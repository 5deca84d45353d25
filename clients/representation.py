"""An app in Okta's `/api/v1/apps` JSON shape (SPEC §5), for the API and `createclient`."""

from django.conf import settings

from core.isotime import iso

from .models import GRANT_REFRESH_TOKEN, Application


def app_json(app: Application, *, client_secret: str | None = None) -> dict:
    """The app as Okta returns it. `client_secret` appears only when a secret was just made."""
    credentials = {
        "client_id": app.client_id,
        "token_endpoint_auth_method": app.token_endpoint_auth_method,
        "pkce_required": app.pkce_required,
        "autoKeyRotation": True,
    }
    if client_secret is not None:
        credentials["client_secret"] = client_secret
    oauth_settings = {
        "client_uri": None,
        "logo_uri": None,
        "redirect_uris": app.redirect_uri_list,
        "post_logout_redirect_uris": app.post_logout_redirect_uri_list,
        "response_types": list(app.response_types),
        "grant_types": list(app.grant_types),
        "application_type": app.application_type,
        "consent_method": app.consent_method,
        "issuer_mode": "ORG_URL",
        "initiate_login_uri": app.initiate_login_uri or None,
    }
    if GRANT_REFRESH_TOKEN in app.grant_types:
        oauth_settings["refresh_token"] = {"rotation_type": app.rotation_type, "leeway": app.leeway}
    base = f"{settings.ROTOR_ISSUER}/api/v1/apps/{app.public_id}"
    return {
        "id": app.public_id,
        "name": "oidc_client",
        "label": app.name,
        "status": app.status,
        "created": iso(app.created),
        "lastUpdated": iso(app.updated),
        "signOnMode": "OPENID_CONNECT",
        "accessibility": {"selfService": False, "errorRedirectUrl": None, "loginRedirectUrl": None},
        "visibility": {"autoSubmitToolbar": False, "hide": {"iOS": True, "web": True}},
        "features": [],
        "credentials": {
            "userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"},
            "signing": {},
            "oauthClient": credentials,
        },
        "settings": {"app": {}, "notifications": {}, "oauthClient": oauth_settings},
        "_links": {
            "self": {"href": base},
            "appLinks": [],
            "deactivate" if app.is_active else "activate": {
                "href": f"{base}/lifecycle/{'deactivate' if app.is_active else 'activate'}"
            },
        },
    }
