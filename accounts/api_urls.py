"""`/api/v1/users` routes (included by config/api_urls.py)."""

from django.urls import path

from . import api, group_api

urlpatterns = [
    path("users", api.UserListView.as_view(), name="user-list"),
    path("users/<str:user_id>", api.UserDetailView.as_view(), name="user-detail"),
    path("users/<str:user_id>/lifecycle/deactivate", api.UserDeactivateView.as_view(), name="user-deactivate"),
    path("users/<str:user_id>/groups", group_api.UserGroupListView.as_view(), name="user-groups"),
    path("groups", group_api.GroupListView.as_view(), name="group-list"),
    path("groups/<str:group_id>", group_api.GroupDetailView.as_view(), name="group-detail"),
    path("groups/<str:group_id>/users", group_api.GroupUserListView.as_view(), name="group-users"),
    path("groups/<str:group_id>/users/<str:user_id>", group_api.GroupMemberView.as_view(), name="group-member"),
]
