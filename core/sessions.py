"""Sessions stored so that a database dump yields no usable session key.

Django's database backend stores the session key itself, so a dump of `django_session` is a list
of live admin sessions. This backend stores a BLAKE2b digest of the key instead (40 hex digits,
the column's size); the key exists only in the browser's cookie. Session keys are 32 random
characters of `[a-z0-9]` (about 165 bits), so an unkeyed hash cannot be reversed, and a row can
still be found by an indexed equality lookup. Server-side sessions, unlike signed cookies, can be
ended by the server: sign-out, deactivation and idle timeouts really end them.
"""

import hashlib

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone


def stored_key(session_key: str) -> str:
    """What the table holds for a session key."""
    return hashlib.blake2b(session_key.encode("ascii", "replace"), digest_size=20).hexdigest()


class SessionStore(DatabaseSessionStore):
    """Django's database sessions with every lookup by `stored_key()` (save() goes through
    create_model_instance()). Rotor serves WSGI only, so the async variants are not used."""

    def _get_session_from_db(self):
        try:
            return self.model.objects.get(session_key=stored_key(self.session_key), expire_date__gt=timezone.now())
        except (self.model.DoesNotExist, SuspiciousOperation):
            self._session_key = None

    def exists(self, session_key):
        return self.model.objects.filter(session_key=stored_key(session_key)).exists()

    def create_model_instance(self, data):
        return self.model(
            session_key=stored_key(self._get_or_create_session_key()),
            session_data=self.encode(data),
            expire_date=self.get_expiry_date(),
        )

    def delete(self, session_key=None):
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self.model.objects.filter(session_key=stored_key(session_key)).delete()


def end_sessions_of(user_pk) -> int:
    """Delete every session signed in as `user_pk`; returns how many.

    The table is keyed by a hash, so a user's sessions are found by decoding each live row's data
    (`_auth_user_id`): an admin's rare "sign out everywhere" pays one pass over the live sessions
    rather than every sign-in writing to an index that could drift from the table.
    """
    from django.contrib.sessions.models import Session

    wanted = str(user_pk)
    store = SessionStore()
    rows = Session.objects.filter(expire_date__gt=timezone.now()).values_list("session_key", "session_data")
    mine = [
        key for key, data in rows.iterator(chunk_size=2000) if str(store.decode(data).get("_auth_user_id")) == wanted
    ]
    return Session.objects.filter(session_key__in=mine).delete()[0] if mine else 0
