"""`/api/v1/apps/{appId}/groups` and `/api/v1/apps/{appId}/users`: Okta's app assignments over
clients/assignments.py."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from accounts.api import get_user
from accounts.group_api import get_group
from core.api.errors import ResourceNotFound
from core.api.pagination import AFTER, LIMIT, paginate
from core.api.views import ManagementAPIView
from core.systemlog.audit import Audit

from . import assignments
from .api import get_app
from .models import AppGroupAssignment, Application
from .serializers import (
    AppGroupAssignmentSerializer,
    AppSerializer,
    AppUserRequestSerializer,
    AppUserSerializer,
    GroupAssignmentRequestSerializer,
)


class AppGroupListView(ManagementAPIView):
    rate_limit_bucket = "apps"

    @extend_schema(
        operation_id="listApplicationGroupAssignments",
        parameters=[LIMIT, AFTER],
        responses={200: AppGroupAssignmentSerializer(many=True)},
    )
    def get(self, request, app_id):
        app = get_app(app_id)
        found = AppGroupAssignment.objects.filter(app=app).select_related("app", "group")
        page, link = paginate(request, found)
        return Response(AppGroupAssignmentSerializer(page, many=True).data, headers={"Link": link})


class AppGroupView(ManagementAPIView):
    rate_limit_bucket = "apps"

    def _assignment(self, app_id, group_id) -> AppGroupAssignment:
        app, group = get_app(app_id), get_group(group_id)
        found = AppGroupAssignment.objects.filter(app=app, group=group).select_related("app", "group").first()
        if found is None:
            raise ResourceNotFound(f"{group_id} (ApplicationGroupAssignment)")
        return found

    @extend_schema(
        operation_id="assignGroupToApplication",
        request=GroupAssignmentRequestSerializer,
        responses={200: AppGroupAssignmentSerializer},
    )
    def put(self, request, app_id, group_id):
        app, group = get_app(app_id), get_group(group_id)
        body = request.data if request.data else {}
        serializer = GroupAssignmentRequestSerializer(data=body)
        serializer.is_valid(raise_exception=True)
        assignment = assignments.assign_group(
            app, group, priority=serializer.validated_data.get("priority"), audit=Audit.of(request)
        )
        return Response(AppGroupAssignmentSerializer(assignment).data)

    @extend_schema(operation_id="getApplicationGroupAssignment", responses={200: AppGroupAssignmentSerializer})
    def get(self, request, app_id, group_id):
        return Response(AppGroupAssignmentSerializer(self._assignment(app_id, group_id)).data)

    @extend_schema(operation_id="unassignApplicationFromGroup", responses={204: None})
    def delete(self, request, app_id, group_id):
        assignment = self._assignment(app_id, group_id)
        assignments.unassign_group(assignment.app, assignment.group, audit=Audit.of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AppUserListView(ManagementAPIView):
    rate_limit_bucket = "apps"

    @extend_schema(
        operation_id="listApplicationUsers",
        description="Everyone who may sign in to the app: `scope` USER when assigned directly, GROUP through a group.",
        parameters=[LIMIT, AFTER],
        responses={200: AppUserSerializer(many=True)},
    )
    def get(self, request, app_id):
        app = get_app(app_id)
        page, link = paginate(request, assignments.app_users(app))
        return Response(AppUserSerializer(page, many=True, context={"app": app}).data, headers={"Link": link})

    @extend_schema(
        operation_id="assignUserToApplication", request=AppUserRequestSerializer, responses={200: AppUserSerializer}
    )
    def post(self, request, app_id):
        app = get_app(app_id)
        serializer = AppUserRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = get_user(serializer.validated_data["id"])
        assignments.assign_user(app, user, audit=Audit.of(request))
        shown = assignments.app_users(app).get(pk=user.pk)
        return Response(AppUserSerializer(shown, context={"app": app}).data)


class AppUserView(ManagementAPIView):
    rate_limit_bucket = "apps"

    @extend_schema(operation_id="getApplicationUser", responses={200: AppUserSerializer})
    def get(self, request, app_id, user_id):
        app, user = get_app(app_id), get_user(user_id)
        shown = assignments.app_users(app).filter(pk=user.pk).first()
        if shown is None:
            raise ResourceNotFound(f"{user_id} (AppUser)")
        return Response(AppUserSerializer(shown, context={"app": app}).data)

    @extend_schema(
        operation_id="unassignUserFromApplication",
        description="Removes the user's direct assignment; a user assigned only through a group is a 404 here.",
        responses={204: None},
    )
    def delete(self, request, app_id, user_id):
        app, user = get_app(app_id), get_user(user_id)
        if not assignments.is_directly_assigned(app, user):
            raise ResourceNotFound(f"{user_id} (AppUser)")
        assignments.unassign_user(app, user, audit=Audit.of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupAppListView(ManagementAPIView):
    """GET /api/v1/groups/{groupId}/apps: the apps the group is assigned to (the group's `apps` link)."""

    rate_limit_bucket = "groups"

    @extend_schema(
        operation_id="listAssignedApplicationsForGroup",
        parameters=[LIMIT, AFTER],
        responses={200: AppSerializer(many=True)},
    )
    def get(self, request, group_id):
        group = get_group(group_id)
        page, link = paginate(request, Application.objects.filter(group_assignments__group=group))
        return Response(AppSerializer(page, many=True).data, headers={"Link": link})
