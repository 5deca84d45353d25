"""Management-API JSON for token families (Okta's OAuth2RefreshToken) and signing keys.

A token object never contains a token: a family is named by its public id (SPEC §5).
"""

import hashlib

from django.conf import settings
from rest_framework import serializers

from core.api.fields import StrictChoiceField
from core.isotime import iso

from .models import SigningKey, TokenFamily
from .servers.registry import get_server
from .servers.scopes import supported_scopes


def scope_id(name: str) -> str:
    return "scp" + hashlib.sha256(name.encode()).hexdigest()[:17]


def token_json(family: TokenFamily, *, expand_scope: bool = False) -> dict:
    base = settings.ROTOR_ISSUER
    app, user = family.client, family.user
    server = get_server(family.server)
    href = f"{base}/api/v1/users/{user.uid}/clients/{app.client_id}/tokens/{family.public_id}"
    last_used = getattr(family, "last_used", None)
    updated = max(d for d in (family.created, last_used, family.revoked_at) if d is not None)
    body = {
        "id": family.public_id,
        "status": family.status,
        "created": iso(family.created),
        "lastUpdated": iso(updated),
        "expiresAt": iso(family.expires_at),
        "issuer": server.issuer,
        "clientId": app.client_id,
        "userId": user.uid,
        "scopes": list(family.scopes),
        "_links": {
            "app": {"href": f"{base}/api/v1/apps/{app.public_id}", "title": app.name},
            "self": {"href": href},
            "revoke": {"href": href, "hints": {"allow": ["DELETE"]}},
            "client": {"href": f"{base}/oauth2/v1/clients/{app.client_id}", "title": app.name},
            "user": {"href": f"{base}/api/v1/users/{user.uid}", "title": user.get_full_name() or user.username},
            "authorizationServer": {
                "href": f"{base}/api/v1/authorizationServers/{server.id}",
                "title": server.name,
            },
        },
    }
    if expand_scope:
        known = supported_scopes()
        body["_embedded"] = {
            "scopes": [
                {
                    "id": scope_id(name),
                    "name": name,
                    "displayName": known.get(name, name),
                    "description": known.get(name, name),
                    "_links": {"scope": {"href": f"{base}/api/v1/authorizationServers/{server.id}/scopes/{name}"}},
                }
                for name in family.scopes
            ]
        }
    return body


def client_json(app, user) -> dict:
    """One entry of GET /api/v1/users/{userId}/clients (Okta's OAuth2Client)."""
    base = settings.ROTOR_ISSUER
    return {
        "client_id": app.client_id,
        "client_name": app.name,
        "client_uri": None,
        "logo_uri": None,
        "_links": {
            "app": {"href": f"{base}/api/v1/apps/{app.public_id}"},
            "tokens": {"href": f"{base}/api/v1/users/{user.uid}/clients/{app.client_id}/tokens"},
        },
    }


def key_json(row: SigningKey, server_id: str) -> dict:
    jwk = row.public_jwk
    href = f"{settings.ROTOR_ISSUER}/api/v1/authorizationServers/{server_id}/credentials/keys/{row.kid}"
    return {
        "status": row.status,
        "alg": jwk.get("alg", "RS256"),
        "e": jwk["e"],
        "n": jwk["n"],
        "kid": row.kid,
        "kty": jwk.get("kty", "RSA"),
        "use": jwk.get("use", "sig"),
        "_links": {"self": {"href": href, "hints": {"allow": ["GET"]}}},
    }


class KeyRotateSerializer(serializers.Serializer):
    use = StrictChoiceField(choices=["sig"])


# Responses, for the OpenAPI document.


class EmbeddedScopeSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    displayName = serializers.CharField()
    description = serializers.CharField()
    _links = serializers.DictField()


class EmbeddedScopesSerializer(serializers.Serializer):
    scopes = EmbeddedScopeSerializer(many=True)


class TokenSerializer(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.ChoiceField(choices=["ACTIVE", "REVOKED"])
    created = serializers.CharField()
    lastUpdated = serializers.CharField()
    expiresAt = serializers.CharField(allow_null=True)
    issuer = serializers.CharField()
    clientId = serializers.CharField()
    userId = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    _embedded = EmbeddedScopesSerializer(required=False, help_text="With ?expand=scope.")
    _links = serializers.DictField()


class ClientSerializer(serializers.Serializer):
    client_id = serializers.CharField()
    client_name = serializers.CharField()
    client_uri = serializers.CharField(allow_null=True)
    logo_uri = serializers.CharField(allow_null=True)
    _links = serializers.DictField()


class KeySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ACTIVE", "NEXT", "EXPIRED"])
    alg = serializers.CharField()
    e = serializers.CharField()
    n = serializers.CharField()
    kid = serializers.CharField()
    kty = serializers.CharField()
    use = serializers.CharField()
    _links = serializers.DictField()
