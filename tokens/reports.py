"""Read-only views of the token data for the console: family rows, a family's timeline, dashboard counts.

Nothing here writes; the lifecycle (tokens/lifecycle/) is the only writer of families and tokens.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Q
from django.db.models.functions import TruncHour
from django.utils import timezone

from clients.models import Application
from core.systemlog import types
from core.systemlog.models import Event
from core.systemlog.reading import log_reads

from .models import RefreshToken, TokenFamily


def family_rows(*, client=None, user=None, active_only: bool = False):
    """Families with their last use and rotation count, newest first, for the Tokens tab and user page."""
    qs = TokenFamily.objects.select_related("client", "user").annotate(
        last_used=Max("tokens__last_used"),
        rotations=Count("tokens", filter=Q(tokens__origin="rotation")),
        grace_uses=Count("tokens", filter=Q(tokens__origin="grace")),
    )
    if client is not None:
        qs = qs.filter(client=client)
    if user is not None:
        qs = qs.filter(user=user)
    if active_only:
        qs = qs.filter(status=TokenFamily.Status.ACTIVE)
    return qs.order_by("-created", "-pk")


def apps_of_user(user):
    """The apps a user has signed in to (has or had a token family with), by label."""
    return Application.objects.filter(families__user=user).distinct().order_by("name")


@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # issued | rotation | grace | refresh | reuse | revoke
    title: str
    detail: str = ""
    x: float = 0.0  # position on the strip, 0–1000


_REUSE_DETAIL = "A rotated token was replayed after its grace period; the family was revoked."


TIMELINE_LIMIT = 200


def family_timeline(family: TokenFamily, *, limit: int = TIMELINE_LIMIT) -> list[TimelineEntry]:
    """The life of a family, oldest first: its refresh tokens (issued, rotations, grace uses) and
    the events that changed it (reuse detected, revoked), plus refreshes that kept a persistent token.

    A long-lived family keeps only its latest `limit` tokens and events here, so the end of its
    story (a reuse, a revocation) is always shown. Tokens are numbered in creation order; a
    rotation row is matched to the token it replaced by the moment of rotation, which the
    lifecycle writes as one timestamp on both rows.
    """
    total = RefreshToken.objects.filter(family=family).count()
    tokens = list(RefreshToken.objects.filter(family=family).order_by("-created", "-pk")[:limit])[::-1]
    first_number = total - len(tokens) + 1
    number = {t.pk: first_number + i for i, t in enumerate(tokens)}
    replaced_at = {t.rotated_at: t for t in tokens if t.rotated_at is not None}
    entries: list[TimelineEntry] = []
    for token in tokens:
        n = number[token.pk]
        if token.origin == "rotation":
            old = replaced_at.get(token.created)
            source = f"token #{number[old.pk]}" if old else f"token #{n - 1}"
            entries.append(TimelineEntry(token.created, "rotation", f"Rotated: {source} replaced by token #{n}"))
        elif token.origin == "grace":
            entries.append(
                TimelineEntry(
                    token.created,
                    "grace",
                    f"Grace-period reuse: token #{n} minted",
                    "A rotated token came back within the grace period, so it still worked.",
                )
            )
        else:
            entries.append(TimelineEntry(token.created, "issued", f"Issued at sign-in: token #{n}"))
    # Grant events written in the same request as a minted token are not separate refreshes.
    minted_seconds = {int(t.created.timestamp()) + d for t in tokens for d in (0, 1)}
    family_events = list(Event.objects.filter(family_id=family.public_id).order_by("-id")[:limit])[::-1]
    for event in family_events:
        if event.event_type in types.REUSE:
            entries.append(
                TimelineEntry(
                    event.published,
                    "reuse",
                    "Reuse detected",
                    _REUSE_DETAIL,
                )
            )
        elif event.event_type in types.REVOKE:
            reason = (event.debug_data or {}).get("reason", "")
            entries.append(TimelineEntry(event.published, "revoke", "Revoked", reason.replace("_", " ")))
        elif (
            event.event_type in types.ACCESS_TOKEN_GRANT
            and (event.debug_data or {}).get("grantType") == "refresh_token"
            and int(event.published.timestamp()) not in minted_seconds
        ):
            entries.append(TimelineEntry(event.published, "refresh", "Refreshed; the same token was returned"))
    if family.status == TokenFamily.Status.REVOKED and not any(e.kind in ("reuse", "revoke") for e in entries):
        at = family.revoked_at or family.created
        entries.append(TimelineEntry(at, "revoke", "Revoked", family.revoked_reason.replace("_", " ")))
    entries.sort(key=lambda e: e.at)
    _place(entries)
    return entries


def _place(entries: list[TimelineEntry]) -> None:
    """Place entries on a 20–980 strip: half by order, half by time, so bursts stay apart and gaps still show."""
    if not entries:
        return
    start, end, last = entries[0].at, entries[-1].at, len(entries) - 1
    span = (end - start).total_seconds()
    for rank, entry in enumerate(entries):
        by_order = rank / last if last else 0.5
        by_time = (entry.at - start).total_seconds() / span if span else by_order
        entry.x = 20 + 960 * (by_order + by_time) / 2


@dataclass
class HourBar:
    hour: datetime
    refreshes: int
    reuses: int
    x: int = 0  # left edge in the 960-wide chart
    refresh_px: int = 0  # bar heights out of 130 px, and their tops above the 140 px baseline
    reuse_px: int = 0

    @property
    def refresh_y(self) -> int:
        return 140 - self.refresh_px

    @property
    def reuse_y(self) -> int:
        return 140 - self.reuse_px


def dashboard(now: datetime | None = None) -> dict:
    """The numbers an admin checks first, and refreshes / reuse detections per hour for the last 24 h."""
    now = now or timezone.now()
    since = now - timedelta(hours=24)
    recent = log_reads().filter(published__gt=since)
    refreshes = recent.filter(event_type__in=types.ACCESS_TOKEN_GRANT, debug_data__grantType="refresh_token")
    reuses = recent.filter(event_type__in=types.REUSE)

    def per_hour(qs) -> dict:
        rows = qs.annotate(hour=TruncHour("published")).values("hour").annotate(n=Count("id"))
        return {row["hour"]: row["n"] for row in rows}

    refresh_by_hour, reuse_by_hour = per_hour(refreshes), per_hour(reuses)
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
    bars = [
        HourBar(h, refresh_by_hour.get(h, 0), reuse_by_hour.get(h, 0))
        for h in (first + timedelta(hours=i) for i in range(24))
    ]
    peak = max([1] + [max(b.refreshes, b.reuses) for b in bars])
    for i, bar in enumerate(bars):
        bar.x = 40 * i
        # A non-zero hour is at least 2 px tall so a single event stays visible.
        bar.refresh_px = max(2, round(130 * bar.refreshes / peak)) if bar.refreshes else 0
        bar.reuse_px = max(2, round(130 * bar.reuses / peak)) if bar.reuses else 0
    return {
        "active_apps": Application.objects.filter(status=Application.Status.ACTIVE).count(),
        "active_families": TokenFamily.objects.filter(status=TokenFamily.Status.ACTIVE).count(),
        "refreshes_24h": sum(b.refreshes for b in bars),
        "reuses_24h": sum(b.reuses for b in bars),
        "bars": bars,
        "peak": peak,
        "recent_reuse": list(reuses.order_by("-id")[:5]),
    }
