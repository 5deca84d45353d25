"""`/api/v1/users` routes (included by config/api_urls.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("users", api.UserListView.as_view(), name="user-list"),
    path("users/<str:user_id>", api.UserDetailView.as_view(), name="user-detail"),
    path("users/<str:user_id>/lifecycle/deactivate", api.UserDeactivateView.as_view(), name="user-deactivate"),
]
