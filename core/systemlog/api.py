"""`GET /api/v1/logs`: Okta's System Log API."""

import re
from datetime import UTC

from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from core.api.errors import ApiValidationFailed
from core.api.pagination import limit_param, links, page_limit
from core.api.params import query_param, text_param
from core.api.views import ManagementAPIView

from .logevent import LogEventSerializer
from .reading import BadFilter, Log, filter_events, log_reads, position

# What filter_events() accepts, declared: `field eq "value"` clauses joined by `and`. Values here
# have no spaces, so no value can be split at an " and " (the server's rule is looser, not stricter).
_FILTER_CLAUSE = r'(eventType|target\.id|actor\.id|outcome\.result|severity)\s+eq\s+"[^"\\\s\x00]{1,255}"'
FILTER_PATTERN = rf"^\s*{_FILTER_CLAUSE}(\s+and\s+{_FILTER_CLAUSE})*\s*$"
# A position in the log: the last event's row id, and which of the row's events it was when the row has more
# (a grant row stands for up to three events, core/systemlog/grants.py). A row id alone, as earlier cursors
# were, still means "after that row".
_CURSOR = re.compile(r"^([0-9]{1,18})(?:\.([0-2]))?$")
AFTER = OpenApiParameter(
    "after",
    {"type": "string", "pattern": r"^([0-9]{1,18}(\.[0-2])?)?$"},
    description="Cursor from the `next` Link header.",
)


def _time_param(request, name: str):
    value = query_param(request, name)
    if not value:
        return None
    try:
        moment = parse_datetime(value)
        if moment is not None:
            moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        raise ApiValidationFailed({name: [f"'{name}' must be an ISO 8601 timestamp, like 2024-01-31T12:00:00.000Z."]})
    return moment


def _cursor_param(request) -> tuple[int, int | None] | None:
    value = query_param(request, "after")
    if not value:
        return None
    match = _CURSOR.match(value) if value.isascii() else None
    if not match:
        raise ApiValidationFailed({"after": ["'after' must be the cursor of a `next` link."]})
    return int(match[1]), None if match[2] is None else int(match[2])


def _cursor_text(cursor: tuple[int, int | None]) -> str:
    pk, part = cursor
    return str(pk) if part is None else f"{pk}.{part}"


class LogsView(ManagementAPIView):
    rate_limit_bucket = "logs"

    @extend_schema(
        operation_id="listLogEvents",
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="Events published at or after this."),
            OpenApiParameter("until", OpenApiTypes.DATETIME, description="Events published before this."),
            text_param("filter", 'e.g. `eventType eq "app.oauth2.token.revoke"`', pattern=FILTER_PATTERN),
            OpenApiParameter("sortOrder", OpenApiTypes.STR, enum=["ASCENDING", "DESCENDING"]),
            limit_param(100, 1000),
            AFTER,
        ],
        responses={200: LogEventSerializer(many=True)},
    )
    def get(self, request):
        log = Log(log_reads())
        since, until = _time_param(request, "since"), _time_param(request, "until")
        if since:
            log = log.published_since(since)
        if until:
            log = log.filter(published__lt=until)
        expression = query_param(request, "filter")
        if expression:
            try:
                log = filter_events(log, expression)
            except BadFilter as exc:
                raise ApiValidationFailed({"filter": [str(exc)]}) from None
        order = query_param(request, "sortOrder") or "ASCENDING"
        if order not in ("ASCENDING", "DESCENDING"):
            raise ApiValidationFailed({"sortOrder": ["sortOrder must be ASCENDING or DESCENDING."]})
        descending = order == "DESCENDING"
        limit = page_limit(request, default_limit=100, max_limit=1000)
        events = log.page(descending=descending, after=_cursor_param(request), limit=limit + 1)
        page = events[:limit]
        after = _cursor_text(position(page[-1])) if len(events) > limit else None
        link = links(request, next_after=after, limit=limit)
        return Response(LogEventSerializer(page, many=True).data, headers={"Link": link})
