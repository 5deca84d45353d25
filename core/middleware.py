"""Headers and session rules for the pages and the management API (the full middleware stack;
the machine endpoints of config/wsgi.py skip these)."""

import time

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.functional import SimpleLazyObject

NO_STORE_PREFIXES = ("/api/v1/", "/console/")


class NoStoreMiddleware:
    """`Cache-Control: no-store` on `/api/v1` and the console: their answers name users, apps and
    tokens, and must not stay in a browser's or a proxy's cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith(NO_STORE_PREFIXES) and "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store"
        return response


SESSION_STARTED = "rotor_admin_session_started"
SESSION_SEEN = "rotor_admin_session_seen"
_TOUCH_EVERY = 60  # seconds: how stale the "last seen" mark may get, so not every request writes


class AdminSessionTimeoutMiddleware:
    """An administrator's session ends after ROTOR_ADMIN_SESSION_IDLE_MINUTES without a request and
    ROTOR_ADMIN_SESSION_MAX_HOURS after it began, whatever the cookie says (OWASP ASVS 3.3). End
    users keep Django's session age: their session only lets them approve sign-ins.

    The check runs when something first reads `request.user`, so a request that never looks at
    the user (an OAuth endpoint) costs nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user  # AuthenticationMiddleware's lazy user
        request.user = SimpleLazyObject(lambda: self._within_limits(request, user))
        return self.get_response(request)

    @staticmethod
    def _within_limits(request, user):
        if not (user.is_authenticated and user.is_staff):
            return user
        now = int(time.time())
        session = request.session
        started = session.setdefault(SESSION_STARTED, now)
        seen = session.get(SESSION_SEEN, now)
        if (
            now - seen > settings.ROTOR_ADMIN_SESSION_IDLE_MINUTES * 60
            or now - started > settings.ROTOR_ADMIN_SESSION_MAX_HOURS * 3600
        ):
            session.flush()  # what logout() does; logout() itself would read request.user again
            return AnonymousUser()
        if now - seen >= _TOUCH_EVERY or SESSION_SEEN not in session:
            session[SESSION_SEEN] = now
        return user
