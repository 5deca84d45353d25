from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("config.api_urls")),
    path("", include("core.ops.urls")),  # /healthz, /readyz, /metrics
    path("", include("tokens.urls")),
    path("", include("accounts.urls")),
    path("", include("clients.urls")),
]
