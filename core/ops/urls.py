"""The operators' endpoints. `ops_paths()` lists them for config/wsgi.py, which serves them with
the lean middleware like the OAuth endpoints: probes and scrapers send no cookies."""

from django.urls import path

from .health import healthz, readyz
from .metrics import metrics_view

_ENDPOINTS = [("healthz", healthz), ("readyz", readyz), ("metrics", metrics_view)]

urlpatterns = [path(route, view, name=route) for route, view in _ENDPOINTS]


def ops_paths() -> list[str]:
    return [f"/{route}" for route, _view in _ENDPOINTS]
