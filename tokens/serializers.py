"""Management-API JSON for token families (Okta's OAuth2RefreshToken) and signing keys.

A token object never contains a token: a family is named by its public id (SPEC §5).
"""

import hashlib
from typing import NamedTuple

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import ConstantField, IsoDateTimeField, LinkField, ResponseSerializer, StrictChoiceField
from core.isotime import iso

from .servers.registry import any_server
from .servers.scopes import server_scopes


def scope_id(name: str) -> str:
    return "scp" + hashlib.sha256(name.encode()).hexdigest()[:17]


class KeyRotateSerializer(serializers.Serializer):
    use = StrictChoiceField(choices=["sig"])


# Responses: these serializers render the JSON.


class EmbeddedScope(NamedTuple):
    id: str
    name: str
    displayName: str
    description: str
    server: str


class EmbeddedScopeLinksSerializer(ResponseSerializer):
    scope = LinkField("/api/v1/authorizationServers/{o.server}/scopes/{o.name}")


class EmbeddedScopeSerializer(ResponseSerializer):
    id = serializers.CharField()
    name = serializers.CharField()
    displayName = serializers.CharField()
    description = serializers.CharField()
    _links = EmbeddedScopeLinksSerializer(source="*")


class EmbeddedScopesSerializer(ResponseSerializer):
    """The token's scopes, embedded only with `?expand=scope`, as in Okta."""

    scopes = EmbeddedScopeSerializer(many=True)

    def __init__(self, **kwargs):
        kwargs.update(source="*", required=False, help_text="With ?expand=scope.")
        super().__init__(**kwargs)

    def get_attribute(self, family):
        if not self.context.get("expand_scope"):
            raise serializers.SkipField()
        by_server = self.context.setdefault("known_scopes", {})  # once per server and response
        if family.server not in by_server:
            by_server[family.server] = server_scopes(any_server(family.server))
        known = by_server[family.server]
        names = [(name, known.get(name, name)) for name in family.scopes]
        return {"scopes": [EmbeddedScope(scope_id(n), n, text, text, family.server) for n, text in names]}


TOKEN_PATH = "/api/v1/users/{o.user.uid}/clients/{o.client.client_id}/tokens/{o.public_id}"


class TokenLinksSerializer(ResponseSerializer):
    app = LinkField("/api/v1/apps/{o.client.public_id}", title=lambda family: family.client.name)
    self = LinkField(TOKEN_PATH)
    revoke = LinkField(TOKEN_PATH, extra={"hints": {"allow": ["DELETE"]}})
    client = LinkField("/oauth2/v1/clients/{o.client.client_id}", title=lambda family: family.client.name)
    user = LinkField(
        "/api/v1/users/{o.user.uid}", title=lambda family: family.user.get_full_name() or family.user.username
    )
    authorizationServer = LinkField(
        "/api/v1/authorizationServers/{o.server}", title=lambda family: any_server(family.server).name
    )


class TokenSerializer(ResponseSerializer):
    """A refresh token (a sign-in's token family) as Okta's OAuth2RefreshToken; never its value."""

    # context={"expand_scope": True} adds _embedded; annotate the family's last_used for lastUpdated

    id = serializers.CharField(source="public_id")
    status = serializers.ChoiceField(choices=["ACTIVE", "REVOKED"])
    created = IsoDateTimeField()
    lastUpdated = serializers.SerializerMethodField()
    expiresAt = IsoDateTimeField(source="expires_at", allow_null=True)
    issuer = serializers.SerializerMethodField()
    clientId = serializers.CharField(source="client.client_id")
    userId = serializers.CharField(source="user.uid")
    scopes = serializers.ListField(child=serializers.CharField())
    _links = TokenLinksSerializer(source="*")
    _embedded = EmbeddedScopesSerializer()

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_lastUpdated(self, family) -> str:
        """The family's last change: creation, its latest refresh or its revocation."""
        last_used = getattr(family, "last_used", None)
        return iso(max(d for d in (family.created, last_used, family.revoked_at) if d is not None))

    @extend_schema_field(OpenApiTypes.URI)
    def get_issuer(self, family) -> str:
        return any_server(family.server).issuer


class ClientLinksSerializer(ResponseSerializer):
    app = LinkField("/api/v1/apps/{o.public_id}")
    tokens = LinkField("/api/v1/users/{context[user].uid}/clients/{o.client_id}/tokens")


class ClientSerializer(ResponseSerializer):
    """An app the user has tokens for (Okta's OAuth2Client)."""

    # context={"user": user}: the user whose tokens the `tokens` link lists

    client_id = serializers.CharField()
    client_name = serializers.CharField(source="name")
    client_uri = ConstantField(None)
    logo_uri = ConstantField(None)
    _links = ClientLinksSerializer(source="*")


class KeyLinksSerializer(ResponseSerializer):
    self = LinkField(
        "/api/v1/authorizationServers/{o.server}/credentials/keys/{o.kid}", extra={"hints": {"allow": ["GET"]}}
    )


class KeySerializer(ResponseSerializer):
    """A signing key's public half as Okta's JsonWebKey, with its status."""

    status = serializers.ChoiceField(choices=["ACTIVE", "NEXT", "EXPIRED"])
    alg = serializers.CharField(source="public_jwk.alg", default="RS256")
    e = serializers.CharField(source="public_jwk.e")
    n = serializers.CharField(source="public_jwk.n")
    kid = serializers.CharField()
    kty = serializers.CharField(source="public_jwk.kty", default="RSA")
    use = serializers.CharField(source="public_jwk.use", default="sig")
    _links = KeyLinksSerializer(source="*")
