"""The device authorization grant (RFC 8628), the device's side: `/device/authorize` hands out a
device code and a short user code; the device then polls `/token` with
`grant_type=urn:ietf:params:oauth:grant-type:device_code` (tokens/oauth/token.py dispatches here)
until tokens come back, exactly once. The user's side is tokens/device/activation.py.

Every decision that matters under concurrency (approve, deny, redeem) is a conditional UPDATE on
the row's status, so many workers polling the same device code can never issue tokens twice.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac

from clients.models import GRANT_DEVICE_CODE
from core.crypto import hash_token, new_token
from core.systemlog import recording
from core.systemlog.audit import Audit
from tokens.lifecycle import families
from tokens.models import DeviceCode
from tokens.oauth import minting
from tokens.oauth.client_auth import authenticate_client
from tokens.oauth.errors import OAuthError, missing, unauthorized_client
from tokens.servers import policies, scopes
from tokens.servers.registry import AuthServer

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


def check_app(app) -> None:
    """Only native apps that allow the device grant may use it (SPEC §5)."""
    if app.application_type != app.AppType.NATIVE or not app.allows_grant(GRANT_DEVICE_CODE):
        raise unauthorized_client(app)


def verification_uri() -> str:
    return f"{settings.ROTOR_ISSUER}/activate"


def start_authorization(server: AuthServer, params, authorization: str, audit: Audit) -> dict:
    """Authenticate the client, store a new device authorization and return the RFC 8628 §3.2 body."""
    app = authenticate_client(params, authorization, audit=audit, server=server)
    check_app(app)
    requested = scopes.for_sign_in(server, app, params.get("scope"), request_name="device authorization request")

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

    recording.record(
        server.event_type("device.authorize"),
        "Device authorization started",
        audit=audit,
        actor=recording.app_ref(app),
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


def device_code_grant(server: AuthServer, app, params, audit: Audit, *, dpop_jkt: str | None = None) -> dict:
    """One poll: an RFC 8628 §3.5 error, or the token response exactly once after approval; `dpop_jkt`,
    the thumbprint of the poll's DPoP proof, binds the tokens (tokens/oauth/dpop.py)."""
    check_app(app)
    value = params.get("device_code")
    if not value:
        raise OAuthError("invalid_request", missing("device_code"))
    row = None
    if len(value) <= families.MAX_TOKEN_LENGTH:
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
    return redeem(row, server, app, audit, dpop_jkt=dpop_jkt)


def redeem(row: DeviceCode, server: AuthServer, app, audit: Audit, *, dpop_jkt: str | None = None) -> dict:
    """Issue tokens for an approved device code; a second redemption gets `invalid_grant`."""
    user = row.user
    if user is None or not user.is_active:
        raise OAuthError("invalid_grant", INVALID_DEVICE_CODE)
    granted = list(row.scopes)
    decision = policies.decide(server, app, grant_type=GRANT_DEVICE_CODE, scopes=granted, user=user, audit=audit)
    now = timezone.now()

    def claim(family) -> bool:
        updated = DeviceCode.objects.filter(pk=row.pk, status=APPROVED, expires_at__gt=now).update(
            status=REDEEMED, redeemed_at=now, family=family
        )
        return bool(updated)

    redeemed = families.redeem_once(
        claim,
        client=app,
        user=user,
        server=server,
        scopes=granted,
        auth_time=row.auth_time,
        grant_type=FAMILY_GRANT_TYPE,
        decision=decision,
        audit=audit,
        dpop_jkt=dpop_jkt,
    )
    if redeemed is None:  # another poll redeemed it first
        raise OAuthError("invalid_grant", INVALID_DEVICE_CODE)
    return minting.issue(
        server,
        app,
        user=user,
        granted=granted,
        lifetimes=decision.lifetimes,
        family=redeemed.family,
        refresh_token=redeemed.refresh_token,
        auth_time=int(row.auth_time.timestamp()),
        jkt=dpop_jkt,
    )
