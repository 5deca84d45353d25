"""HTTP views of both authorization servers. Each one parses the request, calls the logic in
tokens/grants.py, tokens/authorization.py, tokens/introspection.py or tokens/keys.py, and
answers in the protocol's own format."""

import time
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from oauth2_provider.http import OAuth2ResponseRedirect
from rest_framework import exceptions as drf_exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from . import authorization, discovery, grants, introspection, keys
from .errors import DUPLICATE_PARAMETER, OAuthError
from .scopes import supported_scopes
from .servers import get_server

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
SIGN_IN_ASKED_AT = "rotor_sign_in_asked_at"  # session key: when authorize last sent the user to sign in


def _json(body: dict) -> JsonResponse:
    """A success body written as DRF's JSONRenderer writes it (compact UTF-8) but without DRF's
    rendering pass, which cost 0.04 ms per token request."""
    return JsonResponse(body, headers=NO_STORE, json_dumps_params={"separators": (",", ":"), "ensure_ascii": False})


class JSONOnly(DefaultContentNegotiation):
    """OAuth endpoints answer JSON whatever the Accept header says (RFC 6749 §5.1); DRF's default
    renderer choice parsed headers and query string for nothing (0.03 ms per request)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class OAuthEndpoint(APIView):
    """Base of the form-encoded OAuth endpoints: RFC 6749 errors, no sessions, no CSRF."""

    authentication_classes = []
    permission_classes = []
    parser_classes = [FormParser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnly

    def perform_authentication(self, request):
        """Clients authenticate by their own rules (tokens/client_auth.py); skip DRF's user lookup."""

    def params(self, request):
        """The form parameters, refusing other content types and repeated parameters."""
        content_type = request.content_type.split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise OAuthError("invalid_request", "The request must be sent as application/x-www-form-urlencoded.")
        data = request.data
        if any(len(values) > 1 for _, values in data.lists()):
            raise OAuthError("invalid_request", DUPLICATE_PARAMETER)
        return data

    def handle_exception(self, exc):
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


class TokenView(OAuthEndpoint):
    def post(self, request, server_id):
        body = grants.token_response(
            get_server(server_id), self.params(request), request.META.get("HTTP_AUTHORIZATION", ""), request._request
        )
        return _json(body)


class RevokeView(OAuthEndpoint):
    def post(self, request, server_id):
        params = self.params(request)
        introspection.revoke(
            get_server(server_id), params, request.META.get("HTTP_AUTHORIZATION", ""), request._request
        )
        return HttpResponse(status=200, headers=NO_STORE)  # RFC 7009 §2.2: 200 even for unknown tokens


class IntrospectView(OAuthEndpoint):
    def post(self, request, server_id):
        params = self.params(request)
        body = introspection.introspect(get_server(server_id), params, request.META.get("HTTP_AUTHORIZATION", ""))
        return _json(body)


def jwks(request, server_id):
    response = JsonResponse({"keys": keys.published_jwks(server_id)})
    response["Cache-Control"] = f"max-age={keys.jwks_max_age()}, must-revalidate"
    return response


def openid_configuration(request, server_id):
    return JsonResponse(
        discovery.openid_configuration(get_server(server_id), supported_scopes()),
        headers={"Cache-Control": "max-age=300"},
    )


