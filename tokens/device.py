"""The device authorization grant (RFC 8628) for TVs and other input-constrained devices.

A native app asks `/device/authorize` for a device code and a short user code; the user enters the
user code at `/activate` on a phone and approves; meanwhile the device polls `/token` with
`grant_type=urn:ietf:params:oauth:grant-type:device_code` until tokens come back, exactly once.

Every decision that matters under concurrency (approve, deny, redeem) is a conditional UPDATE on
the row's status, so many workers polling the same device code can never issue tokens twice.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac

from clients.models import GRANT_DEVICE_CODE

from . import events, grants, lifecycle, scopes, throttle
from .client_auth import authenticate_client
from .crypto import hash_token, new_token
from .errors import OAuthError, missing
from .models import DeviceCode
from .servers import AuthServer, get_server

USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"  # consonants only: no look-alikes (0/O, 1/I) and no words
USER_CODE_LENGTH = 8
SLOW_DOWN_STEP = 5  # seconds added to the interval per too-fast poll (RFC 8628 §3.5)
FAMILY_GRANT_TYPE = "device_code"  # how the device sign-in shows up on its token family

PENDING = DeviceCode.Status.PENDING
APPROVED = DeviceCode.Status.APPROVED
DENIED = DeviceCode.Status.DENIED
REDEEMED = DeviceCode.Status.REDEEMED

INVALID_DEVICE_CODE = "The device code is invalid or has expired."
PENDING_DESCRIPTION = "The device authorization is pending. Please try again later."
SLOW_DOWN_DESCRIPTION = "The client is polling too frequently. Wait at least 'interval' seconds between requests."
EXPIRED_DESCRIPTION = "The device code has expired. Start a new device authorization."
DENIED_DESCRIPTION = "The resource owner denied the request."


class DevicePollError(OAuthError):
    """A polling answer; `slow_down` also tells the device its new interval, as several servers do."""

    def __init__(self, error: str, description: str, *, interval: int | None = None):
        super().__init__(error, description)
        self.interval = interval

    def as_dict(self) -> dict:
        body = super().as_dict()
        if self.interval is not None:
            body["interval"] = self.interval
        return body


# User codes -----------------------------------------------------------------------------------------


def new_user_code() -> str:
    return "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))


def format_user_code(code: str) -> str:
    """`BCDFGHJK` → `BCDF-GHJK`, the form the device shows."""
    return f"{code[:4]}-{code[4:]}"


def normalize_user_code(value: str | None) -> str | None:
    """The code as stored, from what a person typed: any case, with or without the dash or spaces."""
    if not value or len(value) > 32:
        return None
    code = "".join(ch for ch in value if ch not in "- \t").upper()
    if len(code) != USER_CODE_LENGTH or any(ch not in USER_CODE_ALPHABET for ch in code):
        return None
    return code


def hash_user_code(code: str) -> str:
    return salted_hmac("rotor.device.user_code", code, algorithm="sha256").hexdigest()


# Starting a device authorization (POST /device/authorize) -------------------------------------------


def _configured(app) -> str:
    return f"Configured grant types: [{', '.join(app.grant_types)}]."


def check_app(app) -> None:
    """Only native apps that allow the device grant may use it (SPEC §5)."""
    if app.application_type != app.AppType.NATIVE or not app.allows_grant(GRANT_DEVICE_CODE):
        raise OAuthError(
            "unauthorized_client",
            f"The client is not authorized to use the provided grant type. {_configured(app)}",
        )


def verification_uri() -> str:
    return f"{settings.ROTOR_ISSUER}/activate"


def start_authorization(server: AuthServer, params, authorization: str, request=None) -> dict:
    """Authenticate the client, store a new device authorization and return the RFC 8628 §3.2 body."""
    app = authenticate_client(params, authorization, request=request)
    check_app(app)
    requested = scopes.for_sign_in(app, params.get("scope"), request_name="device authorization request")

    device_code = new_token()
    lifetime = settings.ROTOR_DEVICE_CODE_SECONDS
    for _ in range(5):  # a clash with a stored user code is a one-in-billions event; draw again
        user_code = new_user_code()
        try:
            with transaction.atomic():
                row = DeviceCode.objects.create(
                    device_code_hash=hash_token(device_code),
                    user_code_hash=hash_user_code(user_code),
                    client=app,
                    server=server.id,
                    scopes=requested,
                    expires_at=timezone.now() + timedelta(seconds=lifetime),
                    interval=settings.ROTOR_DEVICE_POLL_INTERVAL,
                )
            break
        except IntegrityError:
            continue
    else:
        raise OAuthError("temporarily_unavailable", "Could not allocate a user code. Try again.", status=503)

    events.record(
        server.event_type("device.authorize"),
        "Device authorization started",
        request=request,
        actor=events.app_ref(app),
        app=app,
        debug={"deviceAuthorization": row.pk, "scopes": " ".join(requested)},
    )
    shown = format_user_code(user_code)
    return {
        "device_code": device_code,
        "user_code": shown,
        "verification_uri": verification_uri(),
        "verification_uri_complete": f"{verification_uri()}?user_code={shown}",
        "expires_in": lifetime,
        "interval": row.interval,
    }


# Polling (POST /token, grant_type=urn:ietf:params:oauth:grant-type:device_code) ----------------------


def device_code_grant(server: AuthServer, app, params, request) -> dict:
    """One poll: an RFC 8628 §3.5 error, or the token response exactly once after approval."""
    check_app(app)
    value = params.get("device_code")
    if not value:
        raise OAuthError("invalid_request", missing("device_code"))
    row = None
    if len(value) <= grants.MAX_TOKEN_LENGTH:
        row = DeviceCode.objects.select_related("user").filter(device_code_hash=hash_token(value)).first()
    if row is None or row.client_id != app.pk or row.server != server.id or row.status == REDEEMED:
        raise OAuthError("invalid_grant", INVALID_DEVICE_CODE)
    now = timezone.now()
    if row.expires_at <= now:
        raise DevicePollError("expired_token", EXPIRED_DESCRIPTION)
    if row.status == DENIED:  # final: answered however fast the device polls
        raise DevicePollError("access_denied", DENIED_DESCRIPTION)

    # A poll sooner than `interval` after the previous one slows this device down for good. The first
    # poll is never too early. Concurrent polls may both pass this check; redemption below still
    # happens once, because it rests on a conditional UPDATE, not on this read.
    if row.last_polled_at is not None and now < row.last_polled_at + timedelta(seconds=row.interval):
        DeviceCode.objects.filter(pk=row.pk).update(last_polled_at=now, interval=F("interval") + SLOW_DOWN_STEP)
        raise DevicePollError("slow_down", SLOW_DOWN_DESCRIPTION, interval=row.interval + SLOW_DOWN_STEP)
    DeviceCode.objects.filter(pk=row.pk).update(last_polled_at=now)

    if row.status == PENDING:
        raise DevicePollError("authorization_pending", PENDING_DESCRIPTION)
    return redeem(row, server, app, request)


def redeem(row: DeviceCode, server: AuthServer, app, request) -> dict:
    """Issue tokens for an approved device code; a second redemption gets `invalid_grant`."""
    user = row.user
    if user is None or not user.is_active:
        raise OAuthError("invalid_grant", INVALID_DEVICE_CODE)
    granted = list(row.scopes)
    now = timezone.now()
    with transaction.atomic():
        family, refresh = lifecycle.start_family_if_offline(
            client=app, user=user, server=server, scopes=granted, auth_time=row.auth_time, grant_type=FAMILY_GRANT_TYPE
        )
        won = DeviceCode.objects.filter(pk=row.pk, status=APPROVED, expires_at__gt=now).update(
            status=REDEEMED, redeemed_at=now, family=family
        )
        if won:
            events.save_all(
                events.grant_events(
                    server, app, user, family, granted, FAMILY_GRANT_TYPE, request, refresh_issued=family is not None
                )
            )
        else:  # another poll redeemed it first: undo the family started above
            transaction.set_rollback(True)
    if not won:
        raise OAuthError("invalid_grant", INVALID_DEVICE_CODE)
    return grants.issue(
        server,
        app,
        user=user,
        granted=granted,
        family=family,
        refresh_token=refresh,
        auth_time=int(row.auth_time.timestamp()),
    )


grants.register_grant(GRANT_DEVICE_CODE, device_code_grant)


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
    """Who is entering codes: the browser session and the client IP, each with its own limit."""

    session_key: str
    ip: str

    def _limits(self):
        return [
            ("activate-session", self.session_key, settings.ROTOR_ACTIVATE_ATTEMPTS_PER_SESSION),
            ("activate-ip", self.ip, settings.ROTOR_ACTIVATE_ATTEMPTS_PER_IP),
        ]

    def reserve(self) -> bool:
        window = settings.ROTOR_ACTIVATE_WINDOW_SECONDS
        taken = []
        for scope, subject, limit in self._limits():
            if not throttle.reserve(scope, subject, limit=limit, window_seconds=window):
                for done_scope, done_subject in taken:
                    throttle.release(done_scope, done_subject, window_seconds=window)
                return False
            taken.append((scope, subject))
        return True

    def release(self) -> None:
        for scope, subject, _ in self._limits():
            throttle.release(scope, subject, window_seconds=settings.ROTOR_ACTIVATE_WINDOW_SECONDS)


def _activation_failed(reason: str, user, request, row: DeviceCode | None = None) -> None:
    app = row.client if row is not None else None
    events.record(
        "app.oauth2.device.activate",
        "Device activation failed" if reason != "rate_limited" else "Device activation attempts rate-limited",
        request=request,
        actor=events.user_ref(user),
        targets=[events.app_ref(app)] if app else [],
        result="FAILURE",
        reason=reason,
        severity="WARN",
        app=app,
        user=user,
    )


def find_pending(raw_code: str, attempt: Attempt, *, user, request=None) -> DeviceCode:
    """The pending device authorization a user code names, or ActivationError.

    Each lookup counts against the session's and the IP's limits before it touches the table, so
    guessing stops at the limit; a lookup that finds a live code gives its attempt back.
    """
    code = normalize_user_code(raw_code)
    if code is None:  # malformed input tells a guesser nothing: no lookup, nothing counted
        raise ActivationError(ActivationError.INVALID)
    if not attempt.reserve():
        _activation_failed("rate_limited", user, request)
        raise ActivationError(ActivationError.TOO_MANY, status=429)
    row = DeviceCode.objects.select_related("client").filter(user_code_hash=hash_user_code(code)).first()
    if row is None or not row.client.is_active:
        _activation_failed("invalid_user_code", user, request, row)
        raise ActivationError(ActivationError.INVALID)
    if row.status != PENDING or row.expires_at <= timezone.now():
        _activation_failed("expired_or_used_user_code", user, request, row)
        raise ActivationError(ActivationError.USED)
    attempt.release()
    return row


def _decide(row: DeviceCode, status: str, user, auth_time: datetime | None, request) -> bool:
    now = timezone.now()
    decided = DeviceCode.objects.filter(pk=row.pk, status=PENDING, expires_at__gt=now).update(
        status=status, user=user, auth_time=auth_time or now, decided_at=now
    )
    if decided:
        server_event = "device.approve" if status == APPROVED else "device.deny"
        events.record(
            get_server(row.server).event_type(server_event),
            "Device sign-in approved by the user" if status == APPROVED else "Device sign-in denied by the user",
            request=request,
            actor=events.user_ref(user),
            targets=[events.app_ref(row.client)],
            app=row.client,
            user=user,
            debug={"deviceAuthorization": row.pk, "scopes": " ".join(row.scopes)},
        )
    return bool(decided)


def approve(row: DeviceCode, user, *, auth_time: datetime | None = None, request=None) -> bool:
    """Approve for `user`; False when the code expired or was decided meanwhile."""
    return _decide(row, APPROVED, user, auth_time, request)


def deny(row: DeviceCode, user, *, request=None) -> bool:
    return _decide(row, DENIED, user, None, request)


def purge_expired(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete device authorizations that expired over `older_than` ago (for the purge command).

    Only the codes go: the token families they started live on, and the system log keeps the history.
    """
    deleted, _ = DeviceCode.objects.filter(expires_at__lt=timezone.now() - older_than).delete()
    return deleted
