"""`/api/v1/apps` routes (included by config/api_urls.py)."""

from django.urls import path

from . import api, assignment_api

_APP = "apps/<str:app_id>"
_SECRET = f"{_APP}/credentials/secrets/<str:secret_id>"
_KEY = f"{_APP}/credentials/jwks/<str:key_id>"
urlpatterns = [
    path("apps", api.AppListView.as_view(), name="app-list"),
    path(_APP, api.AppDetailView.as_view(), name="app-detail"),
    path(f"{_APP}/lifecycle/activate", api.AppActivateView.as_view(), name="app-activate"),
    path(f"{_APP}/lifecycle/deactivate", api.AppDeactivateView.as_view(), name="app-deactivate"),
    path(f"{_APP}/credentials/secrets", api.AppSecretListView.as_view(), name="app-secrets"),
    path(_SECRET, api.AppSecretDetailView.as_view(), name="app-secret"),
    path(f"{_SECRET}/lifecycle/activate", api.AppSecretActivateView.as_view(), name="app-secret-activate"),
    path(f"{_SECRET}/lifecycle/deactivate", api.AppSecretDeactivateView.as_view(), name="app-secret-deactivate"),
    path(f"{_APP}/credentials/jwks", api.AppKeyListView.as_view(), name="app-keys"),
    path(_KEY, api.AppKeyDetailView.as_view(), name="app-key"),
    path(f"{_KEY}/lifecycle/activate", api.AppKeyActivateView.as_view(), name="app-key-activate"),
    path(f"{_KEY}/lifecycle/deactivate", api.AppKeyDeactivateView.as_view(), name="app-key-deactivate"),
    path(f"{_APP}/groups", assignment_api.AppGroupListView.as_view(), name="app-groups"),
    path(f"{_APP}/groups/<str:group_id>", assignment_api.AppGroupView.as_view(), name="app-group"),
    path("groups/<str:group_id>/apps", assignment_api.GroupAppListView.as_view(), name="group-apps"),
    path(f"{_APP}/users", assignment_api.AppUserListView.as_view(), name="app-users"),
    path(f"{_APP}/users/<str:user_id>", assignment_api.AppUserView.as_view(), name="app-user"),
]
