"""The demo's two pages: the same page at /demo/ and at the redirect URI. The server only fills in the
app's settings; the sign-in, the code exchange and every refresh are the browser's (demo.js)."""

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from . import registration

FAMILY_PLACEHOLDER = "FAMILY_ID"  # demo.js puts the family's id here


@never_cache  # the page is the same for everyone, but what the script shows on it is not
def page(request):
    app = registration.find_app()
    issuer = settings.ROTOR_ISSUER
    context = {
        "app": app,
        "issuer": issuer,
        "home_url": f"{issuer}/demo/",
        "callback_uri": registration.callback_uri(),
        "scopes": registration.SCOPES,
        "server_base": f"{issuer}/oauth2/default/v1",
        "family_url": reverse("tokens:family-detail", args=[FAMILY_PLACEHOLDER]),
        "family_placeholder": FAMILY_PLACEHOLDER,
    }
    return render(request, "demo/page.html", context)
