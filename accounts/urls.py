from django.urls import path

from . import console, group_console, views

app_name = "accounts"
_USER = "console/users/<str:uid>"
_GROUP = "console/groups/<str:public_id>"
urlpatterns = [
    # End-user sign-in (the authorize flow's login page).
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/logout/", views.SignOutView.as_view(), name="logout"),
    path("accounts/password/new/", views.password_change_required, name="password-change-required"),
    # Developer console: admin sign-in, users and API tokens.
    path("console/login/", console.ConsoleLoginView.as_view(), name="console-login"),
    path("console/logout/", console.ConsoleLogoutView.as_view(), name="console-logout"),
    path("console/users/", console.user_list, name="user-list"),
    path("console/users/new/", console.user_create, name="user-create"),
    path(f"{_USER}/", console.user_detail, name="user-detail"),
    path(f"{_USER}/deactivate/", console.user_deactivate, name="user-deactivate"),
    path(f"{_USER}/activate/", console.user_activate, name="user-activate"),
    path(f"{_USER}/delete/", console.user_delete, name="user-delete"),
    path(f"{_USER}/unlock/", console.user_unlock, name="user-unlock"),
    path(f"{_USER}/edit/", console.user_edit, name="user-edit"),
    path(f"{_USER}/password/", console.user_reset_password, name="user-reset-password"),
    path(f"{_USER}/sign-out/", console.user_sign_out, name="user-sign-out"),
    path(f"{_USER}/revoke-tokens/", console.user_revoke_tokens, name="user-revoke-tokens"),
    path("console/groups/", group_console.group_list, name="group-list"),
    path("console/groups/new/", group_console.group_create, name="group-create"),
    path(f"{_GROUP}/", group_console.group_detail, name="group-detail"),
    path(f"{_GROUP}/edit/", group_console.group_edit, name="group-edit"),
    path(f"{_GROUP}/delete/", group_console.group_delete, name="group-delete"),
    path(f"{_GROUP}/members/", group_console.group_member_add, name="group-member-add"),
    path(f"{_GROUP}/members/<str:uid>/remove/", group_console.group_member_remove, name="group-member-remove"),
    path("console/security/api-tokens/", console.api_token_list, name="api-token-list"),
    path("console/security/api-tokens/<int:pk>/revoke/", console.api_token_revoke, name="api-token-revoke"),
]
