"""Every route of the management API under /api/v1/ (Okta's paths, no trailing slashes)."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularJSONAPIView

from accounts import api as users
from tokens import api as tokens

from . import api as apps
from .api_base import NotFoundView

app_name = "api"
urlpatterns = [
    path("apps", apps.AppListView.as_view(), name="app-list"),
    path("apps/<str:app_id>", apps.AppDetailView.as_view(), name="app-detail"),
    path("apps/<str:app_id>/lifecycle/activate", apps.AppActivateView.as_view(), name="app-activate"),
    path("apps/<str:app_id>/lifecycle/deactivate", apps.AppDeactivateView.as_view(), name="app-deactivate"),
    path("apps/<str:app_id>/credentials/secrets", apps.AppSecretView.as_view(), name="app-secrets"),
    path("apps/<str:app_id>/tokens", tokens.AppTokensView.as_view(), name="app-tokens"),
    path("apps/<str:app_id>/tokens/<str:token_id>", tokens.AppTokenView.as_view(), name="app-token"),
    path("users", users.UserListView.as_view(), name="user-list"),
    path("users/<str:user_id>", users.UserDetailView.as_view(), name="user-detail"),
    path("users/<str:user_id>/lifecycle/deactivate", users.UserDeactivateView.as_view(), name="user-deactivate"),
    path("users/<str:user_id>/clients", tokens.UserClientsView.as_view(), name="user-clients"),
    path(
        "users/<str:user_id>/clients/<str:client_id>/tokens",
        tokens.UserClientTokensView.as_view(),
        name="user-client-tokens",
    ),
    path(
        "users/<str:user_id>/clients/<str:client_id>/tokens/<str:token_id>",
        tokens.UserClientTokenView.as_view(),
        name="user-client-token",
    ),
    path("authorizationServers/<str:server_id>/credentials/keys", tokens.KeysView.as_view(), name="keys"),
    path(
        "authorizationServers/<str:server_id>/credentials/lifecycle/keyRotate",
        tokens.KeyRotateView.as_view(),
        name="key-rotate",
    ),
    path("logs", tokens.LogsView.as_view(), name="logs"),
    path("schema", SpectacularJSONAPIView.as_view(), name="schema"),
    re_path(r"^.*$", NotFoundView.as_view(), name="not-found"),
]
