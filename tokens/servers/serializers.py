"""The `/api/v1/authorizationServers` JSON in Okta's shapes (AuthorizationServer, OAuth2Scope, OAuth2Claim,
AuthorizationServerPolicy, AuthorizationServerPolicyRule).

Request serializers check shapes and JSON types only and hand validation.py its flat form (`to_data()`), so
the rules and their messages stay there; FIELD_PATHS maps its field names back onto Okta's JSON paths for
E0000001's causes. Members Okta sends back that Rotor does not use (`id`, `_links`, `system`, …) are ignored,
so an SDK's read-modify-write works. The response serializers render the JSON, so the OpenAPI document is it.
"""

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clients.models import GRANT_TYPES
from core.api.fields import (
    ConstantField,
    IsoDateTimeField,
    LinkField,
    ResponseSerializer,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictIntegerField,
    StrictListField,
)
from tokens.models import SigningKey

from . import validation as v
from .scopes import PROFILE_ATTRIBUTES

NON_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"

# validation.py field -> Okta's JSON path, per object.
FIELD_PATHS = {
    "server": {},
    "scope": {"display_name": "displayName", "metadata_publish": "metadataPublish"},
    "claim": {
        "claim_type": "claimType",
        "value_type": "valueType",
        "always_include_in_token": "alwaysIncludeInToken",
        "conditions_scopes": "conditions.scopes",
    },
    "policy": {"clients_include": "conditions.clients.include"},
    "rule": {
        "grant_types": "conditions.grantTypes.include",
        "scopes": "conditions.scopes.include",
        "users_include": "conditions.people.users.include",
        "groups_include": "conditions.people.groups.include",
        "access_token_lifetime_minutes": "actions.token.accessTokenLifetimeMinutes",
        "refresh_token_lifetime_minutes": "actions.token.refreshTokenLifetimeMinutes",
        "refresh_token_window_minutes": "actions.token.refreshTokenWindowMinutes",
    },
}


def okta_paths(kind: str, errors: dict[str, list[str]]) -> dict[str, list[str]]:
    paths = FIELD_PATHS[kind]
    return {paths.get(name, name): messages for name, messages in errors.items()}


def _names(**kwargs) -> StrictListField:
    return StrictListField(
        child=StrictCharField(max_length=1024, schema={"minLength": 1, "pattern": NON_BLANK}), **kwargs
    )


class _Required(serializers.Serializer):
    include = _names(min_length=1)


class _Users(serializers.Serializer):
    include = _names(required=False, allow_null=True, help_text="User ids (`00u…`).")
    exclude = _names(required=False, allow_null=True, help_text="Ignored.")


class _Groups(serializers.Serializer):
    include = StrictListField(
        child=StrictCharField(max_length=100, schema={"enum": ["EVERYONE"]}),
        required=False,
        allow_null=True,
        help_text="Only EVERYONE until groups exist.",
    )
    exclude = _names(required=False, allow_null=True, help_text="Ignored.")


# Requests -------------------------------------------------------------------------------------


class ServerRequestSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100, schema={"minLength": 1, "pattern": NON_BLANK})
    description = StrictCharField(max_length=1000, required=False, allow_null=True)
    audiences = StrictListField(
        child=StrictCharField(max_length=1024, schema={"minLength": 1, "pattern": r"^[\x21-\x7e]+$"}),
        min_length=1,
        max_length=1,
        schema={"description": "Exactly one: the access token's `aud`, without spaces."},
    )
    issuerMode = StrictChoiceField(choices=["ORG_URL", "CUSTOM_URL", "DYNAMIC"], required=False, allow_null=True)

    def to_data(self) -> dict:
        return {key: self.validated_data.get(key) for key in ("name", "description", "audiences")}


