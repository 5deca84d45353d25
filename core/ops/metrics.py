"""Every metric Rotor exports, defined once, and the `/metrics` view.

Under gunicorn the values live in per-process mmap files in PROMETHEUS_MULTIPROC_DIR
(config/gunicorn.py sets it up), so one scrape sums every worker, the dead ones' counters
included. Without it (runserver, tests) they live in this process's memory.

Hot-path cost: the record functions reuse label children from a dict, because
`.labels()` costs more than the increment itself; an increment is one lock and one
write into an mmap, no SQL and no system call (bench/metrics_cost.py measures it).
"""

import hmac
import ipaddress
import logging
import os
from functools import lru_cache

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils.module_loading import import_string
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from core.clientip import client_ip

logger = logging.getLogger(__name__)
disable_created_metrics()  # no `_created` twin per series; multi-process mode never exports them anyway

TOKEN_REQUESTS = Counter(
    "rotor_token_requests", "Token endpoint requests by grant type and outcome.", ["grant_type", "outcome"]
)
REFRESHES = Counter("rotor_refresh", "Refresh-token grants by what happened to the token.", ["outcome"])
REUSE_DETECTED = Counter(
    "rotor_refresh_reuse_detected", "Replays of a rotated refresh token that revoked its family.", ["server"]
)
LATENCY = Histogram(
    "rotor_request_duration_seconds",
    "Time the view of an OAuth endpoint took, per endpoint.",
    ["endpoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
PURGED = Counter("rotor_purge_deleted", "Rows purgetokens deleted, per kind.", ["kind"])
RATE_LIMITED = Counter("rotor_rate_limited", "Requests refused by a rate limit.", ["endpoint", "kind"])

REFRESH_OUTCOMES = ("rotated", "persistent", "grace", "reuse_detected", "invalid")

_children: dict[tuple, object] = {}


def child(metric, *labels: str):
    """The metric's child for these label values, made once per process."""
    key = (metric, labels)
    found = _children.get(key)
    if found is None:
        found = _children[key] = metric.labels(*labels)
    return found


def token_request(grant_type: str, outcome: str) -> None:
    child(TOKEN_REQUESTS, grant_type, outcome).inc()


def refresh(outcome: str) -> None:
    """One refresh grant's outcome, one of REFRESH_OUTCOMES."""
    child(REFRESHES, outcome).inc()


def reuse_detected(server_id: str) -> None:
    child(REUSE_DETECTED, server_id).inc()


def observe(endpoint: str, seconds: float) -> None:
    child(LATENCY, endpoint).observe(seconds)


def purged(kind: str, rows: int) -> None:
    child(PURGED, kind).inc(rows)


def record_rate_limited(endpoint: str, kind: str) -> None:
    """A request a rate limit refused: `endpoint` (e.g. "token"), `kind` (what was limited, e.g. "client")."""
    child(RATE_LIMITED, endpoint, kind).inc()


def prime(metric, *label_rows: tuple[str, ...]) -> None:
    """Create these series at 0, so `increase()` sees their first event (the reuse alert needs it)."""
    for labels in label_rows:
        child(metric, *labels)


# --- the scrape ---------------------------------------------------------------------------------


class _Scrape:
    """What one scrape reports: every process's metrics, then the scrape-time collectors."""

    def collect(self):
        path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        yield from (MultiProcessCollector(None, path=path) if path else REGISTRY).collect()
        for dotted in settings.ROTOR_METRICS_COLLECTORS:
            try:
                yield from list(import_string(dotted)().collect())
            except Exception:  # a database outage must not blind the other metrics
                logger.exception("metrics collector %s failed", dotted)


@lru_cache(maxsize=8)
def _networks(allow: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(item, strict=False) for item in allow)


def allowed(remote_addr: str, allow: list[str]) -> bool:
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    return any(address in network for network in _networks(tuple(allow)))


def access(request) -> int | None:
    """None if the request may scrape, else the status to answer: 404 when metrics are off
    (neither a token nor an allow-list is set), 403 from outside the allow-list, 401 without
    the token. With both set, both are required."""
    token, allow = settings.ROTOR_METRICS_TOKEN, settings.ROTOR_METRICS_ALLOW
    if not token and not allow:
        return 404
    if allow and not allowed(client_ip(request), allow):
        return 403
    if token:
        scheme, _, presented = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), token.encode()):
            return 401
    return None


def metrics_view(request):
    refused = access(request)
    if refused == 404:
        raise Http404
    if refused:
        response = HttpResponse(status=refused)
        if refused == 401:
            response["WWW-Authenticate"] = 'Bearer realm="rotor-metrics"'
        return response
    return HttpResponse(generate_latest(_Scrape()), content_type=CONTENT_TYPE_LATEST)
