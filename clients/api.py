"""`/api/v1/apps`: Okta's Apps API for OIDC apps. Thin views over clients/services.py."""

import re
from dataclasses import dataclass

from django.db import IntegrityError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response

from core.api.errors import ApiValidationFailed, AppIsActive
from core.api.pagination import AFTER, LIMIT, paginate
from core.api.params import query_bool, query_param, text_param
from core.api.views import ManagementAPIView, find_or_404
from core.systemlog.audit import Audit

from . import credentials, services
from .models import Application, CredentialStatus
from .serializers import (
    AppRequestSerializer,
    AppSerializer,
    ClientJsonWebKeySerializer,
    ClientSecretRequestSerializer,
    ClientSecretSerializer,
    JwkRequestSerializer,
    okta_paths,
)
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


# Credentials: client secrets and public keys (clients/credentials.py) ------------------------------


def _credential_call(call, *args, **kwargs):
    """Run a clients/credentials.py change, its refusals as Okta's E0000001."""
    try:
        return call(*args, **kwargs)
    except AppValidationError as exc:
        raise ApiValidationFailed(okta_paths(exc.errors)) from None


@dataclass(frozen=True)
class _Kind:
    """Which credential a route serves: the app's rows, the id in the URL, its Okta type (a 404 names it), its JSON."""

    rows: str
    url_kwarg: str
    okta_type: str
    serializer: type


SECRETS = _Kind("secrets", "secret_id", "OAuth2ClientSecret", ClientSecretSerializer)
KEYS = _Kind("json_web_keys", "key_id", "OAuth2ClientJsonWebKey", ClientJsonWebKeySerializer)


# A secret's and a key's routes share these views (`kind` says which), as credentials.py shares its changes;
# no docstring, which drf-spectacular would publish as each operation's description.
class _CredentialView(ManagementAPIView):
    rate_limit_bucket = "apps"
    kind: _Kind

    def find(self, app_id: str):
        app = get_app(app_id)
        rows = getattr(app, self.kind.rows).all()
        return app, find_or_404(rows, self.kind.okta_type, public_id=self.kwargs[self.kind.url_kwarg])


class _CredentialListView(_CredentialView):
    def get(self, request, app_id):
        return Response(self.kind.serializer(getattr(get_app(app_id), self.kind.rows).all(), many=True).data)


class _CredentialDetailView(_CredentialView):
    def get(self, request, app_id, **ids):
        return Response(self.kind.serializer(self.find(app_id)[1]).data)

    def delete(self, request, app_id, **ids):
        _credential_call(credentials.delete, *self.find(app_id), audit=Audit.of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class _CredentialLifecycleView(_CredentialView):
    target_status = ""

    def post(self, request, app_id, **ids):
        changed = _credential_call(
            credentials.set_status, *self.find(app_id), self.target_status, audit=Audit.of(request)
        )
        return Response(self.kind.serializer(changed).data)


def _lifecycle_view(kind: _Kind, target_status: str, operation_id: str, description: str = "") -> type:
    """An activate or deactivate route: the one view above, with its own OpenAPI operation."""
    name = f"{operation_id[0].upper()}{operation_id[1:]}View"
    view = type(name, (_CredentialLifecycleView,), {"kind": kind, "target_status": target_status})
    schema = extend_schema(
        operation_id=operation_id, description=description or None, request=None, responses={200: kind.serializer}
    )
    return extend_schema_view(post=schema)(view)


@extend_schema_view(
    get=extend_schema(operation_id="listOAuth2ClientSecrets", responses={200: ClientSecretSerializer(many=True)})
)
class AppSecretListView(_CredentialListView):
    kind = SECRETS

    @extend_schema(
        operation_id="createOAuth2ClientSecret",
        description="A new client secret beside the current one (at most two per app: a third is E0000001); "
        "its value is in this response only. A public client (`token_endpoint_auth_method: none`) has none.",
        request=ClientSecretRequestSerializer,
        responses={201: ClientSecretSerializer},
    )
    def post(self, request, app_id):
        app = get_app(app_id)
        body = ClientSecretRequestSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        secret, value = _credential_call(
            credentials.create_secret,
            app,
            value=body.validated_data.get("client_secret"),
            status=body.validated_data.get("status") or CredentialStatus.ACTIVE,
            audit=Audit.of(request),
        )
        data = ClientSecretSerializer(secret, context={"client_secret": value}).data
        return Response(data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(operation_id="getOAuth2ClientSecret", responses={200: ClientSecretSerializer}),
    delete=extend_schema(
        operation_id="deleteOAuth2ClientSecret",
        description="Only an INACTIVE secret can be deleted (E0000001 otherwise).",
        responses={204: None},
    ),
)
class AppSecretDetailView(_CredentialDetailView):
    kind = SECRETS


AppSecretActivateView = _lifecycle_view(SECRETS, CredentialStatus.ACTIVE, "activateOAuth2ClientSecret")
AppSecretDeactivateView = _lifecycle_view(
    SECRETS,
    CredentialStatus.INACTIVE,
    "deactivateOAuth2ClientSecret",
    "The secret stops working at the next request on every node. The app's only active secret "
    "cannot be deactivated while it authenticates with a secret (E0000001).",
)


@extend_schema_view(get=extend_schema(operation_id="listJwk", responses={200: ClientJsonWebKeySerializer(many=True)}))
class AppKeyListView(_CredentialListView):
    kind = KEYS

    @extend_schema(
        operation_id="addJwk",
        description="Register a public key for private_key_jwt. A key with private members (`d`, …), a kid the "
        "app already has, or an app whose keys come from its jwks_uri is refused (E0000001). Without `kid`, "
        "the key's RFC 7638 thumbprint is its kid.",
        request=JwkRequestSerializer,
        responses={201: ClientJsonWebKeySerializer},
    )
    def post(self, request, app_id):
        app = get_app(app_id)
        body = JwkRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        jwk = {name: value for name, value in request.data.items() if name != "status" and value is not None}
        key_status = body.validated_data.get("status") or CredentialStatus.ACTIVE
        key = _credential_call(credentials.add_key, app, jwk, status=key_status, audit=Audit.of(request))
        return Response(ClientJsonWebKeySerializer(key).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(operation_id="getJwk", responses={200: ClientJsonWebKeySerializer}),
    delete=extend_schema(
        operation_id="deletejwk",
        description="Only an INACTIVE key can be deleted (E0000001 otherwise).",
        responses={204: None},
    ),
)
class AppKeyDetailView(_CredentialDetailView):
    kind = KEYS


AppKeyActivateView = _lifecycle_view(KEYS, CredentialStatus.ACTIVE, "activateOAuth2ClientJsonWebKey")
AppKeyDeactivateView = _lifecycle_view(
    KEYS,
    CredentialStatus.INACTIVE,
    "deactivateOAuth2ClientJsonWebKey",
    "Assertions signed with the key are refused from the next request on. The only active key "
    "of a private_key_jwt app without a jwks_uri cannot be deactivated (E0000001).",
)
