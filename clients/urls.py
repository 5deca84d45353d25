from django.urls import path

from . import assignment_views, views

app_name = "clients"
urlpatterns = [
    path("console/apps/", views.app_list, name="app-list"),
    path("console/apps/new/", views.app_create_pick, name="app-create-pick"),
    path("console/apps/new/<str:app_type>/", views.app_create, name="app-create"),
    path("console/apps/<str:public_id>/", views.app_detail, name="app-detail"),
    path("console/apps/<str:public_id>/edit/", views.app_edit, name="app-edit"),
    path("console/apps/<str:public_id>/trusted-origins/", views.app_trust_origin, name="app-trust-origin"),
    path("console/apps/<str:public_id>/secret/", views.app_secret_create, name="app-secret-create"),
    path(
        "console/apps/<str:public_id>/secrets/<str:secret_id>/activate/",
        views.app_secret_activate,
        name="app-secret-activate",
    ),
    path(
        "console/apps/<str:public_id>/secrets/<str:secret_id>/deactivate/",
        views.app_secret_deactivate,
        name="app-secret-deactivate",
    ),
    path(
        "console/apps/<str:public_id>/secrets/<str:secret_id>/delete/",
        views.app_secret_delete,
        name="app-secret-delete",
    ),
    path("console/apps/<str:public_id>/keys/", views.app_key_add, name="app-key-add"),
    path("console/apps/<str:public_id>/keys/<str:key_id>/activate/", views.app_key_activate, name="app-key-activate"),
    path(
        "console/apps/<str:public_id>/keys/<str:key_id>/deactivate/",
        views.app_key_deactivate,
        name="app-key-deactivate",
    ),
    path("console/apps/<str:public_id>/keys/<str:key_id>/delete/", views.app_key_delete, name="app-key-delete"),
    path("console/apps/<str:public_id>/activate/", views.app_activate, name="app-activate"),
    path("console/apps/<str:public_id>/deactivate/", views.app_deactivate, name="app-deactivate"),
    path("console/apps/<str:public_id>/delete/", views.app_delete, name="app-delete"),
    path("console/apps/<str:public_id>/assignments/", assignment_views.assignments_tab, name="app-assignments"),
    path("console/apps/<str:public_id>/assignments/groups/", assignment_views.assign_group, name="app-assign-group"),
    path(
        "console/apps/<str:public_id>/assignments/groups/<str:group_id>/remove/",
        assignment_views.unassign_group,
        name="app-unassign-group",
    ),
    path("console/apps/<str:public_id>/assignments/users/", assignment_views.assign_user, name="app-assign-user"),
    path(
        "console/apps/<str:public_id>/assignments/users/<str:uid>/remove/",
        assignment_views.unassign_user,
        name="app-unassign-user",
    ),
    path("console/apps/<str:public_id>/tokens/", views.app_tokens, name="app-tokens"),
    path("console/apps/<str:public_id>/tokens/revoke/", views.app_tokens_revoke_all, name="app-tokens-revoke"),
]
