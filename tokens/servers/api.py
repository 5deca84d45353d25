"""`/api/v1/authorizationServers`: Okta's Authorization Servers API (servers, scopes, claims, policies, rules).

Thin views over tokens/servers/services.py; the keys (`credentials/keys`, `keyRotate`) are in tokens/api.py.
"""

from drf_spectacular.utils import extend_schema
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


class ServerDetailView(_View):
    @extend_schema(operation_id="getAuthorizationServer", responses={200: ServerSerializer})
    def get(self, request, server_id):
        return Response(ServerSerializer(get_server(server_id)).data)

    @extend_schema(
        operation_id="replaceAuthorizationServer", request=ServerRequestSerializer, responses={200: ServerSerializer}
    )
    def put(self, request, server_id):
        server = get_server(server_id)
        data = _body(request, ServerRequestSerializer)
        server = _write("server", services.update_server, server, data, audit=Audit.of(request))
        return Response(ServerSerializer(server).data)

    @extend_schema(
        operation_id="deleteAuthorizationServer",
        description="Only an INACTIVE server, never `default` (E0000001).",
        responses=NO_CONTENT,
    )
    def delete(self, request, server_id):
        _write("server", services.delete_server, get_server(server_id), audit=Audit.of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ServerActivateView(_View):
    @extend_schema(operation_id="activateAuthorizationServer", request=None, responses=NO_CONTENT)
    def post(self, request, server_id):
        _write("server", services.activate_server, get_server(server_id), audit=Audit.of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ServerDeactivateView(_View):
    @extend_schema(
        operation_id="deactivateAuthorizationServer",
        description="Its endpoints answer 404 and every refresh-token family it issued is revoked.",
        request=None,
        responses=NO_CONTENT,
    )
    def post(self, request, server_id):
        _write("server", services.deactivate_server, get_server(server_id), audit=Audit.of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# Scopes ---------------------------------------------------------------------------------------


class ScopeListView(_View):
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

    @extend_schema(operation_id="createOAuth2Scope", request=ScopeRequestSerializer, responses={201: ScopeSerializer})
    def post(self, request, server_id):
        server = get_server(server_id)
        data = _body(request, ScopeRequestSerializer)
        scope = _write("scope", services.create_scope, server, data, audit=Audit.of(request))
        return Response(ScopeSerializer(scope).data, status=status.HTTP_201_CREATED)


class ScopeDetailView(_View):
    @extend_schema(operation_id="getOAuth2Scope", responses={200: ScopeSerializer})
    def get(self, request, server_id, scope_id):
        return Response(ScopeSerializer(_scope(server_id, scope_id)).data)

    @extend_schema(
        operation_id="replaceOAuth2Scope",
        description="A system scope keeps its name (E0000001).",
        request=ScopeRequestSerializer,
        responses={200: ScopeSerializer},
    )
    def put(self, request, server_id, scope_id):
        scope = _scope(server_id, scope_id)
        data = _body(request, ScopeRequestSerializer)
        scope = _write("scope", services.update_scope, scope, data, audit=Audit.of(request))
        return Response(ScopeSerializer(scope).data)

    @extend_schema(operation_id="deleteOAuth2Scope", description="Not a system scope (E0000001).", responses=NO_CONTENT)
    def delete(self, request, server_id, scope_id):
        _write("scope", services.delete_scope, _scope(server_id, scope_id), audit=Audit.of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# Claims ---------------------------------------------------------------------------------------


class ClaimListView(_View):
    @extend_schema(operation_id="listOAuth2Claims", responses={200: ClaimSerializer(many=True)})
    def get(self, request, server_id):
        return Response(ClaimSerializer(Claim.objects.filter(server=get_server(server_id)), many=True).data)

    @extend_schema(operation_id="createOAuth2Claim", request=ClaimRequestSerializer, responses={201: ClaimSerializer})
    def post(self, request, server_id):
        server = get_server(server_id)
        data = _body(request, ClaimRequestSerializer)
        claim = _write("claim", services.create_claim, server, data, audit=Audit.of(request))
        return Response(ClaimSerializer(claim).data, status=status.HTTP_201_CREATED)


class ClaimDetailView(_View):
    @extend_schema(operation_id="getOAuth2Claim", responses={200: ClaimSerializer})
    def get(self, request, server_id, claim_id):
        return Response(ClaimSerializer(_claim(server_id, claim_id)).data)

    @extend_schema(operation_id="replaceOAuth2Claim", request=ClaimRequestSerializer, responses={200: ClaimSerializer})
    def put(self, request, server_id, claim_id):
        claim = _claim(server_id, claim_id)
        data = _body(request, ClaimRequestSerializer)
        claim = _write("claim", services.update_claim, claim, data, audit=Audit.of(request))
        return Response(ClaimSerializer(claim).data)

    @extend_schema(operation_id="deleteOAuth2Claim", responses=NO_CONTENT)
    def delete(self, request, server_id, claim_id):
        _write("claim", services.delete_claim, _claim(server_id, claim_id), audit=Audit.of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# Policies -------------------------------------------------------------------------------------


class PolicyListView(_View):
    @extend_schema(
        operation_id="listAuthorizationServerPolicies",
        description="In priority order.",
        responses={200: PolicySerializer(many=True)},
    )
    def get(self, request, server_id):
        return Response(PolicySerializer(Policy.objects.filter(server=get_server(server_id)), many=True).data)

    @extend_schema(
        operation_id="createAuthorizationServerPolicy",
        request=PolicyRequestSerializer,
        responses={201: PolicySerializer},
    )
    def post(self, request, server_id):
        server = get_server(server_id)
        data = _body(request, PolicyRequestSerializer)
        policy = _write("policy", services.create_policy, server, data, audit=Audit.of(request))
        return Response(PolicySerializer(policy).data, status=status.HTTP_201_CREATED)


class PolicyDetailView(_View):
    @extend_schema(operation_id="getAuthorizationServerPolicy", responses={200: PolicySerializer})
    def get(self, request, server_id, policy_id):
        return Response(PolicySerializer(_policy(server_id, policy_id)).data)

    @extend_schema(
        operation_id="replaceAuthorizationServerPolicy",
        request=PolicyRequestSerializer,
        responses={200: PolicySerializer},
    )
    def put(self, request, server_id, policy_id):
        policy = _policy(server_id, policy_id)
        data = _body(request, PolicyRequestSerializer)
        policy = _write("policy", services.update_policy, policy, data, audit=Audit.of(request))
        return Response(PolicySerializer(policy).data)

    @extend_schema(operation_id="deleteAuthorizationServerPolicy", responses=NO_CONTENT)
    def delete(self, request, server_id, policy_id):
        _write("policy", services.delete_policy, _policy(server_id, policy_id), audit=Audit.of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PolicyActivateView(_View):
    @extend_schema(operation_id="activateAuthorizationServerPolicy", request=None, responses=NO_CONTENT)
    def post(self, request, server_id, policy_id):
        _write("policy", services.activate_policy, _policy(server_id, policy_id), audit=Audit.of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PolicyDeactivateView(_View):
    @extend_schema(operation_id="deactivateAuthorizationServerPolicy", request=None, responses=NO_CONTENT)
    def post(self, request, server_id, policy_id):
        _write("policy", services.deactivate_policy, _policy(server_id, policy_id), audit=Audit.of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# Rules ----------------------------------------------------------------------------------------


class RuleListView(_View):
    @extend_schema(
        operation_id="listAuthorizationServerPolicyRules",
        description="In priority order.",
        responses={200: RuleSerializer(many=True)},
    )
    def get(self, request, server_id, policy_id):
        rules = PolicyRule.objects.select_related("policy").filter(policy=_policy(server_id, policy_id))
        return Response(RuleSerializer(rules, many=True).data)

    @extend_schema(
        operation_id="createAuthorizationServerPolicyRule",
        request=RuleRequestSerializer,
        responses={201: RuleSerializer},
    )
    def post(self, request, server_id, policy_id):
        policy = _policy(server_id, policy_id)
        data = _body(request, RuleRequestSerializer)
        rule = _write("rule", services.create_rule, policy, data, audit=Audit.of(request))
        return Response(RuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class RuleDetailView(_View):
    @extend_schema(operation_id="getAuthorizationServerPolicyRule", responses={200: RuleSerializer})
    def get(self, request, server_id, policy_id, rule_id):
        return Response(RuleSerializer(_rule(server_id, policy_id, rule_id)).data)

    @extend_schema(
        operation_id="replaceAuthorizationServerPolicyRule",
        request=RuleRequestSerializer,
        responses={200: RuleSerializer},
    )
    def put(self, request, server_id, policy_id, rule_id):
        rule = _rule(server_id, policy_id, rule_id)
        data = _body(request, RuleRequestSerializer)
        rule = _write("rule", services.update_rule, rule, data, audit=Audit.of(request))
        return Response(RuleSerializer(rule).data)

    @extend_schema(operation_id="deleteAuthorizationServerPolicyRule", responses=NO_CONTENT)
    def delete(self, request, server_id, policy_id, rule_id):
        _write("rule", services.delete_rule, _rule(server_id, policy_id, rule_id), audit=Audit.of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class RuleActivateView(_View):
    @extend_schema(operation_id="activateAuthorizationServerPolicyRule", request=None, responses=NO_CONTENT)
    def post(self, request, server_id, policy_id, rule_id):
        _write("rule", services.activate_rule, _rule(server_id, policy_id, rule_id), audit=Audit.of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class RuleDeactivateView(_View):
    @extend_schema(operation_id="deactivateAuthorizationServerPolicyRule", request=None, responses=NO_CONTENT)
    def post(self, request, server_id, policy_id, rule_id):
        _write("rule", services.deactivate_rule, _rule(server_id, policy_id, rule_id), audit=Audit.of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
