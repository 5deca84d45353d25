"""`GET /api/v1/logs`: Okta's System Log API."""

from datetime import UTC

from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from core.api.errors import ApiValidationFailed
from core.api.pagination import AFTER, limit_param, paginate
from core.api.params import query_param, text_param
from core.api.views import ManagementAPIView

from .logevent import LogEventSerializer
from .reading import BadFilter, filter_events, log_reads

# What filter_events() accepts, declared: `field eq "value"` clauses joined by `and`. Values here
# have no spaces, so no value can be split at an " and " (the server's rule is looser, not stricter).
_FILTER_CLAUSE = r'(eventType|target\.id|actor\.id|outcome\.result|severity)\s+eq\s+"[^"\\\s\x00]{1,255}"'
FILTER_PATTERN = rf"^\s*{_FILTER_CLAUSE}(\s+and\s+{_FILTER_CLAUSE})*\s*$"


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
        queryset = log_reads()
        since, until = _time_param(request, "since"), _time_param(request, "until")
        if since:
            queryset = queryset.filter(published__gte=since)
        if until:
            queryset = queryset.filter(published__lt=until)
        expression = query_param(request, "filter")
        if expression:
            try:
                queryset = filter_events(queryset, expression)
            except BadFilter as exc:
                raise ApiValidationFailed({"filter": [str(exc)]}) from None
        order = query_param(request, "sortOrder") or "ASCENDING"
        if order not in ("ASCENDING", "DESCENDING"):
            raise ApiValidationFailed({"sortOrder": ["sortOrder must be ASCENDING or DESCENDING."]})
        page, link = paginate(request, queryset, descending=order == "DESCENDING", default_limit=100, max_limit=1000)
        return Response(LogEventSerializer(page, many=True).data, headers={"Link": link})
