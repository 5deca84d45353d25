"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): end the session and return to a
registered sign-out URI."""

from django.contrib.auth import logout
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from clients.models import Application
from tokens.servers.registry import AuthServer, get_server

from . import minting
from .errors import OAuthError
from .http import error_page, redirect_to_client, with_params


def logout_target(server: AuthServer, params) -> str | None:
    """Where the browser goes after logout, after checking `id_token_hint`; None: Rotor's own page."""
    hint = params.get("id_token_hint")
    target = params.get("post_logout_redirect_uri")
    if not hint:
        if target:
            raise OAuthError("invalid_request", "A post_logout_redirect_uri needs an id_token_hint.")
        return None
    claims = minting.verify(server, hint, verify_exp=False)
    if claims is None:
        raise OAuthError("invalid_request", "The 'id_token_hint' is not a valid ID token of this server.")
    if not target:
        return None
    app = Application.objects.filter(client_id=claims.get("aud")).first()
    if app is None or not app.post_logout_redirect_uri_allowed(target):
        raise OAuthError(
            "invalid_request",
            "The 'post_logout_redirect_uri' must be a sign-out redirect URI in the client app settings.",
        )
    return target


@require_http_methods(["GET", "POST"])
def logout_view(request, server_id):
    params = request.GET if request.method == "GET" else request.POST
    try:
        target = logout_target(get_server(server_id), params)
    except OAuthError as exc:
        return error_page(request, exc.error, exc.description)
    logout(request)
    if target is None:
        return render(request, "oauth/logged_out.html")
    return redirect_to_client(with_params(target, {"state": params.get("state")}))
