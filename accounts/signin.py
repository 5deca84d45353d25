"""Sign-in protection for every password form (the console's and the end users'), and the sign-in events.

Failed sign-ins are counted per typed username and per client IP in fixed windows (`core/counters.py`,
shared by every worker and node). Each attempt first takes a slot in both counters, before the password
hasher runs, so a locked account or IP costs no hashing and parallel guesses cannot overshoot the limit;
a correct password gives its slots back, so only failures count. The username counts whether or not such
a user exists, so neither the lock nor its message tells a guesser which usernames are real. A lock ends
with its window; refused attempts are not counted, so they do not extend it. An admin can end it sooner.
"""

import math
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.utils import timezone

from core import counters
from core.systemlog import recording, types
from core.systemlog.audit import SYSTEM, Audit

ACCOUNT = "signin-user"  # failures per normalised username
IP = "signin-ip"  # failures per client IP
LOCK_NOTICE = "signin-lock"  # one slot per account and window: user.account.lock is recorded once per lock

ALTERNATE_ID_LENGTH = 100  # what we keep of a typed username nobody has (it may be a mistyped password)


class SignInLocked(Exception):
    """Sign-in refused without checking the password; `message` is shown as is."""

    ACCOUNT = "Too many failed sign-ins. Try again in {wait}, or ask an administrator to unlock the account."
    IP = "Too many failed sign-ins from this network. Try again in {wait}."

    def __init__(self, template: str, reason: str, until: datetime):
        self.message = template.format(wait=_minutes_until(until))
        self.reason = reason
        self.until = until
        super().__init__(self.message)


def normalize_username(username: str) -> str:
    """The account counter's subject: `Admin`, `admin ` and `ａｄｍｉｎ` share one limit."""
    return unicodedata.normalize("NFKC", username).strip().casefold()


def window_seconds() -> int:
    return settings.ROTOR_SIGNIN_WINDOW_MINUTES * 60


def window_end(now: float | None = None) -> datetime:
    """When the current window, and so any lock within it, ends."""
    return counters.window_start(window_seconds(), now) + timedelta(seconds=window_seconds())


def _minutes_until(until: datetime) -> str:
    minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@dataclass(frozen=True)
class _Limit:
    scope: str
    subject: str
    limit: int
    locked: str  # SignInLocked's message
    reason: str  # the refused event's outcome reason


def _limits(username: str, audit: Audit) -> list[_Limit]:
    return [
        _Limit(
            ACCOUNT,
            normalize_username(username),
            settings.ROTOR_SIGNIN_FAILURES_PER_ACCOUNT,
            SignInLocked.ACCOUNT,
            "LOCKED_OUT",
        ),
        _Limit(IP, audit.ip or "", settings.ROTOR_SIGNIN_FAILURES_PER_IP, SignInLocked.IP, "IP_LOCKED_OUT"),
    ]


def check_password(username: str, password: str, *, audit: Audit = SYSTEM, request_uri: str = ""):
    """The active user with this username and password, None when they do not match, or SignInLocked.

    Unknown usernames go through Django's ModelBackend like known ones (it hashes the password anyway),
    so both answers cost one hash. Failures and refusals are recorded here; the caller records the
    outcome of a correct password (`started()` or `refused()`), which may still be refused by its form.
    """
    window = window_seconds()
    limits = _limits(username, audit)
    taken = []
    for limit in limits:
        if not counters.reserve(limit.scope, limit.subject, limit=limit.limit, window_seconds=window):
            for done in taken:
                counters.release(done.scope, done.subject, window_seconds=window)
            _failed(username, limit.reason, audit, request_uri)
            raise SignInLocked(limit.locked, limit.reason, window_end())
        taken.append(limit)
    user = auth.authenticate(None, username=username, password=password)
    if user is not None:
        for limit in taken:
            counters.release(limit.scope, limit.subject, window_seconds=window)
        return user
    _lock_if_reached(_failed(username, "INVALID_CREDENTIALS", audit, request_uri), limits[0], audit)
    return None


