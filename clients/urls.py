from django.urls import path

from . import assignment_views, views

app_name = "clients"
_APP = "console/apps/<str:public_id>"
urlpatterns = [
    path("console/apps/", views.app_list, name="app-list"),
    path("console/apps/new/", views.app_create_pick, name="app-create-pick"),
    path("console/apps/new/<str:app_type>/", views.app_create, name="app-create"),
    path(f"{_APP}/", views.app_detail, name="app-detail"),
    path(f"{_APP}/edit/", views.app_edit, name="app-edit"),
    path(f"{_APP}/trusted-origins/", views.app_trust_origin, name="app-trust-origin"),
    path(f"{_APP}/secret/", views.app_secret_create, name="app-secret-create"),
    path(f"{_APP}/secrets/<str:secret_id>/activate/", views.app_secret_activate, name="app-secret-activate"),
    path(f"{_APP}/secrets/<str:secret_id>/deactivate/", views.app_secret_deactivate, name="app-secret-deactivate"),
    path(f"{_APP}/secrets/<str:secret_id>/delete/", views.app_secret_delete, name="app-secret-delete"),
    path(f"{_APP}/keys/", views.app_key_add, name="app-key-add"),
    path(f"{_APP}/keys/<str:key_id>/activate/", views.app_key_activate, name="app-key-activate"),
    path(f"{_APP}/keys/<str:key_id>/deactivate/", views.app_key_deactivate, name="app-key-deactivate"),
    path(f"{_APP}/keys/<str:key_id>/delete/", views.app_key_delete, name="app-key-delete"),
    path(f"{_APP}/activate/", views.app_activate, name="app-activate"),
    path(f"{_APP}/deactivate/", views.app_deactivate, name="app-deactivate"),
    path(f"{_APP}/delete/", views.app_delete, name="app-delete"),
    path(f"{_APP}/assignments/", assignment_views.assignments_tab, name="app-assignments"),
    path(f"{_APP}/assignments/groups/", assignment_views.assign_group, name="app-assign-group"),
    path(
        f"{_APP}/assignments/groups/<str:group_id>/remove/", assignment_views.unassign_group, name="app-unassign-group"
    ),
    path(f"{_APP}/assignments/users/", assignment_views.assign_user, name="app-assign-user"),
    path(f"{_APP}/assignments/users/<str:uid>/remove/", assignment_views.unassign_user, name="app-unassign-user"),
    path(f"{_APP}/tokens/", views.app_tokens, name="app-tokens"),
    path(f"{_APP}/tokens/revoke/", views.app_tokens_revoke_all, name="app-tokens-revoke"),
]
