"""The authorization endpoint (RFC 6749 §4.1, OIDC Core §3.1.2, RFC 7636).

`parse_request()` checks an authorization request in the order the RFC requires: errors found
before the client and its redirect URI are trusted are shown on a page (`PageError`); after
that they go back to the client (`RedirectError`). `issue_code()` stores the code's hash.
Redirect-URI matching is DOT's (exact, with RFC 8252's loopback port rule).
"""

import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from clients.models import GRANT_AUTHORIZATION_CODE, Application
from core.crypto import hash_token, new_token
from tokens.models import AuthorizationCode, ConsentGrant
from tokens.servers import policies
from tokens.servers import scopes as scope_rules
from tokens.servers.registry import AuthServer, get_server

from . import limits
from .errors import DUPLICATE_PARAMETER, OAuthError
from .http import error_page, redirect_to_client, session_auth_time, with_params

# A signed cookie: when authorize last sent the user to sign in. Not a session key, because signing in
# as someone else starts a new session, and that sign-in must satisfy the request that asked for it.
SIGN_IN_ASKED_AT = "rotor_sign_in_asked_at"
_ASKED_SALT = "rotor.authorize.sign-in-asked"
_ASKED_SECONDS = 3600  # an abandoned sign-in stops counting after this
_ASKED_PATH = "/oauth2/"  # both servers' authorize endpoints

_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43,128}")  # fullmatch: `$` would let a trailing newline through
_MAX_AGE = re.compile(r"[0-9]{1,10}")  # ASCII digits only
_JKT = re.compile(r"[A-Za-z0-9\-_]{43}")  # base64url of a SHA-256 digest
RESPONSE_MODES = ("query", "form_post")
NOT_ASSIGNED = "User is not assigned to the client application."  # Okta's words, also at /activate
PROMPTS = {"none", "login", "consent"}
SINGLE_PARAMS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "response_mode",
    "prompt",
    "max_age",
    "login_hint",
    "dpop_jkt",
)


class PageError(Exception):
    """An error shown to the user, because the redirect URI cannot be trusted yet."""

    def __init__(self, error: str, description: str):
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass
class RedirectError(Exception):
    """An error sent back to the client's validated redirect URI."""

    redirect_uri: str
    response_mode: str
    error: str
    description: str
    state: str | None


@dataclass
class AuthorizationRequest:
    server: AuthServer
    app: Application
    redirect_uri: str
    scopes: list[str]
    state: str | None
    nonce: str | None
    code_challenge: str
    response_mode: str
    prompt: set[str] = field(default_factory=set)
    max_age: int | None = None
    login_hint: str | None = None
    dpop_jkt: str = ""  # RFC 9449 §10: the code can be redeemed only with a proof by this key

    def error(self, error: str, description: str) -> RedirectError:
        return RedirectError(self.redirect_uri, self.response_mode, error, description, self.state)


