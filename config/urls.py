from django.conf import settings
from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("config.api_urls")),
    path("", include("core.ops.urls")),  # /healthz, /readyz, /metrics
    path("", include("tokens.urls")),
    path("", include("accounts.urls")),
    path("", include("clients.urls")),
]

if settings.ROTOR_DEMO:  # the try-it demo app; not registered at all when off, so /demo/ is a 404
    urlpatterns.append(path("demo/", include("demo.urls")))
