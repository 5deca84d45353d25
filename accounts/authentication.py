"""`Authorization: SSWS <api token>` for the management API (Okta's scheme)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication

from core.api.errors import InvalidToken

from .services import authenticate_api_token


class SSWSAuthentication(authentication.BaseAuthentication):
    """Authenticate by API token. Okta's Python SDK sometimes sends `SSWS<token>` with no space."""

    keyword = "SSWS"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        if not header.startswith(self.keyword):
            raise InvalidToken()
        plain = header[len(self.keyword) :].strip()
        if not plain or len(plain) > 200 or not plain.isascii() or " " in plain:
            raise InvalidToken()
        token = authenticate_api_token(plain)
        if token is None or not token.user.is_active:
            raise InvalidToken()
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class SSWSScheme(OpenApiAuthenticationExtension):
    """Names the scheme in the OpenAPI document."""

    target_class = "accounts.authentication.SSWSAuthentication"
    name = "SSWS"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization", "description": "`SSWS {api token}`"}
