"""Deleting what no token needs any more, in ordered id batches that never block live traffic.

What is kept, and why (README "Running Rotor" has the operator's version):

- A family that is revoked, or past its absolute expiry, or idle past its window, is kept for a
  retention period (ROTOR_PURGE_RETENTION_DAYS) so the console timeline and the system log can
  still show it, then deleted with its refresh tokens. Its access tokens stay rejected: a `jti`
  whose family no longer exists introspects inactive.
- A rotated refresh token of a live family is kept for as long as `tokens.lifecycle.families.refresh` can still
  act on it. Reuse detection needs its hash to recognise a replay, but `refresh` checks the
  presented token's idle window before anything else, so once `last_used + idle window` has
  passed, a replay of it is refused with the same `invalid_grant` and no family revocation
  whether its row exists or not. Deleting it then loses no detection (tests pin this). The
  leeway (≤ 60 s) ends long before the idle window (≥ 10 min). The price is storage: a live
  family keeps one rotated row per refresh within its idle window. CLOCK_MARGIN more guards
  against clocks that differ between hosts.
- An authorization code goes once it expires: the token endpoint refuses an expired code before
  it checks for a replay, so the row can no longer revoke anything. A device code goes a day
  after it expires, so a device still polling hears `expired_token` for a while.
- A revocation-list entry goes when its access token expires: the JWT fails on `exp` anyway.
- System-log events go after ROTOR_EVENT_RETENTION_DAYS.

Each batch selects at most `batch_size` ids in id order with FOR UPDATE SKIP LOCKED on
PostgreSQL and deletes them in its own transaction, so a purge holds row locks only on rows no
request uses, for milliseconds, and two purges at once split the work. Counts are the rows
each DELETE reports, so they never double count. On SQLite, whose transactions run one at a
time, the same code is simply serial.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from core.models import SeenValue
from core.ops import metrics
from core.systemlog.models import Event

from .models import AuthorizationCode, DeviceCode, RefreshToken, RevokedAccessToken, TokenFamily

ACTIVE = TokenFamily.Status.ACTIVE
REVOKED = TokenFamily.Status.REVOKED

# A rotated token is kept this much longer than its idle window, against clock skew between hosts.
CLOCK_MARGIN = timedelta(hours=1)


@dataclass
class Policy:
    """What one purge run deletes: everything is relative to `now`, so tests pass explicit times."""

    now: datetime = field(default_factory=timezone.now)
    retention: timedelta = field(default_factory=lambda: timedelta(days=settings.ROTOR_PURGE_RETENTION_DAYS))
    event_retention: timedelta = field(default_factory=lambda: timedelta(days=settings.ROTOR_EVENT_RETENTION_DAYS))
    batch_size: int = field(default_factory=lambda: settings.ROTOR_PURGE_BATCH_SIZE)

    def __post_init__(self):
        if self.batch_size < 1:
            raise ValueError("batch size must be at least 1")
        if self.retention < timedelta(0) or self.event_retention < timedelta(0):
            raise ValueError("retention cannot be negative")

    @property
    def cutoff(self) -> datetime:
        return self.now - self.retention


class Reporter:
    """Told about progress; the command prints it. The default says nothing."""

    wants_totals = False

    def begin(self, kind: str, total: int | None) -> None: ...

    def advance(self, kind: str, deleted: int) -> None: ...

    def end(self, kind: str, deleted: int) -> None: ...


class Interrupted(Exception):
    """The run was asked to stop (SIGTERM); the batch in hand was finished first."""

    def __init__(self, counts: dict[str, int]):
        super().__init__("purge interrupted")
        self.counts = counts


# --- what each kind deletes -----------------------------------------------------------------


def _idle_windows() -> list[int]:
    """The idle windows live families were issued with: a handful of policy values."""
    return sorted(set(TokenFamily.objects.filter(status=ACTIVE).values_list("idle_minutes", flat=True).distinct()))


def dead_families(policy: Policy) -> QuerySet:
    """Families nothing can refresh any more, and for longer than the retention period."""
    cutoff = policy.cutoff
    dead = Q(status=REVOKED, revoked_at__lt=cutoff) | Q(expires_at__lt=cutoff)
    for minutes in _idle_windows():
        idle_cutoff = cutoff - timedelta(minutes=minutes)
        recently_used = RefreshToken.objects.filter(family=OuterRef("pk"), last_used__gte=idle_cutoff)
        dead |= Q(status=ACTIVE, idle_minutes=minutes, created__lt=idle_cutoff) & ~Exists(recently_used)
    return TokenFamily.objects.filter(dead)


def stale_rotated_tokens(policy: Policy) -> QuerySet:
    """Rotated tokens of live families that `refresh` would refuse on their idle window alone."""
    stale = Q(pk__in=[])
    for minutes in _idle_windows():
        stale |= Q(family__idle_minutes=minutes, last_used__lt=policy.now - timedelta(minutes=minutes) - CLOCK_MARGIN)
    return RefreshToken.objects.filter(stale, rotated_at__isnull=False, family__status=ACTIVE)


def expired_codes(policy: Policy) -> QuerySet:
    """The token endpoint refuses an expired code before it looks at redemption, so an expired
    code, redeemed or not, can never again trigger the revocation a replayed code causes."""
    return AuthorizationCode.objects.filter(expires_at__lt=policy.now)


# A device keeps polling a while after its code expires and should hear `expired_token`, not
# `invalid_grant`, so device codes outlive their expiry by a day (as tokens/device/grant.py does).
DEVICE_CODE_GRACE = timedelta(days=1)


def expired_device_codes(policy: Policy) -> QuerySet:
    """Device authorizations (RFC 8628) a day past expiry; their token families live on."""
    return DeviceCode.objects.filter(expires_at__lt=policy.now - DEVICE_CODE_GRACE)


def expired_revocations(policy: Policy) -> QuerySet:
    return RevokedAccessToken.objects.filter(expires_at__lt=policy.now)


def expired_seen_values(policy: Policy) -> QuerySet:
    """Single-use values (DPoP proof and client assertion `jti`s, core/replay.py) past their expiry."""
    return SeenValue.objects.filter(expires_at__lte=policy.now)


def old_events(policy: Policy) -> QuerySet:
    return Event.objects.filter(published__lt=policy.now - policy.event_retention)


# --- batches ----------------------------------------------------------------------------------


def _lock_batch(qs: QuerySet, after: int, size: int) -> list[int]:
    """The next ids of `qs` after `after`, locked; rows another purge holds are skipped."""
    locked = qs.filter(pk__gt=after).order_by("pk").select_for_update(skip_locked=True, of=("self",))
    return list(locked.values_list("pk", flat=True)[:size])


def _delete_in_batches(qs: QuerySet, policy: Policy, on_batch: Callable[[int], None], stop) -> int:
    """Delete every row of `qs` (a model without dependants) in ordered, locked id batches."""
    total, after = 0, 0
    while not stop.is_set():
        with transaction.atomic():
            ids = _lock_batch(qs, after, policy.batch_size)
            if not ids:
                break
            deleted, _ = qs.model.objects.filter(pk__in=ids).delete()
        after = ids[-1]
        total += deleted
        on_batch(deleted)
    return total


def _delete_families(policy: Policy, on_batch: Callable[[str, int], None], stop) -> None:
    """Dead families batch by batch: their tokens first (≤ batch_size per transaction), then them.

    A dead family stays dead (refresh refuses it before touching it), so the tokens can go in
    transactions of their own before the family row, and a batch never holds many locks.
    """
    after = 0
    while not stop.is_set():
        family_ids = list(
            dead_families(policy).filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[: policy.batch_size]
        )
        if not family_ids:
            break
        after = family_ids[-1]
        tokens = RefreshToken.objects.filter(family_id__in=family_ids)
        _delete_in_batches(tokens, policy, lambda n: on_batch("refresh tokens", n), threading.Event())
        with transaction.atomic():
            ids = _lock_batch(TokenFamily.objects.filter(pk__in=family_ids), 0, policy.batch_size)
            # The collector also deletes tokens another purge had locked, and unlinks codes.
            _, per_model = TokenFamily.objects.filter(pk__in=ids).delete()
        on_batch("refresh tokens", per_model.get(RefreshToken._meta.label, 0))
        on_batch("families", per_model.get(TokenFamily._meta.label, 0))


# Kinds in the order they run: codes before families, so fewer codes need unlinking.
KINDS = (
    "authorization codes",
    "device codes",
    "rotated refresh tokens",
    "families",
    "refresh tokens",
    "revoked access tokens",
    "single-use values",
    "events",
)
_SIMPLE = {
    "authorization codes": expired_codes,
    "device codes": expired_device_codes,
    "rotated refresh tokens": stale_rotated_tokens,
    "revoked access tokens": expired_revocations,
    "single-use values": expired_seen_values,
    "events": old_events,
}


def count(policy: Policy) -> dict[str, int]:
    """What a purge would delete now (`--dry-run`)."""
    counts = {kind: query(policy).count() for kind, query in _SIMPLE.items()}
    families = dead_families(policy)
    counts["families"] = families.count()
    counts["refresh tokens"] = RefreshToken.objects.filter(family__in=families).count()
    return {kind: counts[kind] for kind in KINDS}


def purge(policy: Policy, reporter: Reporter | None = None, stop: threading.Event | None = None) -> dict[str, int]:
    """Delete everything `policy` allows, kind by kind; returns the rows deleted per kind.

    Idempotent: a second run right after finds nothing. Raises Interrupted (with the counts so
    far) if `stop` is set; the batch in hand is finished first.
    """
    reporter = reporter or Reporter()
    stop = stop or threading.Event()
    counts = dict.fromkeys(KINDS, 0)

    def on_batch(kind: str, deleted: int) -> None:
        counts[kind] += deleted
        metrics.purged(kind, deleted)
        reporter.advance(kind, deleted)

    for kind in KINDS:
        if kind == "refresh tokens":
            continue  # deleted with their families
        total = None
        if reporter.wants_totals:
            total = count_kind(policy, kind)
        if kind == "families":
            reporter.begin("families", total)
            _delete_families(policy, on_batch, stop)
            reporter.end("families", counts["families"])
            reporter.end("refresh tokens", counts["refresh tokens"])
        else:
            reporter.begin(kind, total)
            _delete_in_batches(_SIMPLE[kind](policy), policy, lambda n, kind=kind: on_batch(kind, n), stop)
            reporter.end(kind, counts[kind])
        if stop.is_set():
            raise Interrupted(counts)
    return counts


def count_kind(policy: Policy, kind: str) -> int:
    if kind == "families":
        return dead_families(policy).count()
    return _SIMPLE[kind](policy).count()
