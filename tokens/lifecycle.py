"""The refresh-token lifecycle: families, persistent and rotating tokens, grace, reuse, revocation.

Each operation is one transaction whose decisions rest on conditional updates, never on a
read followed by a write in another transaction, so it stays correct with many workers on
PostgreSQL (docs/architecture.md walks through the races). The family's status is the one
switch that revokes every refresh token and access token of a sign-in.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Exists
from django.utils import timezone

from . import events, store
from .crypto import hash_token, new_token
from .errors import OAuthError, invalid_grant_refresh
from .models import RefreshToken, RevokedAccessToken, TokenFamily
from .servers import AuthServer, get_server

MAX_TOKEN_LENGTH = 4096
ACTIVE = TokenFamily.Status.ACTIVE
REVOKED = TokenFamily.Status.REVOKED


@dataclass
class Refreshed:
    family: TokenFamily
    refresh_token: str
    scopes: list[str]


def start_family(
    *, client, user, server: AuthServer, scopes: list[str], auth_time: datetime, grant_type: str
) -> tuple[TokenFamily, str]:
    """Start a family for one sign-in and return it with its first refresh token.

    The lifetimes are fixed here, from the server's policy at sign-in, and never recomputed.
    """
    now = timezone.now()
    lifetime = server.refresh_lifetime_minutes
    family = TokenFamily.objects.create(
        client=client,
        user=user,
        server=server.id,
        scopes=scopes,
        auth_time=auth_time,
        grant_type=grant_type,
        expires_at=now + timedelta(minutes=lifetime) if lifetime else None,
        idle_minutes=server.refresh_window_minutes,
    )
    token = new_token()
    RefreshToken.objects.create(token_hash=hash_token(token), family=family, created=now, last_used=now)
    return family, token


def wants_refresh_token(client, scopes: list[str]) -> bool:
    """SPEC §1: a refresh token only when the app allows the grant AND `offline_access` was granted."""
    return client.issues_refresh_tokens and "offline_access" in scopes


def start_family_if_offline(
    *, client, user, server: AuthServer, scopes: list[str], auth_time: datetime, grant_type: str
) -> tuple[TokenFamily | None, str | None]:
    """Start a family when the sign-in earns a refresh token; (None, None) otherwise."""
    if not wants_refresh_token(client, scopes):
        return None, None
    return start_family(
        client=client, user=user, server=server, scopes=scopes, auth_time=auth_time, grant_type=grant_type
    )


def narrow_scopes(granted: list[str], requested: list[str] | None) -> list[str]:
    """Scopes for one refresh response: the granted ones, or a subset asked for (SPEC §1)."""
    if not requested:
        return list(granted)
    denied = [s for s in requested if s not in granted]
    if denied:
        raise OAuthError(
            "access_denied",
            "Some of the scopes requested for the refresh request were not granted in the original "
            f"authorize request. Denied scopes: [{', '.join(denied)}]",
        )
    return requested


def _grant_events(server: AuthServer, family: TokenFamily, scopes: list[str], *, new_refresh: bool, request):
    return events.grant_events(
        server, family.client, family.user, family, scopes, "refresh_token", request, refresh_issued=new_refresh
    )


def is_live(row: RefreshToken, now) -> bool:
    """Whether the token's family still grants anything: active, within both lifetimes, user active.

    Rotation (grace or replay) is the caller's question; refresh and introspection both start here.
    """
    family = row.family
    return (
        family.status == ACTIVE
        and (family.expires_at is None or family.expires_at > now)
        and row.last_used + timedelta(minutes=family.idle_minutes) > now
        and family.user.is_active
    )


def find_token(presented: str) -> RefreshToken | None:
    """The refresh-token row for a presented string, with its family, user and client in one query."""
    if not presented or len(presented) > MAX_TOKEN_LENGTH or "\x00" in presented:
        return None
    if store.enabled():
        return store.find_token(hash_token(presented))
    return (
        RefreshToken.objects.select_related("family__user", "family__client")
        .filter(token_hash=hash_token(presented))
        .first()
    )


def refresh(
    *, row: RefreshToken, presented: str, client, server: AuthServer, requested_scopes: list[str] | None, request=None
) -> Refreshed:
    """Redeem the refresh token `row` (from find_token) for an authenticated `client` at `server`.

    STATIC returns the presented string again. ROTATE marks it rotated with a conditional
    update, so exactly one request rotates it; the others are grace uses while the leeway
    lasts, and replays after it, which revoke the family in this same transaction.

    The conditional update must test `rotated_at` on the updated row itself: PostgreSQL re-checks
    only the target row's own conditions after waiting for a concurrent writer, so a condition
    moved into a join subquery would let two requests rotate the same token. A revocation that
    commits meanwhile still wins: the family's status decides whether any of its tokens work.
    """
    now = timezone.now()
    family = row.family
    if family.client_id != client.pk or family.server != server.id or not is_live(row, now):
        raise invalid_grant_refresh()
    scopes = narrow_scopes(family.scopes, requested_scopes)
    is_static = row.rotated_at is None and client.rotation_type == client.Rotation.STATIC
    if store.enabled() and row.rotated_at is None:  # the two common branches, one statement each
        grant_events = _grant_events(server, family, scopes, new_refresh=not is_static, request=request)
        if is_static:
            store.touch(row, now=now, grant_events=grant_events)
            return Refreshed(family, presented, scopes)
        token = new_token()
        if store.rotate(row, new_hash=hash_token(token), now=now, grant_events=grant_events):
            return Refreshed(family, token, scopes)
        # Another request rotated it first: grace or replay, decided below.

    this_row = RefreshToken.objects.filter(pk=row.pk)
    with transaction.atomic():
        if is_static:
            this_row.update(last_used=now)
            events.save_all(_grant_events(server, family, scopes, new_refresh=False, request=request))
            return Refreshed(family, presented, scopes)

        is_rotator = False
        rotated_at = row.rotated_at
        if rotated_at is None:
            is_rotator = bool(this_row.filter(rotated_at__isnull=True).update(rotated_at=now, last_used=now))
            if not is_rotator:  # a concurrent request rotated it between our read and our update
                rotated_at = RefreshToken.objects.filter(pk=row.pk).values_list("rotated_at", flat=True).first()
        within_leeway = (
            client.leeway > 0 and rotated_at is not None and now - rotated_at <= timedelta(seconds=client.leeway)
        )
        if is_rotator or within_leeway:
            token = new_token()
            RefreshToken.objects.create(
                token_hash=hash_token(token),
                family=family,
                created=now,
                last_used=now,
                origin="rotation" if is_rotator else "grace",
            )
            events.save_all(_grant_events(server, family, scopes, new_refresh=True, request=request))
            return Refreshed(family, token, scopes)

        _revoke(family, server, reason="reuse_detected", request=request, replayed_hash=row.token_hash)
    # The revocation above is committed; only now answer the replay.
    raise invalid_grant_refresh()


def _revoke(
    family: TokenFamily, server: AuthServer, *, reason: str, request=None, actor=None, replayed_hash: str | None = None
) -> bool:
    """Revoke one family inside the caller's transaction; record the event once."""
    now = timezone.now()
    changed = TokenFamily.objects.filter(pk=family.pk, status=ACTIVE).update(
        status=REVOKED, revoked_at=now, revoked_reason=reason
    )
    if replayed_hash is not None:
        events.record(
            server.event_type("token.detect_reuse"),
            "Refresh token reuse detected; the token family was revoked",
            request=request,
            severity="WARN",
            result="FAILURE",
            reason="Refresh token reuse detected",
            actor=events.app_ref(family.client),
            targets=[events.user_ref(family.user), events.family_ref(family)],
            app=family.client,
            user=family.user,
            family=family,
            debug={
                "replayedTokenHash": replayed_hash,
                "familyTokenHashes": list(family.tokens.values_list("token_hash", flat=True)[:50]),
            },
        )
    elif changed:
        events.record(
            server.event_type("token.revoke"),
            f"Refresh token family revoked ({reason.replace('_', ' ')})",
            request=request,
            actor=actor or events.app_ref(family.client),
            targets=[events.user_ref(family.user), events.family_ref(family)],
            app=family.client,
            user=family.user,
            family=family,
            debug={"reason": reason},
        )
    if changed:
        family.status, family.revoked_at, family.revoked_reason = REVOKED, now, reason
    return bool(changed)