def parse_request(server: AuthServer, params) -> AuthorizationRequest:
    """Validate an authorization request; raise PageError or RedirectError."""
    if any(len(params.getlist(name)) > 1 for name in ("client_id", "redirect_uri")):
        raise PageError("invalid_request", DUPLICATE_PARAMETER)
    client_id = params.get("client_id")
    if not client_id:
        raise PageError("invalid_request", "The required parameter 'client_id' is missing.")
    # PostgreSQL refuses NUL in text: such an id names no app (and must not become a 500).
    app = None if "\x00" in client_id else Application.objects.filter(client_id=client_id[:255]).first()
    if app is None or not app.is_active:
        raise PageError("invalid_client", "The client_id is not valid, or the app is not active.")
    redirect_uri = params.get("redirect_uri")
    if not redirect_uri:
        raise PageError("invalid_request", "The required parameter 'redirect_uri' is missing.")
    if not app.redirect_uri_allowed(redirect_uri):
        raise PageError(
            "invalid_request",
            "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings.",
        )

    response_mode = params.get("response_mode") or "query"
    state = params.get("state")
    mode = response_mode if response_mode in RESPONSE_MODES else "query"

    def fail(error: str, description: str) -> RedirectError:
        return RedirectError(redirect_uri, mode, error, description, state)

    if any(len(params.getlist(name)) > 1 for name in SINGLE_PARAMS):
        raise fail("invalid_request", DUPLICATE_PARAMETER)
    if any("\x00" in value for _, values in params.lists() for value in values):
        raise fail("invalid_request", "The request contains a NUL character.")  # nonce is stored in a text column
    if response_mode not in RESPONSE_MODES:
        raise fail("unsupported_response_mode", f"The response_mode '{response_mode}' is not supported.")
    response_type = params.get("response_type")
    if not response_type:
        raise fail("invalid_request", "The required parameter 'response_type' is missing.")
    if response_type != "code":
        raise fail("unsupported_response_type", f"The response type '{response_type}' is not supported.")
    if not app.allows_grant(GRANT_AUTHORIZATION_CODE):
        raise fail("unauthorized_client", "The client is not authorized to use the authorization code grant.")

    try:
        requested = scope_rules.for_sign_in(server, app, params.get("scope"), request_name="authorization request")
    except OAuthError as exc:
        raise fail(exc.error, exc.description) from None

    challenge = params.get("code_challenge") or ""
    method = params.get("code_challenge_method")
    if challenge:
        if method != "S256":
            raise fail("invalid_request", "The code_challenge_method must be 'S256'.")
        if not _CHALLENGE.fullmatch(challenge):
            raise fail("invalid_request", "The code_challenge is not a valid S256 challenge.")
    elif app.is_public or app.pkce_required:
        raise fail(
            "invalid_request",
            "PKCE code challenge is required when the token endpoint authentication "
            "method is 'NONE' or PKCE is required for the client.",
        )
    elif method:
        raise fail("invalid_request", "The code_challenge_method was sent without a code_challenge.")

    prompt = set((params.get("prompt") or "").split())
    if prompt - PROMPTS or ("none" in prompt and len(prompt) > 1):
        raise fail("invalid_request", "The 'prompt' parameter is invalid.")
    max_age = params.get("max_age")
    if max_age is not None:
        if not _MAX_AGE.fullmatch(max_age):  # not str.isdigit(): it accepts "²", which int() refuses
            raise fail("invalid_request", "The 'max_age' parameter must be a non-negative integer.")
        max_age = int(max_age)
    dpop_jkt = params.get("dpop_jkt") or ""
    if dpop_jkt and not _JKT.fullmatch(dpop_jkt):
        raise fail("invalid_request", "The 'dpop_jkt' parameter must be a JWK SHA-256 thumbprint (RFC 7638).")

    return AuthorizationRequest(
        server=server,
        app=app,
        redirect_uri=redirect_uri,
        scopes=requested,
        state=state,
        nonce=params.get("nonce"),
        code_challenge=challenge,
        response_mode=response_mode,
        prompt=prompt,
        max_age=max_age,
        login_hint=params.get("login_hint"),
        dpop_jkt=dpop_jkt,
    )


def needs_login(req: AuthorizationRequest, user, auth_time: datetime | None) -> bool:
    """Whether the user must (re)authenticate: signed out, or signed in longer ago than max_age."""
    if not user.is_authenticated:
        return True
    if req.max_age is None:
        return False
    return auth_time is None or timezone.now() - auth_time > timedelta(seconds=req.max_age)


def needs_consent(req: AuthorizationRequest, user) -> bool:
    """Whether to ask: the app requires consent and a scope does (a custom server's IMPLICIT scopes do not)."""
    if req.app.consent_method == "TRUSTED" or not scope_rules.consent_scopes(req.server, req.scopes):
        return False
    if "consent" in req.prompt:
        return True
    grant = ConsentGrant.objects.filter(user=user, client=req.app).first()
    return grant is None or not set(req.scopes) <= set(grant.scopes)


def remember_consent(req: AuthorizationRequest, user) -> None:
    grant, created = ConsentGrant.objects.get_or_create(user=user, client=req.app, defaults={"scopes": req.scopes})
    if not created:
        grant.scopes = sorted(set(grant.scopes) | set(req.scopes))
        grant.save(update_fields=["scopes", "updated"])


def issue_code(req: AuthorizationRequest, user, auth_time: datetime) -> str:
    """Store a new code's hash and return the code, which only the redirect carries."""
    code = new_token()
    AuthorizationCode.objects.create(
        code_hash=hash_token(code),
        client=req.app,
        user=user,
        server=req.server.id,
        redirect_uri=req.redirect_uri,
        scopes=req.scopes,
        nonce=req.nonce or "",
        code_challenge=req.code_challenge,
        dpop_jkt=req.dpop_jkt,
        auth_time=auth_time,
        expires_at=timezone.now() + timedelta(seconds=settings.ROTOR_AUTH_CODE_SECONDS),
    )
    return code


