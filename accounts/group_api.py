"""`/api/v1/groups` and `/api/v1/users/{id}/groups`: Okta's Groups API over accounts/groups.py."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from core.api.errors import ApiValidationFailed, NoPermission
from core.api.pagination import AFTER, limit_param, paginate
from core.api.params import query_param, text_param
from core.api.views import ManagementAPIView, or_404
from core.systemlog.audit import Audit

from . import groups
from .api import get_user
from .models import Group, User
from .serializers import GroupRequestSerializer, GroupSerializer, UserSerializer

GROUP_FIELD_PATHS = {"name": "profile.name", "description": "profile.description"}


def get_group(group_id: str) -> Group:
    return or_404(Group.find(group_id), "Group", group_id)


def _group_data(request) -> dict:
    serializer = GroupRequestSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.to_group_data()


class _Refusals:
    """Domain refusals as Okta's errors: bad fields E0000001, Everyone E0000006."""

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if isinstance(exc, groups.GroupValidationError):
            raise ApiValidationFailed({GROUP_FIELD_PATHS.get(k, k): v for k, v in exc.errors.items()}) from None
        if isinstance(exc, groups.BuiltInGroup):
            raise NoPermission(causes=["The built-in Everyone group cannot be changed."]) from None
        return False


class GroupListView(ManagementAPIView):
    rate_limit_bucket = "groups"

    @extend_schema(
        operation_id="listGroups",
        parameters=[text_param("q", "Prefix of the group's name."), limit_param(200, 200), AFTER],
        responses={200: GroupSerializer(many=True)},
    )
    def get(self, request):
        found = Group.objects.all()
        q = query_param(request, "q")
        if q:
            found = found.filter(name__istartswith=q)
        page, link = paginate(request, found, default_limit=200)
        return Response(GroupSerializer(page, many=True).data, headers={"Link": link})

    @extend_schema(operation_id="addGroup", request=GroupRequestSerializer, responses={200: GroupSerializer})
    def post(self, request):
        data = _group_data(request)
        with _Refusals():
            group = groups.create_group(**data, audit=Audit.of(request))
        return Response(GroupSerializer(group).data)


class GroupDetailView(ManagementAPIView):
    rate_limit_bucket = "groups"

    @extend_schema(operation_id="getGroup", responses={200: GroupSerializer})
    def get(self, request, group_id):
        return Response(GroupSerializer(get_group(group_id)).data)

    @extend_schema(operation_id="replaceGroup", request=GroupRequestSerializer, responses={200: GroupSerializer})
    def put(self, request, group_id):
        group = get_group(group_id)
        data = _group_data(request)
        with _Refusals():
            group = groups.update_group(group, **data, audit=Audit.of(request))
        return Response(GroupSerializer(group).data)

    @extend_schema(operation_id="deleteGroup", responses={204: None})
    def delete(self, request, group_id):
        group = get_group(group_id)
        with _Refusals():
            groups.delete_group(group, audit=Audit.of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupUserListView(ManagementAPIView):
    rate_limit_bucket = "groups"

    @extend_schema(
        operation_id="listGroupUsers",
        parameters=[limit_param(200, 200), AFTER],
        responses={200: UserSerializer(many=True)},
    )
    def get(self, request, group_id):
        page, link = paginate(request, get_group(group_id).users(), default_limit=200)
        return Response(UserSerializer(page, many=True).data, headers={"Link": link})


class GroupMemberView(ManagementAPIView):
    rate_limit_bucket = "groups"

    @extend_schema(operation_id="assignUserToGroup", request=None, responses={204: None})
    def put(self, request, group_id, user_id):
        group, user = get_group(group_id), get_user(user_id)
        with _Refusals():
            groups.add_member(group, user, audit=Audit.of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(operation_id="unassignUserFromGroup", responses={204: None})
    def delete(self, request, group_id, user_id):
        group, user = get_group(group_id), get_user(user_id)
        with _Refusals():
            groups.remove_member(group, user, audit=Audit.of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserGroupListView(ManagementAPIView):
    rate_limit_bucket = "users"

    @extend_schema(
        operation_id="listUserGroups",
        parameters=[limit_param(200, 200), AFTER],
        responses={200: GroupSerializer(many=True)},
    )
    def get(self, request, user_id):
        user: User = get_user(user_id)
        page, link = paginate(request, Group.of_user(user), default_limit=200)
        return Response(GroupSerializer(page, many=True).data, headers={"Link": link})