def _find(username: str):
    """The user this username names, for the events only; the sign-in itself is ModelBackend's."""
    model = get_user_model()
    try:
        return model._default_manager.get_by_natural_key(username)
    except model.DoesNotExist:
        return None


def _unknown_actor(username: str) -> dict:
    """Okta's actor for a username nobody has: the typed name, cut short (it may be a password typed
    into the wrong field)."""
    return {"id": "unknown", "type": "User", "alternateId": username[:ALTERNATE_ID_LENGTH], "displayName": "unknown"}


def _failed(username: str, reason: str, audit: Audit, request_uri: str):
    """Record a refused sign-in; returns the user the username names, if any."""
    user = _find(username)
    recording.record(
        types.SESSION_START,
        "User login to Rotor",
        audit=audit,
        actor=recording.user_ref(user) if user is not None else _unknown_actor(username),
        result="FAILURE",
        reason=reason,
        severity="WARN",
        user=user,
        debug={"requestUri": request_uri} if request_uri else None,
    )
    return user


def _lock_if_reached(user, account: _Limit, audit: Audit) -> None:
    """Record user.account.lock when this failure filled the account's window, once per lock.

    Unknown usernames take the same steps, so their failures cost the same; only the event needs a user.
    """
    window = window_seconds()
    if counters.peek(account.scope, account.subject, window_seconds=window) < account.limit:
        return
    if not counters.reserve(LOCK_NOTICE, account.subject, limit=1, window_seconds=window) or user is None:
        return  # a concurrent failure recorded it, or there is no account to lock
    recording.record(
        types.ACCOUNT_LOCK,
        "Max sign in attempts exceeded",
        audit=audit,
        actor=recording.user_ref(user),
        targets=[recording.user_ref(user)],
        severity="WARN",
        user=user,
        debug={"lockedUntil": window_end().isoformat(), "failures": account.limit},
    )


def started(user, *, audit: Audit = SYSTEM, request_uri: str = "") -> None:
    """Record a sign-in that starts a session."""
    recording.record(
        types.SESSION_START,
        "User login to Rotor",
        audit=audit,
        actor=recording.user_ref(user),
        user=user,
        debug={"requestUri": request_uri} if request_uri else None,
    )


def refused(user, reason: str, *, audit: Audit = SYSTEM, request_uri: str = "") -> None:
    """Record a correct password that its form still refused (e.g. a non-admin at the console)."""
    recording.record(
        types.SESSION_START,
        "User login to Rotor",
        audit=audit,
        actor=recording.user_ref(user),
        result="FAILURE",
        reason=reason,
        severity="WARN",
        user=user,
        debug={"requestUri": request_uri} if request_uri else None,
    )


def ended(user, *, audit: Audit = SYSTEM) -> None:
    """Record a sign-out, from any of Rotor's sign-out paths (accounts/signals.py)."""
    recording.record(
        types.SESSION_END, "User logout from Rotor", audit=audit, actor=recording.user_ref(user), user=user
    )


def locked_until(user) -> datetime | None:
    """When the lock on this user's username ends, or None when it is not locked."""
    count = counters.peek(ACCOUNT, normalize_username(user.username), window_seconds=window_seconds())
    return window_end() if count >= settings.ROTOR_SIGNIN_FAILURES_PER_ACCOUNT else None


def unlock(user, *, audit: Audit = SYSTEM) -> None:
    """An admin ends the lock now: the username's failures in this window are forgotten."""
    subject = normalize_username(user.username)
    for scope in (ACCOUNT, LOCK_NOTICE):
        counters.reset(scope, subject, window_seconds=window_seconds())
    recording.record(
        types.ACCOUNT_UNLOCK_BY_ADMIN,
        "Unlock user account by admin",
        audit=audit,
        actor=recording.actor_ref(audit.user),
        targets=[recording.user_ref(user)],
        user=user,
    )
