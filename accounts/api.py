"""`/api/v1/users`: Okta's Users API (create, list, read, deactivate, delete) over accounts/services.py."""

from django.db import IntegrityError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from core.api.errors import ApiValidationFailed, UserStatusForbids
from core.api.pagination import AFTER, limit_param, paginate
from core.api.params import query_bool, query_param, text_param
from core.api.views import ManagementAPIView, or_404
from core.systemlog.audit import Audit

from . import services
from .models import User
from .serializers import FIELD_PATHS, UserRequestSerializer, UserSerializer


def get_user(user_id: str) -> User:
    return or_404(User.find(user_id), "User", user_id)


class UserListView(ManagementAPIView):
    rate_limit_bucket = "users"

    @extend_schema(
        operation_id="listUsers",
        parameters=[
            text_param("q", "Prefix of login, email, first or last name."),
            limit_param(200, 200),
            AFTER,
        ],
        responses={200: UserSerializer(many=True)},
    )
    def get(self, request):
        users = User.objects.all()
        q = query_param(request, "q")
        if q:
            users = users.filter(User.matching(q, lookup="istartswith"))
        page, link = paginate(request, users, default_limit=200)
        return Response(UserSerializer(page, many=True).data, headers={"Link": link})

    @extend_schema(
        operation_id="createUser",
        parameters=[OpenApiParameter("activate", OpenApiTypes.BOOL, description="Default true.")],
        request=UserRequestSerializer,
        responses={200: UserSerializer},
    )
    def post(self, request):
        serializer = UserRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        activate = query_bool(request, "activate", True)
        try:
            user = services.create_user(**serializer.to_user_data(), activate=activate, audit=Audit.of(request))
        except services.UserValidationError as exc:
            raise ApiValidationFailed({FIELD_PATHS.get(k, k): v for k, v in exc.errors.items()}) from None
        except IntegrityError:  # the same login created by a concurrent request
            raise ApiValidationFailed({"profile.login": ["A user with this username already exists."]}) from None
        return Response(UserSerializer(user).data)


class UserDetailView(ManagementAPIView):
    rate_limit_bucket = "users"

    @extend_schema(operation_id="getUser", responses={200: UserSerializer})
    def get(self, request, user_id):
        return Response(UserSerializer(get_user(user_id)).data)

    @extend_schema(operation_id="deleteUser", responses={204: None})
    def delete(self, request, user_id):
        user = get_user(user_id)
        try:
            services.delete_user(user, audit=Audit.of(request))
        except services.UserIsActive:
            raise UserStatusForbids(causes=["Deactivate the user before deleting it."]) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserDeactivateView(ManagementAPIView):
    rate_limit_bucket = "users"

    @extend_schema(operation_id="deactivateUser", request=None, responses={200: OpenApiResponse(None)})
    def post(self, request, user_id):
        services.deactivate_user(get_user(user_id), audit=Audit.of(request))
        return Response({})