# The endpoint ---------------------------------------------------------------------------------------


def _respond(request, redirect_uri: str, response_mode: str, params: dict):
    if response_mode == "form_post":
        fields = {k: v for k, v in params.items() if v is not None}
        return render(request, "oauth/form_post.html", {"action": redirect_uri, "fields": fields})
    return redirect_to_client(with_params(redirect_uri, params))


@never_cache  # its answers carry codes (in Location or a form_post page): never in a cache
@require_http_methods(["GET", "POST"])
def authorize(request, server_id):
    """The authorization endpoint. POST is the consent form posting back to itself."""
    server = get_server(server_id)
    params = request.GET if request.method == "GET" else request.POST
    refused = limits.refusal(request, params)
    if refused is not None:
        return error_page(request, refused.error, refused.description, status=refused.status, headers=refused.headers)
    try:
        return _authorize(request, parse_request(server, params), params)
    except PageError as exc:
        return error_page(request, exc.error, exc.description)
    except RedirectError as exc:
        return _respond(
            request,
            exc.redirect_uri,
            exc.response_mode,
            {"error": exc.error, "error_description": exc.description, "state": exc.state},
        )


def _signed_in_since_asked(request) -> bool:
    """Whether the user signed in after this endpoint last sent them to sign in. That sign-in
    satisfies `max_age` for the round trip; otherwise max_age=0 would send them back forever."""
    asked = request.get_signed_cookie(SIGN_IN_ASKED_AT, default=None, salt=_ASKED_SALT, max_age=_ASKED_SECONDS)
    stamp = request.session.get("auth_time")
    return request.user.is_authenticated and asked is not None and stamp is not None and stamp >= int(asked)


def _send_to_sign_in(request, next_url: str):
    """Ask for a sign-in without ending the session: any page can link to an authorize URL, and a user
    who does not finish stays signed in. Only the new sign-in replaces the session."""
    response = redirect_to_login(next_url)
    response.set_signed_cookie(
        SIGN_IN_ASKED_AT,
        str(int(time.time())),
        salt=_ASKED_SALT,
        max_age=_ASKED_SECONDS,
        path=_ASKED_PATH,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def _authorize(request, req, params):
    user = request.user
    auth_time = session_auth_time(request)
    if "none" in req.prompt:
        if needs_login(req, user, auth_time):
            raise req.error("login_required", "The user is not logged in.")
        if needs_consent(req, user):
            raise req.error("consent_required", "The user has not consented to the requested scopes.")
    elif "login" in req.prompt and request.method == "GET":
        # Back from the sign-in, the request is max_age=0: only a sign-in after this one counts,
        # so coming back without signing in asks again instead of issuing a code.
        query = params.copy()
        query.pop("prompt")
        query["max_age"] = "0"
        return _send_to_sign_in(request, f"{request.path}?{query.urlencode()}")
    elif needs_login(req, user, auth_time) and not _signed_in_since_asked(request):
        return _send_to_sign_in(request, request.get_full_path())

    if not req.app.is_assigned_to(user):  # one indexed query (clients/models.py); no consent, no code
        raise req.error("access_denied", NOT_ASSIGNED)
    try:  # the access policy, now that the user is known (Okta answers the redirect with access_denied)
        policies.evaluate(req.server, req.app, grant_type=GRANT_AUTHORIZATION_CODE, scopes=req.scopes, user=user)
    except policies.PolicyDenied:
        raise req.error("access_denied", policies.POLICY_FAILED) from None

    if request.method == "POST":
        if params.get("decision") != "allow":
            raise req.error("access_denied", "The resource owner or authorization server denied the request.")
        remember_consent(req, user)
    elif needs_consent(req, user):
        fields = [(k, v) for k, v in params.items() if k != "prompt"]
        return render(
            request,
            "oauth/consent.html",
            {"req": req, "fields": fields, "scopes": scope_rules.describe(req.server, req.scopes, consent_only=True)},
        )

    code = issue_code(req, user, auth_time or timezone.now())
    response = _respond(request, req.redirect_uri, req.response_mode, {"code": code, "state": req.state})
    if SIGN_IN_ASKED_AT in request.COOKIES:  # the next request checks max_age afresh
        response.delete_cookie(SIGN_IN_ASKED_AT, path=_ASKED_PATH, samesite="Lax")
    return response
