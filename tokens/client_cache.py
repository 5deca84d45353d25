"""A short-lived per-process cache of the apps that passed client authentication for client_credentials.

A service calls /token with the same credentials many times a second, and loading its app was one
of the grant's two statements. The cache may only ever shorten a success:

- a failure is never decided from it: an app that is missing, inactive, refuses the secret or the
  grant is looked up again before the request is refused;
- a success taken from it is confirmed by the grant's own write: the event insert runs only if
  the app's row still has the `updated`, `status` and `client_secret` the cache holds
  (tokens/store.py). If it does not, nothing is logged, nothing is signed, the entry is dropped and
  the request starts again from the database. Every change to an app moves `updated`
  (clients/services.py), so a secret rotation, a deactivation or a grant-type change made through
  any node takes effect at the next request on every other node, as it did without the cache.

Only the PostgreSQL fast path (store.enabled()) uses it; elsewhere every request reads the row.
"""

import time

from clients.models import Application

from . import store

TTL_SECONDS = 300  # memory hygiene only: the confirmation above is what keeps entries honest
MAX_ENTRIES = 1024

_apps: dict[str, tuple[float, Application]] = {}


class Stale(Exception):
    """The cached app's row changed before the grant was written; start again from the database."""


def enabled() -> bool:
    return store.enabled()


def get(client_id: str) -> Application | None:
    entry = _apps.get(client_id)
    if entry is None or entry[0] < time.monotonic():
        return None
    return entry[1]


def put(app: Application) -> None:
    if not enabled():
        return
    if len(_apps) >= MAX_ENTRIES:
        _apps.clear()
    _apps[app.client_id] = (time.monotonic() + TTL_SECONDS, app)


def forget(client_id: str) -> None:
    _apps.pop(client_id, None)


def clear() -> None:
    _apps.clear()
