"""WSGI entry point. Machine-to-machine OAuth endpoints skip the browser middleware.

Apps call /token, /revoke, /introspect, /userinfo, /keys, device authorization and discovery
thousands of times a second with no cookies, and probes and scrapers call /healthz, /readyz and
/metrics (core/ops/urls.py); sessions, CSRF, auth, messages and frame options
do nothing for them but cost about 0.4 ms of CPU each time (bench/README.md). They go to a
second handler whose middleware is `MACHINE_MIDDLEWARE`; every other path gets the full stack.
"""

import gc
import os
import re

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


class MachineHandler(WSGIHandler):
    """A WSGIHandler built with settings.MACHINE_MIDDLEWARE instead of settings.MIDDLEWARE."""

    def load_middleware(self, is_async=False):
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.MACHINE_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


_browser = get_wsgi_application()
_machine = MachineHandler()

from core.ops.urls import ops_paths  # noqa: E402  (after Django is set up)
from tokens.urls import machine_patterns  # noqa: E402

# One regular expression, any server id: /oauth2/{id}/v1/token is as lean as /oauth2/v1/token.
MACHINE_PATHS = re.compile("^(?:" + "|".join(machine_patterns() + [re.escape(p) for p in ops_paths()]) + ")$")

# What is loaded by now lives as long as the worker: keep it out of the cyclic collector's full
# passes, which otherwise walk every module and model on each one (0.035 -> 0.017 ms of GC per
# refresh, bench/README.md).
gc.freeze()


def application(environ, start_response):
    handler = _machine if MACHINE_PATHS.match(environ.get("PATH_INFO", "")) else _browser
    return handler(environ, start_response)
