"""Read-only views of the token data for the console: family rows, a family's timeline, dashboard counts.

Nothing here writes; the lifecycle (tokens/lifecycle/) is the only writer of families and tokens.
"""

from dataclasses import dataclass, field
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
    kind: str  # issued | rotation | grace | refresh | reuse | revoke | group
    title: str
    detail: str = ""
    entries: list["TimelineEntry"] = field(default_factory=list)  # a group's members
    until: datetime | None = None  # a group's last moment


_REUSE_DETAIL = "A rotated token was replayed after its grace period; the family was revoked."

TIMELINE_LIMIT = 200
# Runs of at least this many routine entries (rotations, persistent refreshes) in a row fold into one group.
GROUP_AT = 3
_ROUTINE = {
    "rotation": ("rotation", "rotations"),
    "refresh": ("persistent-token refresh", "persistent-token refreshes"),
}


def family_timeline(family: TokenFamily, *, limit: int = TIMELINE_LIMIT) -> list[TimelineEntry]:
    """The life of a family, oldest first: its refresh tokens (issued, rotations, grace uses) and
    the events that changed it (reuse detected, revoked), plus refreshes that kept a persistent token.
    Flat: the console folds runs of routine rotations or refreshes with `group_runs()`.

    A long-lived family keeps only its latest `limit` tokens and events here, so the end of its
    story (a reuse, a revocation) is always shown. Tokens are numbered in creation order; a
    rotation row is matched to the token it replaced by the moment of rotation, which the
    lifecycle writes as one timestamp on both rows.

    A persistent token's refresh is a token response that minted no refresh token: the grant events
    of one response share one `published` moment (tokens/lifecycle/events.py), and a response that
    minted one has a `token.grant.refresh_token` event among them.
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
    family_events = list(Event.objects.filter(family_id=family.public_id).order_by("-id")[:limit])[::-1]
    responses: dict[datetime, set[str]] = {}
    for event in family_events:
        if event.event_type in types.REUSE:
            entries.append(TimelineEntry(event.published, "reuse", "Reuse detected", _reuse_detail(family, event)))
        elif event.event_type in types.REVOKE:
            reason = (event.debug_data or {}).get("reason", "")
            entries.append(TimelineEntry(event.published, "revoke", "Revoked", reason.replace("_", " ")))
        elif (event.debug_data or {}).get("grantType") == "refresh_token":
            responses.setdefault(event.published, set()).add(event.event_type)
    for at, kinds in responses.items():
        if kinds & set(types.ACCESS_TOKEN_GRANT) and not kinds & set(types.REFRESH_TOKEN_GRANT):
            entries.append(TimelineEntry(at, "refresh", "Refreshed; the same token was returned"))
    if family.status == TokenFamily.Status.REVOKED and not any(e.kind in ("reuse", "revoke") for e in entries):
        at = family.revoked_at or family.created
        entries.append(TimelineEntry(at, "revoke", "Revoked", family.revoked_reason.replace("_", " ")))
    entries.sort(key=lambda e: e.at)
    return entries


def _reuse_detail(family: TokenFamily, event: Event) -> str:
    """Which token came back (its number in the family) and from where (the event's client)."""
    data = event.debug_data or {}
    replayed = RefreshToken.objects.filter(family=family, token_hash=data.get("replayedTokenHash") or "").first()
    which = "A rotated token"
    if replayed is not None:
        earlier = RefreshToken.objects.filter(family=family).filter(
            Q(created__lt=replayed.created) | Q(created=replayed.created, pk__lt=replayed.pk)
        )
        which = f"Token #{earlier.count() + 1}"
    client = event.client_info or {}
    ip = client.get("ipAddress") or "an unknown address"
    agent = (client.get("userAgent") or {}).get("rawUserAgent") or "an unknown user agent"
    return f"{which} was replayed after its grace period from {ip} ({agent}); the family was revoked."


def group_runs(entries: list[TimelineEntry], *, at_least: int = GROUP_AT) -> list[TimelineEntry]:
    """Fold each run of `at_least` or more routine entries of one kind into a `group` entry that keeps them."""
    out: list[TimelineEntry] = []
    i = 0
    while i < len(entries):
        j = i
        while j < len(entries) and entries[j].kind == entries[i].kind:
            j += 1
        run = entries[i:j]
        if entries[i].kind in _ROUTINE and len(run) >= at_least:
            one, many = _ROUTINE[entries[i].kind]
            out.append(TimelineEntry(run[0].at, "group", f"{len(run)} {many}", entries=run, until=run[-1].at))
        else:
            out.extend(run)
        i = j
    return out


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
