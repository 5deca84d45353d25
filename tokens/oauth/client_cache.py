"""A bounded per-process cache of the apps that passed client authentication for client_credentials.

A service calls /token with the same credentials many times a second, and loading its app was one
of the grant's two statements. The cache may only ever shorten a success:

- a failure is never decided from it: an app that is missing, inactive, refuses the secret or the
  grant is looked up again before the request is refused;
- a success taken from it is confirmed by the grant's own write: the event insert runs only if
  the app's row still has the `updated`, `status` and `client_secret` the cache holds
  (tokens/lifecycle/postgres.py). If it does not, nothing is logged, nothing is signed, the entry is dropped and
  the request starts again from the database. Every change to an app moves `updated`
  (clients/services.py), so a secret rotation, a deactivation or a grant-type change made through
  any node takes effect at the next request on every other node, as it did without the cache.

An entry needs no expiry: it is confirmed on every use. Only apps that passed authentication and
the grant check are put here, so an entry is always active and allows client_credentials as loaded.
Every secret change (clients/credentials.py) rewrites `client_secret` and moves `updated` in the same
transaction, so a deactivated one of two secrets fails the confirmation like a rotated one did.
Only the PostgreSQL fast path uses it; elsewhere every request reads the row.
"""

from clients.models import Application
from tokens.lifecycle.paths import database

MAX_ENTRIES = 1024  # bounds memory; a full cache starts again empty

_apps: dict[str, Application] = {}


class Stale(Exception):
    """The cached app's row changed before the grant was written; start again from the database."""


def get(client_id: str) -> Application | None:
    return _apps.get(client_id)


def put(app: Application) -> None:
    """Keep `app` for its next requests; not a private_key_jwt app, whose every assertion spends a jti
    (tokens/oauth/client_auth.py), so the cache would save it nothing."""
    if not database().confirms_cached_clients or app.token_endpoint_auth_method == "private_key_jwt":
        return
    if len(_apps) >= MAX_ENTRIES:
        _apps.clear()
    _apps[app.client_id] = app


def forget(client_id: str) -> None:
    _apps.pop(client_id, None)


def clear() -> None:
    _apps.clear()
