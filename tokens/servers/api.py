"""`/api/v1/authorizationServers`: Okta's Authorization Servers API (servers, scopes, claims, policies, rules).

Thin views over tokens/servers/services.py; the keys (`credentials/keys`, `keyRotate`) are in tokens/api.py.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response

from core.api.errors import ApiValidationFailed
from core.api.pagination import AFTER_ID, LIMIT, paginate
from core.api.params import query_param, text_param
from core.api.views import ManagementAPIView, find_or_404
from core.systemlog.audit import Audit

from . import services
from .models import AuthorizationServer, Claim, Policy, PolicyRule, Scope
from .serializers import (
    ClaimRequestSerializer,
    ClaimSerializer,
    PolicyRequestSerializer,
    PolicySerializer,
    RuleRequestSerializer,
    RuleSerializer,
    ScopeRequestSerializer,
    ScopeSerializer,
    ServerRequestSerializer,
    ServerSerializer,
    okta_paths,
    signing_summary,
)
from .validation import ServerValidationError

NO_CONTENT = {204: None}


def get_server(server_id: str) -> AuthorizationServer:
    return find_or_404(AuthorizationServer.objects, "AuthorizationServer", pk=server_id)


def _scope(server_id: str, scope_id: str) -> Scope:
    return find_or_404(Scope.objects.filter(server=get_server(server_id)), "OAuth2Scope", pk=scope_id)


def _claim(server_id: str, claim_id: str) -> Claim:
    return find_or_404(Claim.objects.filter(server=get_server(server_id)), "OAuth2Claim", pk=claim_id)


def _policy(server_id: str, policy_id: str) -> Policy:
    return find_or_404(Policy.objects.filter(server=get_server(server_id)), "Policy", pk=policy_id)


def _rule(server_id: str, policy_id: str, rule_id: str) -> PolicyRule:
    rules = PolicyRule.objects.select_related("policy").filter(policy=_policy(server_id, policy_id))
    return find_or_404(rules, "PolicyRule", pk=rule_id)


def _body(request, serializer_class) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.to_data()


def _write(kind: str, function, *args, **kwargs):
    """Call a service; its validation errors become E0000001 with Okta's paths."""
    try:
        return function(*args, **kwargs)
    except ServerValidationError as exc:
        raise ApiValidationFailed(okta_paths(kind, exc.errors)) from None


class _View(ManagementAPIView):
    rate_limit_bucket = "authorizationServers"


# The three shapes below are written once for every kind; a subclass names its `kind` (Okta's error paths), how
# the URL finds what it acts on (Okta's 404 otherwise), the service and the serializers. Comments, not docstrings:
# drf-spectacular would print a base class's docstring as every operation's description.


# A list's POST: a new scope, claim, policy or rule on `parent` (the server, or a rule's policy).
class _Adding(_View):
    kind: str
    serializer: type
    request_serializer: type

    def post(self, request, **ids):
        parent = self.parent(**ids)
        data = _body(request, self.request_serializer)
        item = _write(self.kind, self.create, parent, data, audit=Audit.of(request))
        return Response(self.serializer(item).data, status=status.HTTP_201_CREATED)


