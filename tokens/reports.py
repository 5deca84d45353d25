"""Read-only views of the token data for the console: family rows, a family's timeline, dashboard counts.

Nothing here writes; the lifecycle (tokens/lifecycle/) is the only writer of families and tokens.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Max, Q
from django.db.models.functions import TruncHour
from django.utils import timezone

from clients.models import Application
from core.systemlog import grants, types
from core.systemlog.models import REFRESH_GRANT_ROWS, Event
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
    rows = Event.objects.filter(family_id=family.public_id).order_by("-id")[:limit]  # each row: one event or more
    family_events = list(grants.expand_all(rows, descending=True))[:limit][::-1]
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
    agent = (client.get("userAgent") or {}).get("rawUserAgent")
    where = f"from {client['ipAddress']}" if client.get("ipAddress") else "from an address the log did not record"
    if agent:
        where += f" ({agent})"
    return f"{which} was replayed after its grace period {where}; the family was revoked."


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


CHART_WIDTH, CHART_HEIGHT, BASELINE = 960, 130, 140
HOURS = 24


@dataclass
class Rect:
    series: str
    css: str
    value: int
    x: int
    width: int
    px: int

    @property
    def y(self) -> int:
        return BASELINE - self.px


@dataclass
class Column:
    hour: datetime
    x: int
    rects: list[Rect]
    tick: bool  # a labelled tick at its left edge


@dataclass
class Chart:
    """One panel of hourly bars on its own scale, with the numbers behind it for a data table."""

    id: str
    title: str
    series: list[tuple[str, str]]  # (name, css class)
    columns: list[Column]
    peak: int
    note: str = ""

    @property
    def totals(self) -> list[int]:
        return [sum(c.rects[i].value for c in self.columns) for i in range(len(self.series))]


def _px(value: int, peak: int) -> int:
    """Bar height out of CHART_HEIGHT; a non-zero hour is at least 2 px tall so a single event stays visible."""
    return max(2, round(CHART_HEIGHT * value / peak)) if value else 0


def hourly_chart(chart_id: str, title: str, hours: list[datetime], series: list[tuple[str, str, dict]], note=""):
    """A chart of `series` (name, css class, {hour: count}) over `hours`, scaled to its own peak."""
    peak = max([1] + [counts.get(h, 0) for _n, _c, counts in series for h in hours])
    slot = CHART_WIDTH // len(hours)
    width = (slot - 12) // len(series)
    columns = []
    for i, hour in enumerate(hours):
        rects = [
            Rect(name, css, counts.get(hour, 0), 6 + j * (width + 1), width, _px(counts.get(hour, 0), peak))
            for j, (name, css, counts) in enumerate(series)
        ]
        columns.append(Column(hour, slot * i, rects, tick=i % 3 == 0))
    return Chart(chart_id, title, [(n, c) for n, c, _ in series], columns, peak, note)


def _by_hour(qs) -> dict:
    rows = qs.annotate(hour=TruncHour("published")).values("hour").annotate(n=Count("id"))
    return {row["hour"]: row["n"] for row in rows}


def refresh_counts(recent) -> list:
    """The rows of access tokens granted to refresh_token grants, as two querysets whose counts add up: the grant
    rows, counted from their own partial index without reading the table (Event's `event_refresh_idx`, built on
    REFRESH_GRANT_ROWS), and the rows written one per event before them (`issued` empty, from the event-type
    index). Together they are `grants.of_types(ACCESS_TOKEN_GRANT)` with grantType refresh_token; one query's OR
    of both would read every grant row of the 24 hours from the table."""
    plain = Q(event_type__in=types.ACCESS_TOKEN_GRANT, issued="", debug_data__grantType="refresh_token")
    return [recent.filter(REFRESH_GRANT_ROWS), recent.filter(plain)]


def refreshes_by_hour(recent) -> dict:
    out: dict = {}
    for qs in refresh_counts(recent):
        for hour, n in _by_hour(qs).items():
            out[hour] = out.get(hour, 0) + n
    return out


def _failures_by_hour(qs) -> dict:
    """`invalid_client_credentials` is one event per client and minute; its `failures` says how many it stands for."""
    out: dict = {}
    for published, data in qs.values_list("published", "debug_data"):
        hour = published.replace(minute=0, second=0, microsecond=0)
        out[hour] = out.get(hour, 0) + int((data or {}).get("failures") or 1)
    return out


def dashboard(now: datetime | None = None) -> dict:
    """The numbers an admin checks first, and per-hour charts of the last 24 h, each on its own scale: refreshes,
    reuse detections (so that one among thousands of refreshes still shows), sign-ins and token-endpoint errors."""
    now = now or timezone.now()
    since = now - timedelta(hours=HOURS)
    recent = log_reads().filter(published__gt=since)
    # A row holds at most one event of a type (core/systemlog/grants.py), so counting rows counts events.
    reuses = recent.filter(grants.of_types(types.REUSE))
    sign_ins = recent.filter(grants.of_type(types.SESSION_START))

    refresh_by_hour, reuse_by_hour = refreshes_by_hour(recent), _by_hour(reuses)
    signin_ok, signin_failed = (
        _by_hour(sign_ins.filter(outcome_result="SUCCESS")),
        _by_hour(sign_ins.filter(outcome_result="FAILURE")),
    )
    invalid_client = _failures_by_hour(recent.filter(grants.of_type(types.INVALID_CLIENT)))
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=HOURS - 1)
    hours = [first + timedelta(hours=i) for i in range(HOURS)]
    bars = [HourBar(h, refresh_by_hour.get(h, 0), reuse_by_hour.get(h, 0)) for h in hours]
    peak = max([1] + [b.refreshes for b in bars])
    reuse_peak = max([1] + [b.reuses for b in bars])
    for i, bar in enumerate(bars):
        bar.x = 40 * i
        bar.refresh_px, bar.reuse_px = _px(bar.refreshes, peak), _px(bar.reuses, reuse_peak)
    charts = [
        hourly_chart("refreshes", "Refreshes per hour", hours, [("Refreshes", "fill-refresh", refresh_by_hour)]),
        hourly_chart(
            "reuses",
            "Reuse detections per hour",
            hours,
            [("Reuse detections", "fill-reuse", reuse_by_hour)],
            note="On its own scale: a single detection is a full-height bar.",
        ),
        hourly_chart(
            "sign-ins",
            "Sign-ins per hour",
            hours,
            [("Succeeded", "fill-ok", signin_ok), ("Failed", "fill-reuse", signin_failed)],
        ),
        hourly_chart(
            "endpoint-errors",
            "Token-endpoint errors per hour",
            hours,
            [("invalid_client", "fill-warn", invalid_client), ("invalid_grant (replay)", "fill-reuse", reuse_by_hour)],
            note="invalid_client counts failed client authentications; invalid_grant counts replayed refresh "
            "tokens, the invalid_grant answers the system log records.",
        ),
    ]
    return {
        "active_apps": Application.objects.filter(status=Application.Status.ACTIVE).count(),
        "active_families": TokenFamily.objects.filter(status=TokenFamily.Status.ACTIVE).count(),
        "refreshes_24h": sum(b.refreshes for b in bars),
        "reuses_24h": sum(b.reuses for b in bars),
        "sign_ins_24h": sum(signin_ok.get(h, 0) for h in hours),
        "failed_sign_ins_24h": sum(signin_failed.get(h, 0) for h in hours),
        "invalid_client_24h": sum(invalid_client.get(h, 0) for h in hours),
        "bars": bars,
        "peak": peak,
        "charts": charts,
        "now": now,
        "recent_reuse": list(reuses.order_by("-id")[:5]),
    }
