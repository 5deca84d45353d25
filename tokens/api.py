"""Management API for tokens (per user and client, per app), signing keys and the system log."""

import json
import re
from datetime import UTC

from django.db import connection
from django.db.models import Max, Q
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from accounts.api import get_user
from clients.api import AFTER, LIMIT, get_app
from clients.api_base import ManagementAPIView, query_param
from clients.api_errors import ApiValidationFailed, ResourceNotFound
from clients.models import Application
from clients.pagination import paginate

from . import events, keys
from .lifecycle import revoke_families, revoke_family
from .models import SERVER_DEFAULT, SigningKey, TokenFamily
from .serializers import (
    ClientSerializer,
    KeyRotateSerializer,
    KeySerializer,
    LogEventSerializer,
    TokenSerializer,
    client_json,
    event_json,
    key_json,
    token_json,
)

EXPAND = OpenApiParameter("expand", OpenApiTypes.STR, enum=["scope"], description="`scope` embeds the scopes.")
_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
REASON = "revoked_by_admin"


def _families():
    return TokenFamily.objects.select_related("client", "user").annotate(last_used=Max("tokens__last_used"))


def _expand(request) -> bool:
    value = query_param(request, "expand")
    if value not in (None, "", "scope"):
        raise ApiValidationFailed({"expand": ["Only expand=scope is supported."]})
    return value == "scope"


def _client_of(client_id: str) -> Application:
    app = Application.objects.filter(client_id=client_id).first() if _ID.match(client_id) else None
    if app is None:
        raise ResourceNotFound(f"{client_id} (OAuth2Client)")
    return app


def _one(queryset, token_id: str) -> TokenFamily:
    family = queryset.filter(public_id=token_id).first() if _ID.match(token_id) else None
    if family is None:
        raise ResourceNotFound(f"{token_id} (OAuth2RefreshToken)")
    return family


def _listing(request, queryset) -> Response:
    expand = _expand(request)
    page, link = paginate(request, queryset.filter(status=TokenFamily.Status.ACTIVE))
    return Response([token_json(f, expand_scope=expand) for f in page], headers={"Link": link})


def _actor(request) -> dict:
    return events.user_ref(request.user)


class UserClientsView(ManagementAPIView):
    rate_limit_bucket = "users"

    @extend_schema(operation_id="listUserClients", responses={200: ClientSerializer(many=True)})
    def get(self, request, user_id):
        user = get_user(user_id)
        app_ids = TokenFamily.objects.filter(user=user, status=TokenFamily.Status.ACTIVE).values("client_id")
        apps = Application.objects.filter(pk__in=app_ids).order_by("pk")
        return Response([client_json(app, user) for app in apps])