class ScopeRequestSerializer(serializers.Serializer):
    name = StrictCharField(max_length=255, schema={"minLength": 1, "pattern": r"^[\x21\x23-\x5b\x5d-\x7e]+$"})
    displayName = StrictCharField(max_length=255, required=False, allow_null=True)
    description = StrictCharField(max_length=1000, required=False, allow_null=True)
    consent = StrictChoiceField(choices=v.CONSENTS, required=False, allow_null=True)
    metadataPublish = StrictChoiceField(choices=v.PUBLISH, required=False, allow_null=True)
    default = StrictBooleanField(required=False, allow_null=True)
    optional = StrictBooleanField(required=False, allow_null=True, help_text="Ignored.")

    def to_data(self) -> dict:
        d = self.validated_data
        return {
            "name": d["name"],
            "display_name": d.get("displayName"),
            "description": d.get("description"),
            "consent": d.get("consent"),
            "metadata_publish": d.get("metadataPublish"),
            "default": d.get("default"),
        }


class ClaimConditionsSerializer(serializers.Serializer):
    scopes = _names(required=False, allow_null=True)


class ClaimRequestSerializer(serializers.Serializer):
    name = StrictCharField(max_length=255, schema={"minLength": 1, "pattern": r"^[A-Za-z0-9_:.\-]+$"})
    status = StrictChoiceField(choices=v.STATUSES, required=False, allow_null=True)
    claimType = StrictChoiceField(choices=v.CLAIM_TYPES)
    valueType = StrictChoiceField(choices=v.VALUE_TYPES, required=False, allow_null=True)
    value = StrictCharField(
        max_length=1024,
        schema={
            "minLength": 1,
            "pattern": rf'^(user\.({"|".join(PROFILE_ATTRIBUTES)})|"[^"\\]*")$',
            "description": "`user.<profile attribute>` or a string in double quotes.",
        },
    )
    alwaysIncludeInToken = StrictBooleanField(required=False, allow_null=True)
    conditions = ClaimConditionsSerializer(required=False, allow_null=True)

    def to_data(self) -> dict:
        d = self.validated_data
        return {
            "name": d["name"],
            "status": d.get("status"),
            "claim_type": d["claimType"],
            "value_type": d.get("valueType"),
            "value": d["value"],
            "always_include_in_token": d.get("alwaysIncludeInToken"),
            "conditions_scopes": (d.get("conditions") or {}).get("scopes"),
        }


class PolicyConditionsSerializer(serializers.Serializer):
    clients = _Required()


class PolicyRequestSerializer(serializers.Serializer):
    type = StrictChoiceField(choices=["OAUTH_AUTHORIZATION_POLICY"], required=False, allow_null=True)
    name = StrictCharField(max_length=100, schema={"minLength": 1, "pattern": NON_BLANK})
    description = StrictCharField(max_length=255, required=False, allow_null=True)
    status = StrictChoiceField(choices=v.STATUSES, required=False, allow_null=True)
    priority = StrictIntegerField(required=False, allow_null=True, schema={"minimum": 1, "maximum": 2**31 - 1})
    conditions = PolicyConditionsSerializer(
        help_text='`clients.include`: ["ALL_CLIENTS"] or client ids of existing apps.'
    )

    def to_data(self) -> dict:
        d = self.validated_data
        return {
            "name": d["name"],
            "description": d.get("description"),
            "status": d.get("status"),
            "priority": d.get("priority"),
            "clients_include": d["conditions"]["clients"]["include"],
        }


class PeopleConditionSerializer(serializers.Serializer):
    users = _Users(required=False, allow_null=True)
    groups = _Groups(required=False, allow_null=True)


class GrantTypesConditionSerializer(serializers.Serializer):
    include = StrictListField(child=StrictCharField(max_length=100, schema={"enum": GRANT_TYPES}), min_length=1)


class RuleConditionsSerializer(serializers.Serializer):
    people = PeopleConditionSerializer(required=False, allow_null=True)
    grantTypes = GrantTypesConditionSerializer()
    scopes = _Required()


