"""`/api/v1/apps`: Okta's Apps API for OIDC apps. Thin views over clients/services.py."""

import re

from django.db import IntegrityError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from core.api.errors import ApiValidationFailed, AppIsActive
from core.api.pagination import AFTER, LIMIT, paginate
from core.api.params import query_bool, query_param, text_param
from core.api.views import ManagementAPIView, find_or_404
from core.ids import new_id
from core.systemlog.audit import Audit

from . import services
from .models import Application
from .serializers import AppRequestSerializer, AppSerializer, NewSecretSerializer, okta_paths
from .validation import AppValidationError

_STATUS_FILTER = re.compile(r'^\s*status\s+eq\s+"(ACTIVE|INACTIVE)"\s*$')

ACTIVATE = OpenApiParameter("activate", OpenApiTypes.BOOL, description="Create the app ACTIVE (default true).")


def get_app(app_id: str) -> Application:
    return find_or_404(Application.objects, "AppInstance", public_id=app_id)


def parse_app_request(request) -> dict:
    serializer = AppRequestSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.to_app_data()


class AppListView(ManagementAPIView):
    rate_limit_bucket = "apps"

    @extend_schema(
        operation_id="listApplications",
        parameters=[
            text_param("q", "Prefix of the label."),
            text_param("filter", 'Only `status eq "ACTIVE"|"INACTIVE"`.', pattern=_STATUS_FILTER.pattern),
            LIMIT,
            AFTER,
        ],
        responses={200: AppSerializer(many=True)},
    )
    def get(self, request):
        apps = Application.objects.all()
        q = query_param(request, "q")
        if q:
            apps = apps.filter(name__istartswith=q)
        filter_expr = query_param(request, "filter")
        if filter_expr:
            match = _STATUS_FILTER.match(filter_expr)
            if not match:
                raise ApiValidationFailed({"filter": ['Only status eq "ACTIVE" or status eq "INACTIVE" is supported.']})
            apps = apps.filter(status=match.group(1))
        page, link = paginate(request, apps)
        return Response(AppSerializer(page, many=True).data, headers={"Link": link})

    @extend_schema(
        operation_id="createApplication",
        parameters=[ACTIVATE],
        request=AppRequestSerializer,
        responses={200: AppSerializer},
    )
    def post(self, request):
        data = parse_app_request(request)
        activate = query_bool(request, "activate", True)
        try:
            app, secret = services.create_app(data, activate=activate, audit=Audit.of(request))
        except AppValidationError as exc:
            raise ApiValidationFailed(okta_paths(exc.errors)) from None
        except IntegrityError:  # the same client_id created by a concurrent request
            raise ApiValidationFailed(
                okta_paths({"client_id": ["An app with this client ID already exists."]})
            ) from None
        return Response(AppSerializer(app, context={"client_secret": secret}).data)


class AppDetailView(ManagementAPIView):
    rate_limit_bucket = "apps"

    @extend_schema(operation_id="getApplication", responses={200: AppSerializer})
    def get(self, request, app_id):
        return Response(AppSerializer(get_app(app_id)).data)

    @extend_schema(
        operation_id="replaceApplication",
        description="application_type and client_id cannot change, and the secret changes only through "
        "credentials/secrets: a PUT that tries is refused (E0000001).",
        request=AppRequestSerializer,
        responses={200: AppSerializer},
    )
    def put(self, request, app_id):
        app = get_app(app_id)
        data = parse_app_request(request)
        errors = {}
        if data.pop("client_id", app.client_id) != app.client_id:
            errors["client_id"] = ["The client ID cannot be changed."]
        if "client_secret" in data:
            data.pop("client_secret")
            errors["client_secret"] = ["Use POST /api/v1/apps/{appId}/credentials/secrets to change the secret."]
        if errors:
            raise ApiValidationFailed(okta_paths(errors))
        try:
            app, secret = services.update_app(app, data, audit=Audit.of(request))
        except AppValidationError as exc:
            raise ApiValidationFailed(okta_paths(exc.errors)) from None
        return Response(AppSerializer(app, context={"client_secret": secret}).data)

    @extend_schema(operation_id="deleteApplication", responses={204: None})
    def delete(self, request, app_id):
        app = get_app(app_id)
        try:
            services.delete_app(app, audit=Audit.of(request))
        except services.AppIsActive:
            raise AppIsActive() from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class AppActivateView(ManagementAPIView):
    rate_limit_bucket = "apps"

    @extend_schema(operation_id="activateApplication", request=None, responses={200: OpenApiResponse(None)})
    def post(self, request, app_id):
        services.activate_app(get_app(app_id), audit=Audit.of(request))
        return Response({})


class AppDeactivateView(ManagementAPIView):
    rate_limit_bucket = "apps"

    @extend_schema(operation_id="deactivateApplication", request=None, responses={200: OpenApiResponse(None)})
    def post(self, request, app_id):
        services.deactivate_app(get_app(app_id), audit=Audit.of(request))
        return Response({})


class AppSecretView(ManagementAPIView):
    rate_limit_bucket = "apps"

    @extend_schema(
        operation_id="createOAuth2ClientSecret",
        description="A new client secret. A public client (`token_endpoint_auth_method: none`) has none: E0000001.",
        request=None,
        responses={200: NewSecretSerializer},
    )
    def post(self, request, app_id):
        app = get_app(app_id)
        try:
            secret = services.rotate_secret(app, audit=Audit.of(request))
        except AppValidationError as exc:
            raise ApiValidationFailed(okta_paths(exc.errors)) from None
        return Response(NewSecretSerializer({"id": new_id("ocs"), "client_secret": secret, "app": app}).data)
