"""The refresh-token lifecycle: families, persistent and rotating tokens, grace, reuse, revocation.

Each operation is one transaction whose decisions rest on conditional updates, never on a
read followed by a write in another transaction, so it stays correct with many workers on
PostgreSQL (docs/architecture.md walks through the races). The family's status is the one
switch that revokes every refresh token and access token of a sign-in.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from core.crypto import hash_token, new_token
from core.ops import metrics
from core.systemlog.audit import SYSTEM, Audit
from tokens.models import RefreshToken, TokenFamily
from tokens.oauth.errors import OAuthError, invalid_grant_refresh
from tokens.servers.policies import Decision, Lifetimes, evaluate
from tokens.servers.registry import AuthServer

from .events import grant_events, save_events
from .paths import database
from .revocation import revoke_in_transaction

MAX_TOKEN_LENGTH = 4096
DPOP_BOUND = "The refresh token is bound to a DPoP key; the request must carry a DPoP proof signed by that key."
ACTIVE = TokenFamily.Status.ACTIVE


@dataclass
class Refreshed:
    family: TokenFamily
    refresh_token: str
    scopes: list[str]


def binding(client, dpop_jkt: str | None) -> str:
    """The key a new family is bound to: a public client's DPoP key (RFC 9449 §5). A confidential
    client's refresh tokens are bound by its authentication instead, so its families stay unbound."""
    return (dpop_jkt or "") if client.is_public else ""


def start_family(
    *,
    client,
    user,
    server: AuthServer,
    scopes: list[str],
    auth_time: datetime,
    grant_type: str,
    lifetimes: Lifetimes | None = None,
    dpop_jkt: str | None = None,
) -> tuple[TokenFamily, str]:
    """Start a family for one sign-in and return it with its first refresh token.

    The lifetimes are fixed here, from the policy rule that matched at sign-in (the org server's
    fixed ones), and never recomputed: later edits of the rule change no family. Without `lifetimes`
    (seeding, tests) the server's policy is evaluated here, and PolicyDenied propagates before any
    row is written: no family is ever started that no rule allows. Also fixed here: the DPoP key a
    public client's family is bound to (`dpop_jkt`, the proof's thumbprint).
    """
    now = timezone.now()
    if lifetimes is None:
        lifetimes = evaluate(server, client, grant_type=grant_type, scopes=scopes, user=user).lifetimes
    lifetime = lifetimes.refresh_minutes
    family = TokenFamily.objects.create(
        client=client,
        user=user,
        server=server.id,
        scopes=scopes,
        auth_time=auth_time,
        grant_type=grant_type,
        expires_at=now + timedelta(minutes=lifetime) if lifetime else None,
        idle_minutes=lifetimes.window_minutes,
        access_minutes=lifetimes.access_minutes,
        dpop_jkt=binding(client, dpop_jkt),
    )
    token = new_token()
    RefreshToken.objects.create(token_hash=hash_token(token), family=family, created=now, last_used=now)
    return family, token


def wants_refresh_token(client, scopes: list[str]) -> bool:
    """SPEC §1: a refresh token only when the app allows the grant AND `offline_access` was granted."""
    return client.issues_refresh_tokens and "offline_access" in scopes


def start_family_if_offline(
    *,
    client,
    user,
    server: AuthServer,
    scopes: list[str],
    auth_time: datetime,
    grant_type: str,
    decision: Decision,
    dpop_jkt: str | None = None,
) -> tuple[TokenFamily | None, str | None]:
    """Start a family when the sign-in earns a refresh token (and the policy rule allows the refresh
    grant); (None, None) otherwise."""
    if not decision.allows_refresh or not wants_refresh_token(client, scopes):
        return None, None
    return start_family(
        client=client,
        user=user,
        server=server,
        scopes=scopes,
        auth_time=auth_time,
        grant_type=grant_type,
        lifetimes=decision.lifetimes,
        dpop_jkt=dpop_jkt,
    )


@dataclass
class Redeemed:
    family: TokenFamily | None  # None: the sign-in earned no refresh token
    refresh_token: str | None


