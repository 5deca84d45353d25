"""Rate limits of the OAuth endpoints (/token, /revoke, /introspect, /device/authorize, /authorize),
per client id and per client IP, in one-minute windows counted by core/counters.py (Redis or the
database, shared by every worker and node).

Two kinds:

- **requests** (`ROTOR_OAUTH_RATE_LIMIT_PER_MINUTE`, `ROTOR_OAUTH_IP_RATE_LIMIT_PER_MINUTE`): generous,
  against floods;
- **failed client authentications** (`ROTOR_OAUTH_AUTH_FAILURES_PER_MINUTE`, `…_IP_…`): tight, against
  guessing secrets. Past the limit every request of that client id (or IP) gets 429 until the window
  ends, even with the right secret: otherwise a guesser would just keep going.

`check()` counts the request and reads the failure counters in one round trip, which a worker makes
only every `batch = limit // 1000` requests, every `ROTOR_OAUTH_LIMIT_SYNC_SECONDS`, or on every request
near a limit (core/counters.py, `Batched`: the flood limits may be overshot by workers × nodes ×
(batch − 1) requests a window); nothing when every limit is 0. Failures are counted at once, so the
worker that counted the last one refuses the next request, and every other within the sync seconds.
The client id is the one *presented*, before anyone checked it, so a flood of unknown ids is limited
per IP. Repeated `app.oauth2.invalid_client_credentials` events of one client are aggregated per window
(`record_invalid_client()`), so a flood writes one row per minute.
"""

import base64
import logging
import time
import uuid
from dataclasses import dataclass
from urllib.parse import unquote_plus

import jwt
from django.conf import settings
from django.db import IntegrityError, transaction

from core import counters
from core.clientip import client_ip
from core.ops.metrics import record_rate_limited
from core.systemlog import recording, types
from core.systemlog.audit import Audit
from core.systemlog.models import Event

from .errors import OAuthError

WINDOW_SECONDS = 60
MAX_CLIENT_ID = 255  # longer ids name no app (client_auth.find_client); hash at most this much
TOO_MANY_REQUESTS = "API call exceeded rate limit due to too many requests."
TOO_MANY_FAILURES = "Too many failed client authentications. Try again after the time in Retry-After."
_EVENT_IDS = uuid.UUID("0b6f7d0e-6f0c-4d7e-9a43-3c1d2b8e5a11")  # namespace of the aggregated events' uuids

log = logging.getLogger(__name__)


def _now() -> float:
    """The limiter's clock (tests move it to hold a window still)."""
    return time.time()


@dataclass(frozen=True)
class Caller:
    """Who a request says it is: the client id it presents (unverified; "" for none) and its IP."""

    client_id: str
    ip: str


