"""What the OAuth endpoints share over HTTP: the form-encoded DRF base view with RFC 6749 errors,
no-store JSON answers, and redirects back to a client."""

from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit, urlunsplit

import orjson
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpResponse
from django.shortcuts import render
from oauth2_provider.http import OAuth2ResponseRedirect
from rest_framework import exceptions as drf_exceptions
from rest_framework.parsers import FormParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.negotiation import JSONOnly
from core.ops.metrics import record_rate_limited
from core.systemlog.audit import Audit

from . import limits
from .errors import DUPLICATE_PARAMETER, OAuthError, missing

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def json_response(body: dict) -> HttpResponse:
    """A success body written as DRF's JSONRenderer writes it (compact UTF-8) but without DRF's
    rendering pass, which cost 0.04 ms per token request; encoded by orjson, which takes about a
    tenth of JsonResponse's json.dumps for a token response (bench/README.md, third round)."""
    return HttpResponse(orjson.dumps(body), content_type="application/json", headers=NO_STORE)


class OAuthEndpoint(APIView):
    """Base of the form-encoded OAuth endpoints: RFC 6749 errors, no sessions, no CSRF."""

    authentication_classes = []
    permission_classes = []
    parser_classes = [FormParser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnly

    def perform_authentication(self, request):
        """Clients authenticate by their own rules (tokens/oauth/client_auth.py); skip DRF's user lookup."""

    def initial(self, request, *args, **kwargs):
        """The rate limits (tokens/oauth/limits.py) before anything else; when all are 0, not even a lookup."""
        super().initial(request, *args, **kwargs)
        if limits.enabled():
            limits.check(self.caller(request))

    def caller(self, request) -> limits.Caller:
        """Who the request says it is. The form is read only if it is one: anything else is params()'s
        to refuse, and reading it here would hide that error."""
        found = getattr(request, "oauth_caller", None)
        if found is None:
            is_form = request.content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded"
            found = request.oauth_caller = limits.caller(request, request.data if is_form else {})
        return found

    def params(self, request):
        """The form parameters, refusing other content types and repeated parameters."""
        content_type = request.content_type.split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise OAuthError("invalid_request", "The request must be sent as application/x-www-form-urlencoded.")
        data = request.data
        if any(len(values) > 1 for _, values in data.lists()):
            raise OAuthError("invalid_request", DUPLICATE_PARAMETER)
        return data

    @staticmethod
    def authorization(request) -> str:
        return request.META.get("HTTP_AUTHORIZATION", "")

    @staticmethod
    def audit(request) -> Audit:
        return Audit.of(request)

    def handle_exception(self, exc):
        if isinstance(exc, OAuthError) and exc.error == "invalid_client" and limits.enabled():
            limits.failed(self.caller(self.request))
        if isinstance(exc, limits.RateLimited):
            record_rate_limited(self.request.path.split("/v1/", 1)[-1], exc.kind)
        if isinstance(exc, OAuthError):
            return Response(exc.as_dict(), status=exc.status, headers=exc.headers | NO_STORE)
        if isinstance(exc, drf_exceptions.MethodNotAllowed):
            return Response(
                {"error": "invalid_request", "error_description": "The HTTP method is not allowed."},
                status=405,
                headers={"Allow": "POST, OPTIONS"},
            )
        unreadable = (
            drf_exceptions.UnsupportedMediaType,
            drf_exceptions.ParseError,
            RequestDataTooBig,
            TooManyFieldsSent,
        )
        if isinstance(exc, unreadable):
            return Response(
                {"error": "invalid_request", "error_description": "The request body could not be read."},
                status=400,
                headers=NO_STORE,
            )
        return super().handle_exception(exc)


def required_param(params, name: str) -> str:
    value = params.get(name)
    if not value:
        raise OAuthError("invalid_request", missing(name))
    return value


def session_auth_time(request) -> datetime | None:
    """When the signed-in user authenticated (accounts/signals.py stores it in the session)."""
    stamp = request.session.get("auth_time")
    return datetime.fromtimestamp(stamp, tz=UTC) if stamp else None


def with_params(uri: str, params: dict) -> str:
    parts = urlsplit(uri)
    query = "&".join(q for q in (parts.query, urlencode({k: v for k, v in params.items() if v is not None})) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def redirect_to_client(uri: str) -> HttpResponse:
    """A redirect to a URI the app registered. Django's own redirect allows only http(s) and ftp,
    but native apps register private-use schemes (RFC 8252 §7.1); the URI was matched already."""
    return OAuth2ResponseRedirect(uri, allowed_schemes=[urlsplit(uri).scheme])


def error_page(request, error: str, description: str, *, status: int = 400, headers: dict | None = None):
    """The page shown instead of a redirect when the client cannot be trusted with the error."""
    response = render(request, "oauth/error.html", {"error": error, "description": description}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response