def oauth_authorization_server(request, server_id):
    return JsonResponse(
        discovery.oauth_metadata(get_server(server_id), supported_scopes()), headers={"Cache-Control": "max-age=300"}
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def userinfo(request, server_id):
    status, body, challenge = introspection.userinfo(get_server(server_id), request.META.get("HTTP_AUTHORIZATION", ""))
    response = JsonResponse(body, status=status)
    if challenge:
        response["WWW-Authenticate"] = challenge
    response["Cache-Control"] = "no-store"
    return response


def _with_params(uri: str, params: dict) -> str:
    parts = urlsplit(uri)
    query = "&".join(q for q in (parts.query, urlencode({k: v for k, v in params.items() if v is not None})) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _redirect_to_client(uri: str) -> HttpResponse:
    """A redirect to a URI the app registered. Django's own redirect allows only http(s) and ftp,
    but native apps register private-use schemes (RFC 8252 §7.1); the URI was matched already."""
    return OAuth2ResponseRedirect(uri, allowed_schemes=[urlsplit(uri).scheme])


def _respond(request, redirect_uri: str, response_mode: str, params: dict):
    if response_mode == "form_post":
        fields = {k: v for k, v in params.items() if v is not None}
        return render(request, "oauth/form_post.html", {"action": redirect_uri, "fields": fields})
    return _redirect_to_client(_with_params(redirect_uri, params))


def _auth_time(request):
    stamp = request.session.get("auth_time")
    return datetime.fromtimestamp(stamp, tz=UTC) if stamp else None


@never_cache  # its answers carry codes (in Location or a form_post page): never in a cache
@require_http_methods(["GET", "POST"])
def authorize(request, server_id):
    """The authorization endpoint. POST is the consent form posting back to itself."""
    server = get_server(server_id)
    params = request.GET if request.method == "GET" else request.POST
    try:
        return _authorize(request, authorization.parse_request(server, params), params)
    except authorization.PageError as exc:
        return render(request, "oauth/error.html", {"error": exc.error, "description": exc.description}, status=400)
    except authorization.RedirectError as exc:
        return _respond(
            request,
            exc.redirect_uri,
            exc.response_mode,
            {"error": exc.error, "error_description": exc.description, "state": exc.state},
        )


def _signed_in_since_asked(request) -> bool:
    """Whether the user signed in after this endpoint last sent them to sign in. That sign-in
    satisfies `max_age` for the round trip; otherwise max_age=0 would send them back forever."""
    asked = request.session.get(SIGN_IN_ASKED_AT)
    stamp = request.session.get("auth_time")
    return request.user.is_authenticated and asked is not None and stamp is not None and stamp >= asked


def _send_to_sign_in(request, next_url: str):
    if request.user.is_authenticated:
        logout(request)
    request.session[SIGN_IN_ASKED_AT] = int(time.time())
    return redirect_to_login(next_url)


def _authorize(request, req, params):
    user = request.user
    auth_time = _auth_time(request)
    if "none" in req.prompt:
        if authorization.needs_login(req, user, auth_time):
            raise req.error("login_required", "The user is not logged in.")
        if authorization.needs_consent(req, user):
            raise req.error("consent_required", "The user has not consented to the requested scopes.")
    elif "login" in req.prompt and request.method == "GET":
        query = params.copy()
        query.pop("prompt")
        return _send_to_sign_in(request, f"{request.path}?{query.urlencode()}")
    elif authorization.needs_login(req, user, auth_time) and not _signed_in_since_asked(request):
        return _send_to_sign_in(request, request.get_full_path())

    if request.method == "POST":
        if params.get("decision") != "allow":
            raise req.error("access_denied", "The resource owner or authorization server denied the request.")
        authorization.remember_consent(req, user)
    elif authorization.needs_consent(req, user):
        fields = [(k, v) for k, v in params.items() if k != "prompt"]
        return render(
            request,
            "oauth/consent.html",
            {"req": req, "fields": fields, "scopes": authorization.describe_scopes(req.scopes)},
        )

    code = authorization.issue_code(req, user, auth_time or timezone.now())
    request.session.pop(SIGN_IN_ASKED_AT, None)  # the next request checks max_age afresh
    return _respond(request, req.redirect_uri, req.response_mode, {"code": code, "state": req.state})


@require_http_methods(["GET", "POST"])
def logout_view(request, server_id):
    """RP-initiated logout: end the session and return to a registered sign-out URI."""
    params = request.GET if request.method == "GET" else request.POST
    try:
        target = introspection.logout_target(get_server(server_id), params)
    except OAuthError as exc:
        return render(request, "oauth/error.html", {"error": exc.error, "description": exc.description}, status=400)
    logout(request)
    if target is None:
        return render(request, "oauth/logged_out.html")
    return _redirect_to_client(_with_params(target, {"state": params.get("state")}))