class TokenActionSerializer(serializers.Serializer):
    accessTokenLifetimeMinutes = StrictIntegerField(
        required=False, allow_null=True, schema={"minimum": v.ACCESS_TOKEN_MIN, "maximum": v.ACCESS_TOKEN_MAX}
    )
    refreshTokenLifetimeMinutes = StrictIntegerField(
        required=False,
        allow_null=True,
        schema={
            "minimum": 0,
            "maximum": v.REFRESH_TOKEN_MAX,
            "description": "0 = unlimited, else ≥ the access token lifetime.",
        },
    )
    refreshTokenWindowMinutes = StrictIntegerField(
        required=False,
        allow_null=True,
        schema={
            "minimum": v.WINDOW_MIN,
            "maximum": v.WINDOW_MAX,
            "description": "≤ the refresh token lifetime when that is set.",
        },
    )


class RuleActionsSerializer(serializers.Serializer):
    token = TokenActionSerializer(required=False, allow_null=True)


class RuleRequestSerializer(serializers.Serializer):
    type = StrictChoiceField(choices=["RESOURCE_ACCESS"], required=False, allow_null=True)
    name = StrictCharField(max_length=255, schema={"minLength": 1, "pattern": NON_BLANK})
    status = StrictChoiceField(choices=v.STATUSES, required=False, allow_null=True)
    priority = StrictIntegerField(required=False, allow_null=True, schema={"minimum": 1, "maximum": 2**31 - 1})
    conditions = RuleConditionsSerializer()
    actions = RuleActionsSerializer(required=False, allow_null=True)

    def to_data(self) -> dict:
        d = self.validated_data
        conditions = d["conditions"]
        people = conditions.get("people") or {}
        token = (d.get("actions") or {}).get("token") or {}
        return {
            "name": d["name"],
            "status": d.get("status"),
            "priority": d.get("priority"),
            "grant_types": conditions["grantTypes"]["include"],
            "scopes": conditions["scopes"]["include"],
            "users_include": (people.get("users") or {}).get("include"),
            "groups_include": (people.get("groups") or {}).get("include"),
            "access_token_lifetime_minutes": token.get("accessTokenLifetimeMinutes"),
            "refresh_token_lifetime_minutes": token.get("refreshTokenLifetimeMinutes"),
            "refresh_token_window_minutes": token.get("refreshTokenWindowMinutes"),
        }


# Responses ------------------------------------------------------------------------------------

SERVER_PATH = "/api/v1/authorizationServers/{o.id}"
ALLOW_GET = {"hints": {"allow": ["GET"]}}
ALLOW_POST = {"hints": {"allow": ["POST"]}}


def signing_summary(server_ids: list[str]) -> dict[str, tuple]:
    """{server id: (the ACTIVE key's kid, when the keys last turned)} in one query, for `credentials.signing`.
    A turn makes the NEXT key, so its creation is the last rotation (tokens/servers/keys.py)."""
    found: dict[str, list] = {sid: [None, None] for sid in server_ids}
    rows = SigningKey.objects.filter(server__in=server_ids, status__in=["ACTIVE", "NEXT"])
    for server, status, kid, created in rows.values_list("server", "status", "kid", "created"):
        found[server][0 if status == "ACTIVE" else 1] = kid if status == "ACTIVE" else created
    return {sid: tuple(pair) for sid, pair in found.items()}


def issuer_of(server) -> str:
    return f"{settings.ROTOR_ISSUER}/oauth2/{server.id}"


def _active(obj) -> bool:
    return obj.status == "ACTIVE"


def _inactive(obj) -> bool:
    return obj.status != "ACTIVE"


class MetadataLinkSerializer(ResponseSerializer):
    name = serializers.ChoiceField(choices=["oauth-authorization-server", "openid-configuration"])
    href = serializers.URLField()
    hints = ConstantField({"allow": ["GET"]})


