"""Discovery (OIDC Discovery 1.0, RFC 8414) and the keys endpoint of one authorization server:
what a client reads before it calls anything else. Public, cacheable, any origin (SPEC §3a)."""

from django.http import JsonResponse
from django.views.decorators.http import require_safe

from core import publickeys
from tokens.servers import keys
from tokens.servers.registry import AuthServer, get_server
from tokens.servers.scopes import published_scopes

from .dpop import ALGORITHMS as DPOP_ALGORITHMS
from .token import supported_grants

AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]  # tokens/oauth/client_auth.py


def oauth_metadata(server: AuthServer, scopes: list[str]) -> dict:
    return {
        "issuer": server.issuer,
        "authorization_endpoint": server.endpoint("authorize"),
        "token_endpoint": server.endpoint("token"),
        "jwks_uri": server.endpoint("keys"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": supported_grants(),
        "subject_types_supported": ["public"],
        "scopes_supported": list(scopes),
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": publickeys.SIGNING_ALGS,
        "revocation_endpoint": server.endpoint("revoke"),
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_signing_alg_values_supported": publickeys.SIGNING_ALGS,  # RFC 8414 §2
        "introspection_endpoint": server.endpoint("introspect"),
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint_auth_signing_alg_values_supported": publickeys.SIGNING_ALGS,
        "end_session_endpoint": server.endpoint("logout"),
        "code_challenge_methods_supported": ["S256"],
        "device_authorization_endpoint": server.endpoint("device/authorize"),
        "request_parameter_supported": False,
        "dpop_signing_alg_values_supported": DPOP_ALGORITHMS,
    }


def openid_configuration(server: AuthServer, scopes: list[str]) -> dict:
    return oauth_metadata(server, scopes) | {
        "userinfo_endpoint": server.endpoint("userinfo"),
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": [
            "iss",
            "ver",
            "sub",
            "aud",
            "iat",
            "exp",
            "jti",
            "auth_time",
            "amr",
            "idp",
            "nonce",
            "name",
            "given_name",
            "family_name",
            "preferred_username",
            "email",
            "email_verified",
            "updated_at",
            "at_hash",
        ],
        "request_uri_parameter_supported": False,
        "claims_parameter_supported": False,
    }


def _document(build, server_id: str) -> dict:
    server = get_server(server_id)
    return build(server, published_scopes(server))


@require_safe  # read-only documents: a POST, PUT or DELETE is a 405, not a 200
def openid_configuration_view(request, server_id):
    return JsonResponse(_document(openid_configuration, server_id), headers={"Cache-Control": "max-age=300"})


@require_safe
def oauth_metadata_view(request, server_id):
    return JsonResponse(_document(oauth_metadata, server_id), headers={"Cache-Control": "max-age=300"})


@require_safe
def jwks_view(request, server_id):
    response = JsonResponse({"keys": keys.published_jwks(server_id)})
    response["Cache-Control"] = f"max-age={keys.jwks_max_age()}, must-revalidate"
    return response
