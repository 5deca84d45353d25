"""`/api/v1/apps` routes (included by config/api_urls.py)."""

from django.urls import path

from . import api, assignment_api

urlpatterns = [
    path("apps", api.AppListView.as_view(), name="app-list"),
    path("apps/<str:app_id>", api.AppDetailView.as_view(), name="app-detail"),
    path("apps/<str:app_id>/lifecycle/activate", api.AppActivateView.as_view(), name="app-activate"),
    path("apps/<str:app_id>/lifecycle/deactivate", api.AppDeactivateView.as_view(), name="app-deactivate"),
    path("apps/<str:app_id>/credentials/secrets", api.AppSecretListView.as_view(), name="app-secrets"),
    path("apps/<str:app_id>/credentials/secrets/<str:secret_id>", api.AppSecretDetailView.as_view(), name="app-secret"),
    path(
        "apps/<str:app_id>/credentials/secrets/<str:secret_id>/lifecycle/activate",
        api.AppSecretActivateView.as_view(),
        name="app-secret-activate",
    ),
    path(
        "apps/<str:app_id>/credentials/secrets/<str:secret_id>/lifecycle/deactivate",
        api.AppSecretDeactivateView.as_view(),
        name="app-secret-deactivate",
    ),
    path("apps/<str:app_id>/credentials/jwks", api.AppKeyListView.as_view(), name="app-keys"),
    path("apps/<str:app_id>/credentials/jwks/<str:key_id>", api.AppKeyDetailView.as_view(), name="app-key"),
    path(
        "apps/<str:app_id>/credentials/jwks/<str:key_id>/lifecycle/activate",
        api.AppKeyActivateView.as_view(),
        name="app-key-activate",
    ),
    path(
        "apps/<str:app_id>/credentials/jwks/<str:key_id>/lifecycle/deactivate",
        api.AppKeyDeactivateView.as_view(),
        name="app-key-deactivate",
    ),
    path("apps/<str:app_id>/groups", assignment_api.AppGroupListView.as_view(), name="app-groups"),
    path("apps/<str:app_id>/groups/<str:group_id>", assignment_api.AppGroupView.as_view(), name="app-group"),
    path("groups/<str:group_id>/apps", assignment_api.GroupAppListView.as_view(), name="group-apps"),
    path("apps/<str:app_id>/users", assignment_api.AppUserListView.as_view(), name="app-users"),
    path("apps/<str:app_id>/users/<str:user_id>", assignment_api.AppUserView.as_view(), name="app-user"),
]