def revoke_family(family: TokenFamily, *, reason: str, request=None, actor=None) -> bool:
    """Revoke a family: all its refresh tokens and the access tokens issued from it."""
    with transaction.atomic():
        return _revoke(family, get_server(family.server), reason=reason, request=request, actor=actor)


def revoke_families(*, client=None, user=None, reason: str, request=None, actor=None) -> int:
    """Revoke every active family of an app and/or a user (deactivation, deletion, "revoke all")."""
    qs = TokenFamily.objects.filter(status=ACTIVE).select_related("client", "user")
    if client is not None:
        qs = qs.filter(client=client)
    if user is not None:
        qs = qs.filter(user=user)
    count = 0
    with transaction.atomic():
        for family in qs.select_for_update(of=("self",)).order_by("pk"):
            count += _revoke(family, get_server(family.server), reason=reason, request=request, actor=actor)
    return count


def revoke_access_token(jti: str, expires_at: int) -> None:
    """Put one access token on the revocation list until it expires (RFC 7009)."""
    RevokedAccessToken.objects.get_or_create(
        jti=jti, defaults={"expires_at": datetime.fromtimestamp(expires_at, tz=UTC)}
    )


def is_access_token_revoked(jti: str, family_id: str | None) -> bool:
    """Revoked on its own (RFC 7009) or through its family; one query either way."""
    listed = RevokedAccessToken.objects.filter(jti=jti)
    if family_id is None:
        return listed.exists()
    # No row: the family is gone or not active. A row: whether the token itself is listed.
    found = (
        TokenFamily.objects.filter(public_id=family_id, status=ACTIVE)
        .annotate(listed=Exists(listed))
        .values_list("listed", flat=True)
        .first()
    )
    return found is None or found
