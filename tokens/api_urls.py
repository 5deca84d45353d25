"""`/api/v1` routes for tokens (per app, per user and client) and signing keys."""

from django.urls import path

from . import api
from .servers import api as servers

AS = "authorizationServers/<str:server_id>"
POLICY = AS + "/policies/<str:policy_id>"
RULE = POLICY + "/rules/<str:rule_id>"

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
    path("authorizationServers", servers.ServerListView.as_view(), name="server-list"),
    path(AS, servers.ServerDetailView.as_view(), name="server-detail"),
    path(AS + "/lifecycle/activate", servers.ServerActivateView.as_view(), name="server-activate"),
    path(AS + "/lifecycle/deactivate", servers.ServerDeactivateView.as_view(), name="server-deactivate"),
    path(AS + "/scopes", servers.ScopeListView.as_view(), name="scope-list"),
    path(AS + "/scopes/<str:scope_id>", servers.ScopeDetailView.as_view(), name="scope-detail"),
    path(AS + "/claims", servers.ClaimListView.as_view(), name="claim-list"),
    path(AS + "/claims/<str:claim_id>", servers.ClaimDetailView.as_view(), name="claim-detail"),
    path(AS + "/policies", servers.PolicyListView.as_view(), name="policy-list"),
    path(POLICY, servers.PolicyDetailView.as_view(), name="policy-detail"),
    path(POLICY + "/lifecycle/activate", servers.PolicyActivateView.as_view(), name="policy-activate"),
    path(POLICY + "/lifecycle/deactivate", servers.PolicyDeactivateView.as_view(), name="policy-deactivate"),
    path(POLICY + "/rules", servers.RuleListView.as_view(), name="rule-list"),
    path(RULE, servers.RuleDetailView.as_view(), name="rule-detail"),
    path(RULE + "/lifecycle/activate", servers.RuleActivateView.as_view(), name="rule-activate"),
    path(RULE + "/lifecycle/deactivate", servers.RuleDeactivateView.as_view(), name="rule-deactivate"),
    path("authorizationServers/<str:server_id>/credentials/keys", api.KeysView.as_view(), name="keys"),
    path(AS + "/credentials/keys/<str:key_id>", api.KeyView.as_view(), name="key"),
    path(
        "authorizationServers/<str:server_id>/credentials/lifecycle/keyRotate",
        api.KeyRotateView.as_view(),
        name="key-rotate",
    ),
]
