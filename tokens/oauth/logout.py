"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): end the session and return to a
registered sign-out URI.

A GET ends the session at once only with a valid `id_token_hint` naming the signed-in user: that
comes from an app the user signed in to. Anything else could be any page's `<img src=…/logout>`,
so the user is asked first, with a POST form that carries a CSRF token (the spec's "ask the End-User
whether to log out", §2).
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from clients.models import Application
from tokens.servers.registry import AuthServer, get_server

from . import minting
from .errors import OAuthError
from .http import error_page, redirect_to_client, with_params


@dataclass(frozen=True)
class SignOut:
    """A checked logout request: where to go afterwards (None: Rotor's own page) and whom the hint names."""

    target: str | None
    hinted_sub: str | None

    def ends_on_get(self, user) -> bool:
        """Whether a GET may end the session without asking: the hint names the signed-in user, or
        nobody is signed in (there is nothing to end, and the app gets its redirect as before)."""
        if self.hinted_sub is None:
            return False
        return not user.is_authenticated or self.hinted_sub == user.uid


def check_request(server: AuthServer, params) -> SignOut:
    """Check `id_token_hint` and `post_logout_redirect_uri`; OAuthError (shown as a page) if either is wrong."""
    hint = params.get("id_token_hint")
    target = params.get("post_logout_redirect_uri")
    if not hint:
        if target:
            raise OAuthError("invalid_request", "A post_logout_redirect_uri needs an id_token_hint.")
        return SignOut(target=None, hinted_sub=None)
    claims = minting.verify(server, hint, verify_exp=False)
    if claims is None:
        raise OAuthError("invalid_request", "The 'id_token_hint' is not a valid ID token of this server.")
    sub = claims.get("sub")
    if not target:
        return SignOut(target=None, hinted_sub=sub)
    app = Application.objects.filter(client_id=claims.get("aud")).first()
    if app is None or not app.post_logout_redirect_uri_allowed(target):
        raise OAuthError(
            "invalid_request",
            "The 'post_logout_redirect_uri' must be a sign-out redirect URI in the client app settings.",
        )
    return SignOut(target=target, hinted_sub=sub)


_CARRIED = ("id_token_hint", "post_logout_redirect_uri", "state")  # what the confirmation form posts back


@never_cache  # the confirmation page may carry the hint
@require_http_methods(["GET", "POST"])
def logout_view(request, server_id):
    """GET with a hint naming the signed-in user, or the confirmation form's POST: sign out."""
    params = request.GET if request.method == "GET" else request.POST
    try:
        sign_out = check_request(get_server(server_id), params)
    except OAuthError as exc:
        return error_page(request, exc.error, exc.description)
    if request.method == "GET" and not sign_out.ends_on_get(request.user):
        if not request.user.is_authenticated:  # nothing to end; an <img> must not touch the session
            return render(request, "oauth/logged_out.html")
        fields = [(name, params[name]) for name in _CARRIED if params.get(name)]
        cancel = with_params(sign_out.target, {"state": params.get("state")}) if sign_out.target else None
        context = {"fields": fields, "cancel": cancel or settings.LOGIN_REDIRECT_URL}
        return render(request, "oauth/logout_confirm.html", context)
    logout(request)
    if sign_out.target is None:
        return render(request, "oauth/logged_out.html")
    return redirect_to_client(with_params(sign_out.target, {"state": params.get("state")}))
