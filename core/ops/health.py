"""`/healthz` (liveness: the process answers) and `/readyz` (readiness: it can serve tokens).

A load balancer or Kubernetes probes these every few seconds. Liveness touches nothing but the
process, so a database outage never restarts healthy workers. Readiness runs the checks of
ROTOR_READINESS_CHECKS in order (the database first; tokens adds its signing keys) and stops at
the first that fails; the answer names the failing check and a fixed reason, never an
exception's text, which could carry a host name or key material.
"""

import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

NO_STORE = {"Cache-Control": "no-store"}


class NotReady(Exception):
    """A check failed; `reason` is safe to show to whoever probes."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def database() -> str:
    """The default database answers a trivial query."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        raise NotReady(f"the database does not answer ({type(exc).__name__})") from exc
    return "ok"


def readiness() -> tuple[bool, dict]:
    """(ready, body): what each check reported, or the first failing check and why."""
    checked = {}
    for name, dotted in settings.ROTOR_READINESS_CHECKS.items():
        try:
            checked[name] = import_string(dotted)()
        except NotReady as exc:
            logger.warning("not ready: %s: %s", name, exc.reason, exc_info=exc.__cause__)
            return False, {"status": "unavailable", "failed": name, "reason": exc.reason, "checked": checked}
        except Exception as exc:
            logger.exception("readiness check %s failed", name)
            reason = f"{name} check failed ({type(exc).__name__})"
            return False, {"status": "unavailable", "failed": name, "reason": reason, "checked": checked}
    return True, {"status": "ok", "checked": checked}


def healthz(request):
    return JsonResponse({"status": "ok"}, headers=NO_STORE)


def readyz(request):
    ready, body = readiness()
    return JsonResponse(body, status=200 if ready else 503, headers=NO_STORE)
