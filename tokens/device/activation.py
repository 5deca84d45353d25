"""The device authorization grant (RFC 8628), the user's side: at `/activate` a signed-in user
enters the code the device shows, reviews the request and approves or denies it, exactly once.

Guessing is bounded per signed-in user and per session: every code lookup first takes a slot in
both fixed-window counters, so it stops at the limit however many requests run at once, and a
lookup that finds a live code gives its slots back. The per-IP counter counts only wrong codes,
and only behind a trusted proxy (core/clientip.py): it turns further failures from that address
into 429s, but never refuses a live code, so one person guessing behind a NAT cannot lock out
everyone else there.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from core import counters
from core.systemlog import recording, types
from core.systemlog.audit import SYSTEM, Audit
from tokens.models import DeviceCode
from tokens.servers.registry import any_server

from .grant import APPROVED, DENIED, PENDING, hash_user_code, normalize_user_code

# The user's side (/activate) ------------------------------------------------------------------------


class ActivationError(Exception):
    """Why a code entered at /activate was not accepted; `message` is shown to the user as is."""

    INVALID = "That code didn't work. Check the code shown on your device and try again."
    USED = "That code has expired or has already been used. Start again on your device to get a new code."
    TOO_MANY = "Too many attempts. Wait a few minutes, then try again."

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Attempt:
    """Who is entering codes: the signed-in user and the browser session, each with a limit on
    lookups, and the client IP when a trusted proxy vouched for it (None: no per-IP limit)."""

    user_key: str
    session_key: str
    ip: str | None = None

    def _limits(self):
        return [
            ("activate-user", self.user_key, settings.ROTOR_ACTIVATE_ATTEMPTS_PER_USER),
            ("activate-session", self.session_key, settings.ROTOR_ACTIVATE_ATTEMPTS_PER_SESSION),
        ]

    def reserve(self) -> bool:
        """Take a slot per user and per session before a lookup; False (nothing taken) at a limit."""
        window = settings.ROTOR_ACTIVATE_WINDOW_SECONDS
        taken = []
        for scope, subject, limit in self._limits():
            if not counters.reserve(scope, subject, limit=limit, window_seconds=window):
                for done_scope, done_subject in taken:
                    counters.release(done_scope, done_subject, window_seconds=window)
                return False
            taken.append((scope, subject))
        return True

    def release(self) -> None:
        for scope, subject, _ in self._limits():
            counters.release(scope, subject, window_seconds=settings.ROTOR_ACTIVATE_WINDOW_SECONDS)

    def count_failure_from_ip(self) -> bool:
        """Count a wrong code against the IP; False once the IP's window is full (then it is a 429)."""
        limit = settings.ROTOR_ACTIVATE_ATTEMPTS_PER_IP
        if self.ip is None or limit <= 0:
            return True
        return counters.reserve(
            "activate-ip", self.ip, limit=limit, window_seconds=settings.ROTOR_ACTIVATE_WINDOW_SECONDS
        )


def _activation_failed(reason: str, user, audit: Audit, row: DeviceCode | None = None) -> None:
    app = row.client if row is not None else None
    recording.record(
        types.DEVICE_ACTIVATE,
        "Device activation failed" if reason != "rate_limited" else "Device activation attempts rate-limited",
        audit=audit,
        actor=recording.user_ref(user),
        targets=[recording.app_ref(app)] if app else [],
        result="FAILURE",
        reason=reason,
        severity="WARN",
        app=app,
        user=user,
    )


def find_pending(raw_code: str, attempt: Attempt, *, user, audit: Audit) -> DeviceCode:
    """The pending device authorization a user code names, or ActivationError.

    Each lookup counts against the user's and the session's limits before it touches the table, so
    guessing stops at the limit; a live code gives its attempt back. Only a failure is counted
    against the IP, after the lookup, so a full IP window never refuses someone's live code.
    """
    code = normalize_user_code(raw_code)
    if code is None:  # malformed input tells a guesser nothing: no lookup, nothing counted
        raise ActivationError(ActivationError.INVALID)
    if not attempt.reserve():
        _activation_failed("rate_limited", user, audit)
        raise ActivationError(ActivationError.TOO_MANY, status=429)
    row = DeviceCode.objects.select_related("client").filter(user_code_hash=hash_user_code(code)).first()
    if row is None or not row.client.is_active:
        failure = ("invalid_user_code", ActivationError.INVALID)
    elif row.status != PENDING or row.expires_at <= timezone.now():
        failure = ("expired_or_used_user_code", ActivationError.USED)
    else:
        attempt.release()
        return row
    if not attempt.count_failure_from_ip():
        _activation_failed("rate_limited", user, audit, row)
        raise ActivationError(ActivationError.TOO_MANY, status=429)
    _activation_failed(failure[0], user, audit, row)
    raise ActivationError(failure[1])


def _decide(row: DeviceCode, status: str, user, auth_time: datetime | None, audit: Audit) -> bool:
    now = timezone.now()
    decided = DeviceCode.objects.filter(pk=row.pk, status=PENDING, expires_at__gt=now).update(
        status=status, user=user, auth_time=auth_time or now, decided_at=now
    )
    if decided:
        server_event = "device.approve" if status == APPROVED else "device.deny"
        recording.record(
            any_server(row.server).event_type(server_event),
            "Device sign-in approved by the user" if status == APPROVED else "Device sign-in denied by the user",
            audit=audit,
            actor=recording.user_ref(user),
            targets=[recording.app_ref(row.client)],
            app=row.client,
            user=user,
            debug={"deviceAuthorization": row.pk, "scopes": " ".join(row.scopes)},
        )
    return bool(decided)


def approve(row: DeviceCode, user, *, auth_time: datetime | None = None, audit: Audit = SYSTEM) -> bool:
    """Approve for `user`; False when the code expired or was decided meanwhile."""
    return _decide(row, APPROVED, user, auth_time, audit)


def deny(row: DeviceCode, user, *, audit: Audit = SYSTEM) -> bool:
    return _decide(row, DENIED, user, None, audit)
