"""What operators see of the OAuth endpoints: latency, token outcomes, one log line per request;
and tokens' parts of `/readyz` and `/metrics` (core/ops reads them from settings).

`observed()` wraps each endpoint's view where tokens/urls.py registers it, so no endpoint module
carries instrumentation: it times the view, counts the token endpoint's outcome (from the error
body an OAuthError became, or "issued") and, when LOG_FORMAT=json, writes one line of
whitelisted fields. The request's secrets are never read here except the Basic header's client
id half.
"""

import base64
import functools
import logging
import re
from time import perf_counter
from urllib.parse import unquote

from cryptography.fernet import InvalidToken
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from clients.models import GRANT_AUTHORIZATION_CODE, GRANT_CLIENT_CREDENTIALS, GRANT_DEVICE_CODE, GRANT_REFRESH_TOKEN
from core.ops import metrics
from core.ops.health import NotReady
from core.ops.jsonlog import REQUEST_LOGGER
from tokens.models import SigningKey

from .servers import keys
from .servers.registry import DEFAULT, ORG, all_servers

request_log = logging.getLogger(REQUEST_LOGGER)

_GRANTS = {GRANT_AUTHORIZATION_CODE, GRANT_CLIENT_CREDENTIALS, GRANT_DEVICE_CODE, GRANT_REFRESH_TOKEN}
_CHALLENGE_ERROR = re.compile(r'error="([a-z_]+)"')


def _outcome(endpoint: str, response) -> str:
    """The error code of an error answer, else "issued" (token) or "ok"."""
    if response is None:
        return "server_error"
    if response.status_code < 400:
        return "issued" if endpoint == "token" else "ok"
    data = getattr(response, "data", None)  # DRF's Response: an OAuthError's body
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return data["error"]
    found = _CHALLENGE_ERROR.search(response.get("WWW-Authenticate", ""))  # userinfo
    return found.group(1) if found else "error"


def _form(request) -> dict:
    """The form the view parsed (DRF hands it back to the request); nothing for other bodies,
    which are never parsed here."""
    if request.content_type != "application/x-www-form-urlencoded":
        return {}
    try:
        return request.POST
    except Exception:  # an unreadable body: the view has answered it already
        return {}


def _grant_type(request) -> str:
    value = _form(request).get("grant_type")
    if not value:
        return "none"
    return value if value in _GRANTS else "unsupported"


def _client_id(request) -> str | None:
    """The client id the request names (body, query or Basic header), for the log only."""
    found = _form(request).get("client_id") or request.GET.get("client_id")
    scheme, _, encoded = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if not found and scheme.lower() == "basic":
        try:
            found = unquote(base64.b64decode(encoded.strip(), validate=True).decode().partition(":")[0])
        except ValueError:
            found = None
    return found[:128] if found else None


def observed(endpoint: str, view):
    """`view` timed into rotor_request_duration_seconds{endpoint}; the token endpoint's outcomes
    counted; one JSON log line per request when the request logger is on."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        started = perf_counter()
        response = None
        try:
            response = view(request, *args, **kwargs)
            return response
        finally:
            seconds = perf_counter() - started
            metrics.observe(endpoint, seconds)
            if endpoint == "token":
                grant_type = _grant_type(request)
                outcome = _outcome(endpoint, response)
                metrics.token_request(grant_type, outcome)
            if request_log.isEnabledFor(logging.INFO):
                _log(endpoint, request, response, seconds, kwargs.get("server_id"))

    return wrapper


def _log(endpoint: str, request, response, seconds: float, server_id: str | None) -> None:
    fields = {
        "endpoint": endpoint,
        "server": server_id,
        "method": request.method,
        "grant_type": _grant_type(request) if endpoint == "token" else None,
        "client_id": _client_id(request),
        "outcome": _outcome(endpoint, response),
        "status": response.status_code if response is not None else 500,
        "duration_ms": round(seconds * 1000, 3),
    }
    request_log.info("%s %s", endpoint, fields["outcome"], extra=fields)


def prime_metrics() -> None:
    """Every series an alert or a dashboard reads, at 0 from the start."""
    metrics.prime(metrics.REFRESHES, *[(o,) for o in metrics.REFRESH_OUTCOMES])
    metrics.prime(metrics.REUSE_DETECTED, (ORG,), (DEFAULT,))  # other servers' series start at their first reuse
    metrics.prime(metrics.TOKEN_REQUESTS, *[(g, "issued") for g in sorted(_GRANTS)])


# --- /readyz and /metrics -----------------------------------------------------------------------


def signing_keys() -> list[str]:
    """Readiness: every server's ACTIVE key decrypts (through the per-process key cache)."""
    checked = []
    for server in all_servers():
        try:
            keys.signing_key(server.id)
        except InvalidToken as exc:
            raise NotReady(
                f"the ACTIVE signing key of server '{server.id}' cannot be decrypted "
                "(is ROTOR_KEY_ENCRYPTION_SECRET the one it was encrypted with?)"
            ) from exc
        except Exception as exc:
            reason = f"the ACTIVE signing key of server '{server.id}' cannot be loaded ({type(exc).__name__})"
            raise NotReady(reason) from exc
        checked.append(server.id)
    return checked


class KeyAgeCollector:
    """rotor_signing_key_age_seconds{server}: how long each server's ACTIVE key has been signing,
    read at scrape time (one query), so it is right whichever worker answers the scrape."""

    def collect(self):
        gauge = GaugeMetricFamily(
            "rotor_signing_key_age_seconds", "Seconds since the ACTIVE signing key was made.", labels=["server"]
        )
        now = timezone.now()
        active = SigningKey.objects.filter(status=SigningKey.Status.ACTIVE).values_list("server", "created")
        for server, created in active.order_by("server"):
            gauge.add_metric([server], (now - created).total_seconds())
        yield gauge