def caller(request, params) -> Caller:
    """The presented client id: HTTP Basic's, else the `client_id` parameter, and the client's IP
    (core/clientip.py). Never raises: a malformed header is client_auth's to refuse, and is counted
    per IP meanwhile."""
    client_id = ""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header[:6].lower() == "basic ":
        try:
            client_id = unquote_plus(base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")[0])
        except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
            client_id = ""
    if not client_id:
        client_id = params.get("client_id") or _assertion_subject(params.get("client_assertion"))
    return Caller(client_id=client_id[:MAX_CLIENT_ID], ip=client_ip(request))


def _assertion_subject(assertion) -> str:
    """The `sub` a client assertion claims, unverified: whom to count its failures against."""
    if not assertion or len(assertion) > 16 * 1024:
        return ""
    try:
        subject = jwt.decode(assertion, options={"verify_signature": False}).get("sub")
    except jwt.PyJWTError:
        return ""
    return subject if isinstance(subject, str) else ""


class RateLimited(OAuthError):
    """429 with Retry-After and Okta's X-Rate-Limit-* headers; RFC 6749's body (`slow_down`)."""

    def __init__(self, description: str, limit: int, now: float, *, kind: str):
        self.kind = kind  # "requests" or "auth_failures": which limit refused it (rotor_rate_limited_total)
        reset = int(now) - int(now) % WINDOW_SECONDS + WINDOW_SECONDS
        super().__init__(
            "slow_down",
            description,
            status=429,
            headers={
                "Retry-After": str(max(1, reset - int(now))),
                "X-Rate-Limit-Limit": str(limit),
                "X-Rate-Limit-Remaining": "0",
                "X-Rate-Limit-Reset": str(reset),
            },
        )


def enabled() -> bool:
    """Whether any limit is on (when none is, the endpoints skip the limiter entirely)."""
    return bool(
        settings.ROTOR_OAUTH_RATE_LIMIT_PER_MINUTE
        or settings.ROTOR_OAUTH_IP_RATE_LIMIT_PER_MINUTE
        or settings.ROTOR_OAUTH_AUTH_FAILURES_PER_MINUTE
        or settings.ROTOR_OAUTH_IP_AUTH_FAILURES_PER_MINUTE
    )


def _limits(who: Caller):
    """(scope, subject, limit) of each limit that applies: requests first, then failures."""
    requests = [
        ("oauth-client", who.client_id, settings.ROTOR_OAUTH_RATE_LIMIT_PER_MINUTE),
        ("oauth-ip", who.ip, settings.ROTOR_OAUTH_IP_RATE_LIMIT_PER_MINUTE),
    ]
    failures = [
        ("oauth-fail-client", who.client_id, settings.ROTOR_OAUTH_AUTH_FAILURES_PER_MINUTE),
        ("oauth-fail-ip", who.ip, settings.ROTOR_OAUTH_IP_AUTH_FAILURES_PER_MINUTE),
    ]

    def live(rows):
        return [row for row in rows if row[2] > 0 and (row[1] or row[0].endswith("ip"))]

    return live(requests), live(failures)


def check(who: Caller) -> None:
    """Count this request and raise RateLimited if it is over a limit, or its client id or IP is
    over the failure limit. At most one round trip; fails open (logged) when Redis is unreachable."""
    requests, failures = _limits(who)
    if not requests and not failures:
        return
    now = _now()
    try:
        counts = counters.count_batched(
            [((s, k), limit) for s, k, limit in requests],
            [(s, k) for s, k, _ in failures],
            window_seconds=WINDOW_SECONDS,
            sync_seconds=settings.ROTOR_OAUTH_LIMIT_SYNC_SECONDS,
            now=now,
        )
    except counters.Unavailable:
        log.exception("OAuth rate limits not applied: the counter store is unreachable")
        return
    for (_, _, limit), seen in zip(failures, counts[len(requests) :], strict=True):
        if seen >= limit:
            raise RateLimited(TOO_MANY_FAILURES, limit, now, kind="auth_failures")
    for (_, _, limit), seen in zip(requests, counts[: len(requests)], strict=True):
        if seen > limit:
            raise RateLimited(TOO_MANY_REQUESTS, limit, now, kind="requests")


def refusal(request, params) -> RateLimited | None:
    """check() for a view that answers a page rather than raising (/authorize)."""
    if not enabled():
        return None
    try:
        check(caller(request, params))
    except RateLimited as exc:
        record_rate_limited("authorize", exc.kind)
        return exc
    return None


def failed(who: Caller) -> None:
    """Count a failed client authentication (any invalid_client answer) for the client id and the IP, at
    once: this worker's next check() sees the count."""
    _, failures = _limits(who)
    if failures:
        try:
            counters.count([(s, k) for s, k, _ in failures], window_seconds=WINDOW_SECONDS, now=_now())
        except counters.Unavailable:
            log.exception("OAuth failure limits not counted: the counter store is unreachable")


def record_invalid_client(app, audit: Audit) -> None:
    """`app.oauth2.invalid_client_credentials`, one event per client and window: the first failure writes
    it, later ones only raise its `debugContext.debugData.failures` (how many in the window so far).
    Independent of the limits, so a flood writes O(1) rows even with every limit off."""
    now = _now()
    start = counters.window_start(WINDOW_SECONDS, now)
    try:
        seen = counters.hit("oauth-invalid-client-event", app.client_id, window_seconds=WINDOW_SECONDS, now=now)
    except counters.Unavailable:
        seen = 1  # cannot tell: write (or update) the window's event
    debug = {
        "failures": seen,
        "windowStart": start.isoformat().replace("+00:00", "Z"),
        "windowSeconds": WINDOW_SECONDS,
        "aggregated": "one event per client and window; failures counts them",
    }
    event_id = uuid.uuid5(_EVENT_IDS, f"{app.client_id}:{int(start.timestamp())}")
    # A row of its own (`issued` empty): its uuid is unique there (core/systemlog/models.py).
    window = Event.objects.filter(uuid=event_id, issued="")
    if seen > 1 and (window.filter(debug_data__failures__lt=seen).update(debug_data=debug) or window.exists()):
        return
    row = recording.columns(
        types.INVALID_CLIENT,
        "Client authentication failed",
        audit=audit,
        result="FAILURE",
        reason="invalid_client_credentials",
        actor=recording.app_ref(app),
        app=app,
        debug=debug,
    )
    row["uuid"] = event_id
    try:
        with transaction.atomic():
            Event.objects.create(**row)
    except IntegrityError:  # a concurrent first failure, or counters that restarted (Redis flushed)
        window.filter(debug_data__failures__lt=seen).update(debug_data=debug)
