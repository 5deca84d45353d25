"""`/api/v1` routes for tokens (per app, per user and client) and signing keys."""

from django.urls import path

from . import api

urlpatterns = [
    path("apps/<str:app_id>/tokens", api.AppTokensView.as_view(), name="app-tokens"),
    path("apps/<str:app_id>/tokens/<str:token_id>", api.AppTokenView.as_view(), name="app-token"),
    path("users/<str:user_id>/clients", api.UserClientsView.as_view(), name="user-clients"),
    path(
        "users/<str:user_id>/clients/<str:client_id>/tokens",
        api.UserClientTokensView.as_view(),
        name="user-client-tokens",
    ),
    path(
        "users/<str:user_id>/clients/<str:client_id>/tokens/<str:token_id>",
        api.UserClientTokenView.as_view(),
        name="user-client-token",
    ),
    path("authorizationServers/<str:server_id>/credentials/keys", api.KeysView.as_view(), name="keys"),
    path(
        "authorizationServers/<str:server_id>/credentials/lifecycle/keyRotate",
        api.KeyRotateView.as_view(),
        name="key-rotate",
    ),
]
