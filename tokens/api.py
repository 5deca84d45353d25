"""Management API for tokens (per user and client, per app) and signing keys."""

from django.db.models import Max
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from accounts.models import User
from clients.models import Application
from core.api.errors import ApiValidationFailed
from core.api.pagination import AFTER, LIMIT, paginate
from core.api.params import query_param
from core.api.views import ManagementAPIView, find_or_404, or_404
from core.systemlog.audit import Audit

from .lifecycle.revocation import revoke_families, revoke_family
from .models import SigningKey, TokenFamily
from .serializers import (
    ClientSerializer,
    KeyRotateSerializer,
    KeySerializer,
    TokenSerializer,
)
from .servers import keys
from .servers.api import get_server as get_server_row

EXPAND = OpenApiParameter("expand", OpenApiTypes.STR, enum=["scope"], description="`scope` embeds the scopes.")
REASON = "revoked_by_admin"


def _families():
    return TokenFamily.objects.select_related("client", "user").annotate(last_used=Max("tokens__last_used"))


def _expand(request) -> bool:
    value = query_param(request, "expand")
    if value not in (None, "", "scope"):
        raise ApiValidationFailed({"expand": ["Only expand=scope is supported."]})
    return value == "scope"


def get_user(user_id: str) -> User:
    return or_404(User.find(user_id), "User", user_id)


def get_app(app_id: str) -> Application:
    return find_or_404(Application.objects, "AppInstance", public_id=app_id)


def _client_of(client_id: str) -> Application:
    return find_or_404(Application.objects, "OAuth2Client", client_id=client_id)


def _one(queryset, token_id: str) -> TokenFamily:
    return find_or_404(queryset, "OAuth2RefreshToken", public_id=token_id)


def _listing(request, queryset) -> Response:
    expand = _expand(request)
    page, link = paginate(request, queryset.filter(status=TokenFamily.Status.ACTIVE))
    return Response(TokenSerializer(page, many=True, context={"expand_scope": expand}).data, headers={"Link": link})


class UserClientsView(ManagementAPIView):
    rate_limit_bucket = "users"

    @extend_schema(operation_id="listUserClients", responses={200: ClientSerializer(many=True)})
    def get(self, request, user_id):
        user = get_user(user_id)
        app_ids = TokenFamily.objects.filter(user=user, status=TokenFamily.Status.ACTIVE).values("client_id")
        apps = Application.objects.filter(pk__in=app_ids).order_by("pk")
        return Response(ClientSerializer(apps, many=True, context={"user": user}).data)


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
        revoke_families(client=app, user=user, reason=REASON, audit=Audit.of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserClientTokenView(ManagementAPIView):
    rate_limit_bucket = "users"

    @extend_schema(
        operation_id="getRefreshTokenForUserAndClient", parameters=[EXPAND], responses={200: TokenSerializer}
    )
    def get(self, request, user_id, client_id, token_id):
        user, app = get_user(user_id), _client_of(client_id)
        family = _one(_families().filter(user=user, client=app), token_id)
        return Response(TokenSerializer(family, context={"expand_scope": _expand(request)}).data)

    @extend_schema(operation_id="revokeTokenForUserAndClient", responses={204: None})
    def delete(self, request, user_id, client_id, token_id):
        user, app = get_user(user_id), _client_of(client_id)
        family = _one(TokenFamily.objects.select_related("client", "user").filter(user=user, client=app), token_id)
        revoke_family(family, reason=REASON, audit=Audit.of(request))
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
        revoke_families(client=get_app(app_id), reason=REASON, audit=Audit.of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AppTokenView(ManagementAPIView):
    rate_limit_bucket = "apps"

    @extend_schema(operation_id="getOAuth2TokenForApplication", parameters=[EXPAND], responses={200: TokenSerializer})
    def get(self, request, app_id, token_id):
        family = _one(_families().filter(client=get_app(app_id)), token_id)
        return Response(TokenSerializer(family, context={"expand_scope": _expand(request)}).data)

    @extend_schema(operation_id="revokeOAuth2TokenForApplication", responses={204: None})
    def delete(self, request, app_id, token_id):
        family = _one(TokenFamily.objects.select_related("client", "user").filter(client=get_app(app_id)), token_id)
        revoke_family(family, reason=REASON, audit=Audit.of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _server(server_id: str) -> str:
    """A custom server's id (`default` or `aus…`); the org server's keys are not managed here, as in Okta."""
    return get_server_row(server_id).id


def _keys_json(server_id: str) -> list[dict]:
    return KeySerializer(SigningKey.objects.filter(server=server_id).order_by("created"), many=True).data


class KeysView(ManagementAPIView):
    rate_limit_bucket = "authorizationServers"

    @extend_schema(operation_id="listAuthorizationServerKeys", responses={200: KeySerializer(many=True)})
    def get(self, request, server_id):
        keys.ensure_keys(_server(server_id))
        return Response(_keys_json(server_id))


class KeyView(ManagementAPIView):
    rate_limit_bucket = "authorizationServers"

    @extend_schema(operation_id="getAuthorizationServerKey", responses={200: KeySerializer})
    def get(self, request, server_id, key_id):
        row = find_or_404(
            SigningKey.objects.filter(server=_server(server_id)), "AuthorizationServerJsonWebKey", kid=key_id
        )
        return Response(KeySerializer(row).data)


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