# One server, scope, claim, policy or rule: GET, PUT (replace) and DELETE.
class _One(_View):
    kind: str
    serializer: type
    request_serializer: type

    def get(self, request, **ids):
        return Response(self.serializer(self.find(**ids)).data)

    def put(self, request, **ids):
        item = self.find(**ids)
        data = _body(request, self.request_serializer)
        return Response(self.serializer(_write(self.kind, self.update, item, data, audit=Audit.of(request))).data)

    def delete(self, request, **ids):
        _write(self.kind, self.remove, self.find(**ids), audit=Audit.of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# `lifecycle/activate` or `lifecycle/deactivate` of a server, policy or rule.
class _Lifecycle(_View):
    kind: str

    def post(self, request, **ids):
        _write(self.kind, self.act, self.find(**ids), audit=Audit.of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _one_schema(get: str, replace: str, delete: str, *, replace_doc: str | None = None, delete_doc: str | None = None):
    """Okta's operations on one (their ids and descriptions), with the class's serializers."""

    def decorate(cls):
        return extend_schema_view(
            get=extend_schema(operation_id=get, responses={200: cls.serializer}),
            put=extend_schema(
                operation_id=replace,
                description=replace_doc,
                request=cls.request_serializer,
                responses={200: cls.serializer},
            ),
            delete=extend_schema(operation_id=delete, description=delete_doc, responses=NO_CONTENT),
        )(cls)

    return decorate


def _adding_schema(create: str):
    def decorate(cls):
        schema = extend_schema(operation_id=create, request=cls.request_serializer, responses={201: cls.serializer})
        return extend_schema_view(post=schema)(cls)

    return decorate


def _lifecycle_schema(operation_id: str, **kwargs):
    return extend_schema_view(
        post=extend_schema(operation_id=operation_id, request=None, responses=NO_CONTENT, **kwargs)
    )


# Servers --------------------------------------------------------------------------------------


class ServerListView(_View):
    @extend_schema(
        operation_id="listAuthorizationServers",
        parameters=[text_param("q", "Prefix of the name."), LIMIT, AFTER_ID],
        responses={200: ServerSerializer(many=True)},
    )
    def get(self, request):
        servers = AuthorizationServer.objects.all()
        q = query_param(request, "q")
        if q:
            servers = servers.filter(name__istartswith=q)
        page, link = paginate(request, servers, text_keys=True)
        context = {"signing": signing_summary([s.id for s in page])}
        return Response(ServerSerializer(page, many=True, context=context).data, headers={"Link": link})

    @extend_schema(
        operation_id="createAuthorizationServer",
        request=ServerRequestSerializer,
        responses={201: ServerSerializer},
    )
    def post(self, request):
        server = _write(
            "server", services.create_server, _body(request, ServerRequestSerializer), audit=Audit.of(request)
        )
        return Response(ServerSerializer(server).data, status=status.HTTP_201_CREATED)


@_one_schema(
    "getAuthorizationServer",
    "replaceAuthorizationServer",
    "deleteAuthorizationServer",
    delete_doc="Only an INACTIVE server, never `default` (E0000001).",
)
class ServerDetailView(_One):
    kind, serializer, request_serializer = "server", ServerSerializer, ServerRequestSerializer
    find = staticmethod(get_server)
    update, remove = staticmethod(services.update_server), staticmethod(services.delete_server)


@_lifecycle_schema("activateAuthorizationServer")
class ServerActivateView(_Lifecycle):
    kind, find, act = "server", staticmethod(get_server), staticmethod(services.activate_server)


@_lifecycle_schema(
    "deactivateAuthorizationServer",
    description="Its endpoints answer 404 and every refresh-token family it issued is revoked.",
)
class ServerDeactivateView(_Lifecycle):
    kind, find, act = "server", staticmethod(get_server), staticmethod(services.deactivate_server)


# Scopes ---------------------------------------------------------------------------------------


@_adding_schema("createOAuth2Scope")
class ScopeListView(_Adding):
    kind, serializer, request_serializer = "scope", ScopeSerializer, ScopeRequestSerializer
    parent, create = staticmethod(get_server), staticmethod(services.create_scope)

    @extend_schema(
        operation_id="listOAuth2Scopes",
        parameters=[text_param("q", "Prefix of the scope name."), LIMIT, AFTER_ID],
        responses={200: ScopeSerializer(many=True)},
    )
    def get(self, request, server_id):
        scopes = Scope.objects.filter(server=get_server(server_id))
        q = query_param(request, "q")
        if q:
            scopes = scopes.filter(name__istartswith=q)
        page, link = paginate(request, scopes, text_keys=True, max_limit=1000)
        return Response(ScopeSerializer(page, many=True).data, headers={"Link": link})


@_one_schema(
    "getOAuth2Scope",
    "replaceOAuth2Scope",
    "deleteOAuth2Scope",
    replace_doc="A system scope keeps its name (E0000001).",
    delete_doc="Not a system scope (E0000001).",
)
class ScopeDetailView(_One):
    kind, serializer, request_serializer = "scope", ScopeSerializer, ScopeRequestSerializer
    find = staticmethod(_scope)
    update, remove = staticmethod(services.update_scope), staticmethod(services.delete_scope)


# Claims ---------------------------------------------------------------------------------------


@_adding_schema("createOAuth2Claim")
class ClaimListView(_Adding):
    kind, serializer, request_serializer = "claim", ClaimSerializer, ClaimRequestSerializer
    parent, create = staticmethod(get_server), staticmethod(services.create_claim)

    @extend_schema(operation_id="listOAuth2Claims", responses={200: ClaimSerializer(many=True)})
    def get(self, request, server_id):
        return Response(ClaimSerializer(Claim.objects.filter(server=get_server(server_id)), many=True).data)


@_one_schema("getOAuth2Claim", "replaceOAuth2Claim", "deleteOAuth2Claim")
class ClaimDetailView(_One):
    kind, serializer, request_serializer = "claim", ClaimSerializer, ClaimRequestSerializer
    find = staticmethod(_claim)
    update, remove = staticmethod(services.update_claim), staticmethod(services.delete_claim)


# Policies -------------------------------------------------------------------------------------


@_adding_schema("createAuthorizationServerPolicy")
class PolicyListView(_Adding):
    kind, serializer, request_serializer = "policy", PolicySerializer, PolicyRequestSerializer
    parent, create = staticmethod(get_server), staticmethod(services.create_policy)

    @extend_schema(
        operation_id="listAuthorizationServerPolicies",
        description="In priority order.",
        responses={200: PolicySerializer(many=True)},
    )
    def get(self, request, server_id):
        return Response(PolicySerializer(Policy.objects.filter(server=get_server(server_id)), many=True).data)


@_one_schema("getAuthorizationServerPolicy", "replaceAuthorizationServerPolicy", "deleteAuthorizationServerPolicy")
class PolicyDetailView(_One):
    kind, serializer, request_serializer = "policy", PolicySerializer, PolicyRequestSerializer
    find = staticmethod(_policy)
    update, remove = staticmethod(services.update_policy), staticmethod(services.delete_policy)


@_lifecycle_schema("activateAuthorizationServerPolicy")
class PolicyActivateView(_Lifecycle):
    kind, find, act = "policy", staticmethod(_policy), staticmethod(services.activate_policy)


@_lifecycle_schema("deactivateAuthorizationServerPolicy")
class PolicyDeactivateView(_Lifecycle):
    kind, find, act = "policy", staticmethod(_policy), staticmethod(services.deactivate_policy)


# Rules ----------------------------------------------------------------------------------------


@_adding_schema("createAuthorizationServerPolicyRule")
class RuleListView(_Adding):
    kind, serializer, request_serializer = "rule", RuleSerializer, RuleRequestSerializer
    parent, create = staticmethod(_policy), staticmethod(services.create_rule)

    @extend_schema(
        operation_id="listAuthorizationServerPolicyRules",
        description="In priority order.",
        responses={200: RuleSerializer(many=True)},
    )
    def get(self, request, server_id, policy_id):
        rules = PolicyRule.objects.select_related("policy").filter(policy=_policy(server_id, policy_id))
        return Response(RuleSerializer(rules, many=True).data)


@_one_schema(
    "getAuthorizationServerPolicyRule", "replaceAuthorizationServerPolicyRule", "deleteAuthorizationServerPolicyRule"
)
class RuleDetailView(_One):
    kind, serializer, request_serializer = "rule", RuleSerializer, RuleRequestSerializer
    find = staticmethod(_rule)
    update, remove = staticmethod(services.update_rule), staticmethod(services.delete_rule)


@_lifecycle_schema("activateAuthorizationServerPolicyRule")
class RuleActivateView(_Lifecycle):
    kind, find, act = "rule", staticmethod(_rule), staticmethod(services.activate_rule)


@_lifecycle_schema("deactivateAuthorizationServerPolicyRule")
class RuleDeactivateView(_Lifecycle):
    kind, find, act = "rule", staticmethod(_rule), staticmethod(services.deactivate_rule)