class ServerLinksSerializer(ResponseSerializer):
    scopes = LinkField(SERVER_PATH + "/scopes", extra=ALLOW_GET)
    claims = LinkField(SERVER_PATH + "/claims", extra=ALLOW_GET)
    policies = LinkField(SERVER_PATH + "/policies", extra=ALLOW_GET)
    self = LinkField(SERVER_PATH, extra={"hints": {"allow": ["GET", "DELETE", "PUT"]}})
    metadata = serializers.SerializerMethodField()
    rotateKey = LinkField(SERVER_PATH + "/credentials/lifecycle/keyRotate", extra=ALLOW_POST)
    deactivate = LinkField(SERVER_PATH + "/lifecycle/deactivate", extra=ALLOW_POST, when=_active)
    activate = LinkField(SERVER_PATH + "/lifecycle/activate", extra=ALLOW_POST, when=_inactive)

    @extend_schema_field(MetadataLinkSerializer(many=True))
    def get_metadata(self, server) -> list[dict]:
        base = issuer_of(server)
        return [
            {"name": name, "href": f"{base}/.well-known/{name}", "hints": {"allow": ["GET"]}}
            for name in ("oauth-authorization-server", "openid-configuration")
        ]


class SigningSerializer(ResponseSerializer):
    """The server's signing credentials; Rotor rotates when an admin asks (MANUAL)."""

    rotationMode = ConstantField("MANUAL")
    lastRotated = IsoDateTimeField(allow_null=True)
    kid = serializers.CharField(allow_null=True)
    use = ConstantField("sig")


class CredentialsSerializer(ResponseSerializer):
    signing = serializers.SerializerMethodField()

    @extend_schema_field(SigningSerializer)
    def get_signing(self, server) -> dict:
        """From the context's "signing" ({server id: (kid, last rotated)}, one query per page), else its own."""
        known = self.context.get("signing")
        if known is None or server.id not in known:
            known = signing_summary([server.id])
        kid, rotated = known.get(server.id, (None, None))
        return SigningSerializer({"kid": kid, "lastRotated": rotated}).data


class ServerSerializer(ResponseSerializer):
    id = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    audiences = serializers.ListField(child=serializers.CharField())
    issuer = serializers.SerializerMethodField()
    issuerMode = ConstantField("ORG_URL")
    status = serializers.ChoiceField(choices=v.STATUSES)
    created = IsoDateTimeField()
    lastUpdated = IsoDateTimeField(source="last_updated")
    credentials = CredentialsSerializer(source="*")
    _links = ServerLinksSerializer(source="*")

    @extend_schema_field({"type": "string", "format": "uri"})
    def get_issuer(self, server) -> str:
        return issuer_of(server)


SCOPE_PATH = "/api/v1/authorizationServers/{o.server_id}/scopes/{o.id}"
CLAIM_PATH = "/api/v1/authorizationServers/{o.server_id}/claims/{o.id}"
POLICY_PATH = "/api/v1/authorizationServers/{o.server_id}/policies/{o.id}"
RULE_PATH = "/api/v1/authorizationServers/{o.policy.server_id}/policies/{o.policy_id}/rules/{o.id}"
ALLOW_EDIT = {"hints": {"allow": ["GET", "PUT", "DELETE"]}}


class ScopeLinksSerializer(ResponseSerializer):
    self = LinkField(SCOPE_PATH, extra=ALLOW_EDIT)


class ScopeSerializer(ResponseSerializer):
    id = serializers.CharField()
    name = serializers.CharField()
    displayName = serializers.CharField(source="display_name")
    description = serializers.CharField()
    system = serializers.BooleanField()
    default = serializers.BooleanField()
    consent = serializers.ChoiceField(choices=v.CONSENTS)
    metadataPublish = serializers.ChoiceField(choices=v.PUBLISH, source="metadata_publish")
    optional = ConstantField(False)
    _links = ScopeLinksSerializer(source="*")


class ClaimLinksSerializer(ResponseSerializer):
    self = LinkField(CLAIM_PATH, extra=ALLOW_EDIT)


class ClaimConditionsOutSerializer(ResponseSerializer):
    scopes = serializers.ListField(child=serializers.CharField(), source="conditions_scopes")


class ClaimSerializer(ResponseSerializer):
    id = serializers.CharField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=v.STATUSES)
    claimType = serializers.ChoiceField(choices=v.CLAIM_TYPES, source="claim_type")
    valueType = serializers.ChoiceField(choices=v.VALUE_TYPES, source="value_type")
    value = serializers.CharField()
    alwaysIncludeInToken = serializers.BooleanField(source="always_include_in_token")
    conditions = ClaimConditionsOutSerializer(source="*")
    system = serializers.BooleanField()
    _links = ClaimLinksSerializer(source="*")