class UserClientTokensView(ManagementAPIView):
    rate_limit_bucket = "users"

    @extend_schema(
        operation_id="listRefreshTokensForUserAndClient",
        parameters=[EXPAND, LIMIT, AFTER],
        responses={200: TokenSerializer(many=True)},
    )
    def get(self, request, user_id, client_id):
        user, app = get_user(user_id), _client_of(client_id)
        return _listing(request, _families().filter(user=user, client=app))

    @extend_schema(operation_id="revokeTokensForUserAndClient", responses={204: None})
    def delete(self, request, user_id, client_id):
        user, app = get_user(user_id), _client_of(client_id)
        revoke_families(client=app, user=user, reason=REASON, request=request, actor=_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserClientTokenView(ManagementAPIView):
    rate_limit_bucket = "users"

    @extend_schema(
        operation_id="getRefreshTokenForUserAndClient", parameters=[EXPAND], responses={200: TokenSerializer}
    )
    def get(self, request, user_id, client_id, token_id):
        user, app = get_user(user_id), _client_of(client_id)
        family = _one(_families().filter(user=user, client=app), token_id)
        return Response(token_json(family, expand_scope=_expand(request)))

    @extend_schema(operation_id="revokeTokenForUserAndClient", responses={204: None})
    def delete(self, request, user_id, client_id, token_id):
        user, app = get_user(user_id), _client_of(client_id)
        family = _one(TokenFamily.objects.select_related("client", "user").filter(user=user, client=app), token_id)
        revoke_family(family, reason=REASON, request=request, actor=_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AppTokensView(ManagementAPIView):
    rate_limit_bucket = "apps"

    @extend_schema(
        operation_id="listOAuth2TokensForApplication",
        parameters=[EXPAND, LIMIT, AFTER],
        responses={200: TokenSerializer(many=True)},
    )
    def get(self, request, app_id):
        return _listing(request, _families().filter(client=get_app(app_id)))

    @extend_schema(operation_id="revokeOAuth2TokensForApplication", responses={204: None})
    def delete(self, request, app_id):
        revoke_families(client=get_app(app_id), reason=REASON, request=request, actor=_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AppTokenView(ManagementAPIView):
    rate_limit_bucket = "apps"

    @extend_schema(operation_id="getOAuth2TokenForApplication", parameters=[EXPAND], responses={200: TokenSerializer})
    def get(self, request, app_id, token_id):
        family = _one(_families().filter(client=get_app(app_id)), token_id)
        return Response(token_json(family, expand_scope=_expand(request)))

    @extend_schema(operation_id="revokeOAuth2TokenForApplication", responses={204: None})
    def delete(self, request, app_id, token_id):
        family = _one(TokenFamily.objects.select_related("client", "user").filter(client=get_app(app_id)), token_id)
        revoke_family(family, reason=REASON, request=request, actor=_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _server(server_id: str) -> str:
    if server_id != SERVER_DEFAULT:
        raise ResourceNotFound(f"{server_id} (AuthorizationServer)")
    return server_id


def _keys_json(server_id: str) -> list[dict]:
    return [key_json(row, server_id) for row in SigningKey.objects.filter(server=server_id).order_by("created")]


class KeysView(ManagementAPIView):
    rate_limit_bucket = "authorizationServers"

    @extend_schema(operation_id="listAuthorizationServerKeys", responses={200: KeySerializer(many=True)})
    def get(self, request, server_id):
        keys.ensure_keys(_server(server_id))
        return Response(_keys_json(server_id))


class KeyRotateView(ManagementAPIView):
    rate_limit_bucket = "authorizationServers"

    @extend_schema(
        operation_id="rotateAuthorizationServerKeys",
        request=KeyRotateSerializer,
        responses={200: KeySerializer(many=True)},
    )
    def post(self, request, server_id):
        _server(server_id)
        KeyRotateSerializer(data=request.data).is_valid(raise_exception=True)
        keys.rotate_keys(server_id)
        return Response(_keys_json(server_id))


_CLAUSE = re.compile(r'^(eventType|target\.id|actor\.id|outcome\.result|severity)\s+eq\s+"([^"\\]{1,255})"$')


FILTER_HELP = 'Use eventType, target.id, actor.id, outcome.result or severity eq "value", joined by and.'


def _filter_events(queryset, expression: str):
    for clause in re.split(r"\s+and\s+", expression.strip()):
        match = _CLAUSE.match(clause.strip())
        if not match:
            raise ApiValidationFailed({"filter": [FILTER_HELP]})
        field, value = match.groups()
        if field == "eventType":
            queryset = queryset.filter(event_type=value)
        elif field == "outcome.result":
            queryset = queryset.filter(outcome_result=value)
        elif field == "severity":
            queryset = queryset.filter(severity=value)
        elif field == "actor.id":
            queryset = queryset.filter(actor__id=value)
        else:
            ids = Q(app_id=value) | Q(user_id=value) | Q(family_id=value)
            if connection.vendor == "postgresql":
                ids |= Q(targets__contains=[{"id": value}])
            else:  # SQLite has no JSON containment; match the quoted value in the stored text
                ids |= Q(targets__icontains=json.dumps(value))
            queryset = queryset.filter(ids)
    return queryset


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
            OpenApiParameter("filter", OpenApiTypes.STR, description='e.g. `eventType eq "app.oauth2.token.revoke"`'),
            OpenApiParameter("sortOrder", OpenApiTypes.STR, enum=["ASCENDING", "DESCENDING"]),
            OpenApiParameter("limit", OpenApiTypes.INT, description="Page size (default 100, at most 1000)."),
            AFTER,
        ],
        responses={200: LogEventSerializer(many=True)},
    )
    def get(self, request):
        queryset = events.log_reads()
        since, until = _time_param(request, "since"), _time_param(request, "until")
        if since:
            queryset = queryset.filter(published__gte=since)
        if until:
            queryset = queryset.filter(published__lt=until)
        expression = query_param(request, "filter")
        if expression:
            queryset = _filter_events(queryset, expression)
        order = query_param(request, "sortOrder") or "ASCENDING"
        if order not in ("ASCENDING", "DESCENDING"):
            raise ApiValidationFailed({"sortOrder": ["sortOrder must be ASCENDING or DESCENDING."]})
        page, link = paginate(request, queryset, descending=order == "DESCENDING", default_limit=100, max_limit=1000)
        return Response([event_json(event) for event in page], headers={"Link": link})
