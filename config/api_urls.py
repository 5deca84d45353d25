"""The management API under /api/v1/ (Okta's paths, no trailing slashes): each app's routes,
the system log, the OpenAPI document, and Okta's 404 for anything else."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularJSONAPIView

from core.api.views import NotFoundView
from core.systemlog.api import LogsView

app_name = "api"
urlpatterns = [
    path("", include("clients.api_urls")),
    path("", include("accounts.api_urls")),
    path("", include("tokens.api_urls")),
    path("logs", LogsView.as_view(), name="logs"),
    path("schema", SpectacularJSONAPIView.as_view(), name="schema"),
    re_path(r"^.*$", NotFoundView.as_view(), name="not-found"),
]