class PolicyLinksSerializer(ResponseSerializer):
    self = LinkField(POLICY_PATH, extra=ALLOW_EDIT)
    deactivate = LinkField(POLICY_PATH + "/lifecycle/deactivate", extra=ALLOW_POST, when=_active)
    activate = LinkField(POLICY_PATH + "/lifecycle/activate", extra=ALLOW_POST, when=_inactive)
    rules = LinkField(POLICY_PATH + "/rules", extra=ALLOW_GET)


class _IncludeOut(ResponseSerializer):
    include = serializers.ListField(child=serializers.CharField())


class PolicyConditionsOutSerializer(ResponseSerializer):
    clients = serializers.SerializerMethodField()

    @extend_schema_field(_IncludeOut)
    def get_clients(self, policy) -> dict:
        return {"include": list(policy.clients_include)}


class PolicySerializer(ResponseSerializer):
    type = ConstantField("OAUTH_AUTHORIZATION_POLICY")
    id = serializers.CharField()
    status = serializers.ChoiceField(choices=v.STATUSES)
    name = serializers.CharField()
    description = serializers.CharField()
    priority = serializers.IntegerField()
    system = serializers.BooleanField()
    conditions = PolicyConditionsOutSerializer(source="*")
    created = IsoDateTimeField()
    lastUpdated = IsoDateTimeField(source="last_updated")
    _links = PolicyLinksSerializer(source="*")


class RuleLinksSerializer(ResponseSerializer):
    self = LinkField(RULE_PATH, extra=ALLOW_EDIT)
    deactivate = LinkField(RULE_PATH + "/lifecycle/deactivate", extra=ALLOW_POST, when=_active)
    activate = LinkField(RULE_PATH + "/lifecycle/activate", extra=ALLOW_POST, when=_inactive)


class _IncludeExcludeOut(ResponseSerializer):
    include = serializers.ListField(child=serializers.CharField())
    exclude = serializers.ListField(child=serializers.CharField())


class _PeopleOut(ResponseSerializer):
    users = _IncludeExcludeOut()
    groups = _IncludeExcludeOut()


class RuleConditionsOutSerializer(ResponseSerializer):
    people = serializers.SerializerMethodField()
    grantTypes = serializers.SerializerMethodField()
    scopes = serializers.SerializerMethodField()

    @extend_schema_field(_PeopleOut)
    def get_people(self, rule) -> dict:
        return {
            "users": {"include": list(rule.users_include), "exclude": list(rule.users_exclude)},
            "groups": {"include": list(rule.groups_include), "exclude": list(rule.groups_exclude)},
        }

    @extend_schema_field(_IncludeOut)
    def get_grantTypes(self, rule) -> dict:
        return {"include": list(rule.grant_types)}

    @extend_schema_field(_IncludeOut)
    def get_scopes(self, rule) -> dict:
        return {"include": list(rule.scopes)}


class TokenActionOutSerializer(ResponseSerializer):
    accessTokenLifetimeMinutes = serializers.IntegerField(source="access_token_lifetime_minutes")
    refreshTokenLifetimeMinutes = serializers.IntegerField(source="refresh_token_lifetime_minutes")
    refreshTokenWindowMinutes = serializers.IntegerField(source="refresh_token_window_minutes")


class RuleActionsOutSerializer(ResponseSerializer):
    token = TokenActionOutSerializer(source="*")


class RuleSerializer(ResponseSerializer):
    type = ConstantField("RESOURCE_ACCESS")
    id = serializers.CharField()
    status = serializers.ChoiceField(choices=v.STATUSES)
    name = serializers.CharField()
    priority = serializers.IntegerField()
    created = IsoDateTimeField()
    lastUpdated = IsoDateTimeField(source="last_updated")
    system = serializers.BooleanField()
    conditions = RuleConditionsOutSerializer(source="*")
    actions = RuleActionsOutSerializer(source="*")
    _links = RuleLinksSerializer(source="*")
