"""Both authorization servers' endpoints: the org server under /oauth2/v1, `default` under /oauth2/default/v1."""

from django.urls import path

from . import console, device_views, views

app_name = "tokens"


def _server_patterns(prefix: str, server_id: str, name: str) -> list:
    kw = {"server_id": server_id}
    return [
        path(f"{prefix}v1/authorize", views.authorize, kw, name=f"{name}-authorize"),
        path(f"{prefix}v1/token", views.TokenView.as_view(), kw, name=f"{name}-token"),
        path(f"{prefix}v1/revoke", views.RevokeView.as_view(), kw, name=f"{name}-revoke"),
        path(f"{prefix}v1/introspect", views.IntrospectView.as_view(), kw, name=f"{name}-introspect"),
        path(f"{prefix}v1/keys", views.jwks, kw, name=f"{name}-keys"),
        path(f"{prefix}v1/userinfo", views.userinfo, kw, name=f"{name}-userinfo"),
        path(f"{prefix}v1/logout", views.logout_view, kw, name=f"{name}-logout"),
        path(f"{prefix}v1/device/authorize", device_views.DeviceAuthorizeView.as_view(), kw, name=f"{name}-device"),
    ]


_org_discovery = [
    path(
        ".well-known/openid-configuration",
        views.openid_configuration,
        {"server_id": "org"},
        name="org-openid-configuration",
    ),
    path(
        ".well-known/oauth-authorization-server",
        views.oauth_authorization_server,
        {"server_id": "org"},
        name="org-oauth-metadata",
    ),
]
_default_discovery = [
    path(
        "oauth2/default/.well-known/openid-configuration",
        views.openid_configuration,
        {"server_id": "default"},
        name="default-openid-configuration",
    ),
    path(
        "oauth2/default/.well-known/oauth-authorization-server",
        views.oauth_authorization_server,
        {"server_id": "default"},
        name="default-oauth-metadata",
    ),
]

_console = [
    path("console/", console.dashboard, name="dashboard"),
    path("console/families/<str:public_id>/", console.family_detail, name="family-detail"),
    path("console/families/<str:public_id>/revoke/", console.family_revoke, name="family-revoke"),
    path("console/security/authorization-servers/", console.server_list, name="server-list"),
    path("console/security/authorization-servers/<str:server_id>/rotate/", console.server_rotate, name="server-rotate"),
    path("console/system-log/", console.system_log, name="system-log"),
]

_device_activation = [
    path("activate", device_views.activate, name="device-activate"),
    path("activate/done", device_views.activate_done, name="device-activate-done"),
]

urlpatterns = (
    _server_patterns("oauth2/", "org", "org")
    + _server_patterns("oauth2/default/", "default", "default")
    + _org_discovery
    + _default_discovery
    + _device_activation
    + _console
)