def redeem_once(
    claim: Callable[[TokenFamily | None], bool],
    *,
    client,
    user,
    server: AuthServer,
    scopes: list[str],
    auth_time: datetime,
    grant_type: str,
    decision: Decision,
    audit: Audit = SYSTEM,
    dpop_jkt: str | None = None,
) -> Redeemed | None:
    """Redeem a one-time code (authorization code, device code) exactly once; None if another request did.

    One transaction: the family (when the sign-in earns a refresh token), `claim(family)`, the
    caller's conditional UPDATE of the code that records the family and says whether it won, and
    the grant events. A lost claim rolls the family back, so a code never leaves a second family.
    Signing is the caller's, after the commit.
    """
    with transaction.atomic():
        family, token = start_family_if_offline(
            client=client,
            user=user,
            server=server,
            scopes=scopes,
            auth_time=auth_time,
            grant_type=grant_type,
            decision=decision,
            dpop_jkt=dpop_jkt,
        )
        won = claim(family)
        if won:
            save_events(
                grant_events(server, client, user, family, scopes, grant_type, audit, refresh_issued=family is not None)
            )
        else:
            transaction.set_rollback(True)
    return Redeemed(family, token) if won else None


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


def _grant_events(server: AuthServer, family: TokenFamily, scopes: list[str], *, new_refresh: bool, audit: Audit):
    return grant_events(
        server, family.client, family.user, family, scopes, "refresh_token", audit, refresh_issued=new_refresh
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
    return database().find_token(hash_token(presented))


def refresh(
    *,
    row: RefreshToken,
    presented: str,
    client,
    server: AuthServer,
    requested_scopes: list[str] | None,
    audit: Audit = SYSTEM,
    dpop_jkt: str | None = None,
) -> Refreshed:
    """Redeem the refresh token `row` (from find_token) for an authenticated `client` at `server`.

    STATIC returns the presented string again. ROTATE marks it rotated with a conditional
    update, so exactly one request rotates it; the others are grace uses while the leeway
    lasts, and replays after it, which revoke the family (`_after_rotation`).

    The conditional update must test `rotated_at` on the updated row itself: PostgreSQL re-checks
    only the target row's own conditions after waiting for a concurrent writer, so a condition
    moved into a join subquery would let two requests rotate the same token. A revocation that
    commits meanwhile still wins: the family's status decides whether any of its tokens work.

    A family bound to a DPoP key takes only a request whose proof (`dpop_jkt`, already verified) is by
    that key; any other is refused before anything is written: without the key a stolen token is
    useless, and its use is no replay, so grace, rotation and reuse detection never see it.
    """
    now = timezone.now()
    family = row.family
    if family.client_id != client.pk or family.server != server.id or not is_live(row, now):
        metrics.refresh("invalid")
        raise invalid_grant_refresh()
    if family.dpop_jkt and family.dpop_jkt != dpop_jkt:
        metrics.refresh("invalid")
        raise OAuthError("invalid_grant", DPOP_BOUND)
    scopes = narrow_scopes(family.scopes, requested_scopes)
    if row.rotated_at is None:  # the two common branches: one operation of the database path each
        is_static = client.rotation_type == client.Rotation.STATIC
        events = _grant_events(server, family, scopes, new_refresh=not is_static, audit=audit)
        if is_static:
            database().touch(row, now=now, grant_events=events)
            metrics.refresh("persistent")
            return Refreshed(family, presented, scopes)
        token = new_token()
        if database().rotate(row, new_hash=hash_token(token), now=now, grant_events=events):
            metrics.refresh("rotated")
            return Refreshed(family, token, scopes)
    return _after_rotation(row, client, server, scopes, now=now, audit=audit)


def _after_rotation(row: RefreshToken, client, server: AuthServer, scopes: list[str], *, now, audit: Audit):
    """A token that another request rotated (just now, or earlier): a grace use within the app's
    leeway, which mints a fresh token in the family, or else a replay, which revokes the family."""
    family = row.family
    with transaction.atomic():
        rotated_at = (
            row.rotated_at or RefreshToken.objects.filter(pk=row.pk).values_list("rotated_at", flat=True).first()
        )
        if client.leeway > 0 and rotated_at is not None and now - rotated_at <= timedelta(seconds=client.leeway):
            token = new_token()
            RefreshToken.objects.create(
                token_hash=hash_token(token), family=family, created=now, last_used=now, origin="grace"
            )
            save_events(_grant_events(server, family, scopes, new_refresh=True, audit=audit))
            metrics.refresh("grace")
            return Refreshed(family, token, scopes)
        revoke_in_transaction(family, server, reason="reuse_detected", audit=audit, replayed_hash=row.token_hash)
    # The revocation above is committed; only now count and answer the replay.
    metrics.refresh("reuse_detected")
    metrics.reuse_detected(server.id)
    raise invalid_grant_refresh()
