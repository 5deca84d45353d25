"""The /api/v1 bodies keep Okta's key order and presence rules now that serializers render them.

Key order is part of "the same JSON" for clients that diff or hash responses, so it is pinned
here, with every member that appears only sometimes.
"""

import pytest
from django.utils import timezone

from core.models import Event
from core.systemlog import recording
from tokens.lifecycle.families import start_family
from tokens.servers.registry import get_server

APP_KEYS = [
    "id",
    "name",
    "label",
    "status",
    "created",
    "lastUpdated",
    "signOnMode",
    "accessibility",
    "visibility",
    "features",
    "credentials",
    "settings",
    "_links",
]
OAUTH_SETTINGS_KEYS = [
    "client_uri",
    "logo_uri",
    "redirect_uris",
    "post_logout_redirect_uris",
    "response_types",
    "grant_types",
    "application_type",
    "consent_method",
    "issuer_mode",
    "initiate_login_uri",
    "dpop_bound_access_tokens",
]
APP_BODY = {
    "name": "oidc_client",
    "label": "Shapes",
    "signOnMode": "OPENID_CONNECT",
    "settings": {
        "oauthClient": {
            "application_type": "web",
            "grant_types": ["authorization_code", "refresh_token"],
            "redirect_uris": ["https://shapes.example.com/cb"],
        }
    },
}


def test_app_shape_with_and_without_the_secret(api_client):
    created = api_client.post("/api/v1/apps", APP_BODY).json()
    assert list(created) == APP_KEYS
    credentials = created["credentials"]["oauthClient"]
    assert list(credentials) == [
        "client_id",
        "token_endpoint_auth_method",
        "pkce_required",
        "autoKeyRotation",
        "client_secret",
    ]
    assert list(created["settings"]["oauthClient"]) == [*OAUTH_SETTINGS_KEYS, "refresh_token"]
    assert created["settings"]["oauthClient"]["initiate_login_uri"] is None
    assert list(created["_links"]) == ["self", "appLinks", "deactivate"]
    assert created["_links"]["deactivate"]["href"].endswith(f"/api/v1/apps/{created['id']}/lifecycle/deactivate")

    fetched = api_client.get(f"/api/v1/apps/{created['id']}").json()
    assert "client_secret" not in fetched["credentials"]["oauthClient"]
    assert fetched["credentials"]["userNameTemplate"] == {"template": "${source.login}", "type": "BUILT_IN"}

    secret = api_client.post(f"/api/v1/apps/{created['id']}/credentials/secrets").json()
    assert list(secret) == ["id", "status", "client_secret", "secret_hash", "created", "lastUpdated", "_links"]
    assert secret["id"].startswith("ocs") and secret["status"] == "ACTIVE"
    secret_url = created["_links"]["self"]["href"] + "/credentials/secrets/" + secret["id"]
    assert secret["_links"] == {
        "deactivate": {"href": secret_url + "/lifecycle/deactivate", "hints": {"allow": ["POST"]}}
    }


def test_app_without_refresh_grant_has_no_refresh_settings_and_inactive_links(api_client):
    body = {**APP_BODY, "settings": {"oauthClient": {**APP_BODY["settings"]["oauthClient"]}}}
    body["settings"]["oauthClient"]["grant_types"] = ["authorization_code"]
    app = api_client.post("/api/v1/apps?activate=false", body).json()
    assert list(app["settings"]["oauthClient"]) == OAUTH_SETTINGS_KEYS
    assert list(app["_links"]) == ["self", "appLinks", "activate"]


def test_user_shape_and_its_lifecycle_link(api_client):
    user = api_client.post("/api/v1/users", {"profile": {"login": "shape@example.com", "email": "shape@example.com"}})
    user = user.json()
    assert list(user) == [
        "id",
        "status",
        "created",
        "activated",
        "statusChanged",
        "lastLogin",
        "lastUpdated",
        "passwordChanged",
        "type",
        "profile",
        "credentials",
        "_links",
    ]
    assert user["profile"] == {
        "firstName": None,
        "lastName": None,
        "mobilePhone": None,
        "secondEmail": None,
        "login": "shape@example.com",
        "email": "shape@example.com",
    }
    assert user["_links"]["deactivate"]["method"] == "POST"
    api_client.post(f"/api/v1/users/{user['id']}/lifecycle/deactivate")
    deactivated = api_client.get(f"/api/v1/users/{user['id']}").json()
    assert deactivated["activated"] is None
    assert list(deactivated["_links"]) == ["self"]


@pytest.mark.parametrize("expand", [False, True])
def test_token_shape_embeds_scopes_only_when_asked(api_client, confidential_app, end_user, expand):
    family, _ = start_family(
        client=confidential_app,
        user=end_user,
        server=get_server("default"),
        scopes=["openid", "offline_access"],
        auth_time=timezone.now(),
        grant_type="authorization_code",
    )
    url = f"/api/v1/apps/{confidential_app.public_id}/tokens/{family.public_id}"
    token = api_client.get(url + ("?expand=scope" if expand else "")).json()
    keys = ["id", "status", "created", "lastUpdated", "expiresAt", "issuer", "clientId", "userId", "scopes", "_links"]
    assert list(token) == keys + (["_embedded"] if expand else [])
    assert list(token["_links"]) == ["app", "self", "revoke", "client", "user", "authorizationServer"]
    assert token["_links"]["user"]["title"] == "Alice Liddell"
    if expand:
        assert [s["name"] for s in token["_embedded"]["scopes"]] == ["openid", "offline_access"]
        assert token["_embedded"]["scopes"][0]["_links"]["scope"]["href"].endswith(
            "/api/v1/authorizationServers/default/scopes/openid"
        )


def test_log_event_shape(api_client):
    Event.objects.all().delete()
    recording.record("app.oauth2.token.revoke", "Revoked", targets=[{"id": "0oaX", "type": "AppInstance"}])
    [event] = api_client.get("/api/v1/logs?filter=eventType%20eq%20%22app.oauth2.token.revoke%22").json()
    assert list(event) == [
        "uuid",
        "published",
        "eventType",
        "version",
        "severity",
        "legacyEventType",
        "displayMessage",
        "actor",
        "client",
        "outcome",
        "target",
        "transaction",
        "debugContext",
        "authenticationContext",
        "securityContext",
        "request",
    ]
    assert event["actor"] == {"id": None, "type": None, "alternateId": None, "displayName": None, "detailEntry": None}
    assert event["target"] == [
        {"id": "0oaX", "type": "AppInstance", "alternateId": None, "displayName": None, "detailEntry": None}
    ]
    assert event["outcome"] == {"result": "SUCCESS", "reason": None}
    assert list(event["client"]) == ["userAgent", "zone", "device", "id", "ipAddress", "geographicalContext"]
    assert event["transaction"]["type"] == "WEB" and event["transaction"]["detail"] == {}
