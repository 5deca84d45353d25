"""Hand-written SQL for the refresh hot path on PostgreSQL (tokens/lifecycle/paths.py chooses it).

The ORM path in tokens/lifecycle/paths.py is the reference and the SQLite path; the rare
branches (grace, replay, revocation) always run through the ORM. On PostgreSQL the common
operations run here with a fraction of the CPU and round trips (bench/README.md has the figures):

- `find_token` loads token, family, user and client in one SELECT whose text is built once per
  process, and `find_client` the app of a client_id, both straight into model instances;
- a rotation is ONE statement: the conditional UPDATE, the INSERT of the successor and the
  INSERT of the grant events, chained in a CTE that commits atomically on its own. The
  `rotated_at IS NULL` condition sits on the updated row itself, which PostgreSQL re-checks
  after waiting for a concurrent writer, so exactly one request rotates a token;
- a persistent (STATIC) refresh touches `last_used` and logs its events in one statement;
- events go in as one JSON parameter, in one statement with no BEGIN/COMMIT of its own;
- every statement here binds its parameters server-side, so PostgreSQL keeps it prepared on each
  connection and skips parsing and planning it again (settings.py sets `prepare_threshold`).
"""

import json
from functools import cache

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.models import JSONField
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from psycopg.pq import Format

from accounts.models import User
from clients.models import Application
from core.systemlog.models import Event
from tokens.models import RefreshToken, TokenFamily

_MODELS = [("r", RefreshToken), ("f", TokenFamily), ("u", User), ("a", Application)]
_TOKENS = RefreshToken._meta.db_table


def _columns(alias: str, model) -> tuple[list[str], tuple]:
    """The model's columns under `alias`, and how to turn them back into an instance: the model,
    the attribute names, and the positions of JSON columns (which psycopg hands over as text)."""
    if pre_init.has_listeners(model) or post_init.has_listeners(model):
        raise ImproperlyConfigured(f"{model.__name__} has pre_init/post_init receivers, which _instance() skips.")
    fields = model._meta.concrete_fields
    json_positions = [i for i, f in enumerate(fields) if isinstance(f, JSONField)]
    return [f'{alias}."{f.column}"' for f in fields], (model, [f.attname for f in fields], json_positions)


def _instance(model, attnames, values, alias: str):
    """What `model.from_db()` returns for a row of every concrete field, without `Model.__init__`'s
    per-field setattr loop and signals: 6.5 µs instead of 20 for the lookup's four (bench/README.md,
    fifth round). The same while nothing listens to pre_init/post_init for these models, which
    `_columns()` checks; tests/tokens/test_database_paths.py compares them with the ORM's."""
    instance = model.__new__(model)
    instance.__dict__.update(zip(attnames, values, strict=True))
    state = instance._state = ModelState()
    state.adding, state.db = False, alias
    return instance


def _instances(values, layout) -> list:
    """Model instances from one row of raw columns, JSON decoded as the ORM would."""
    instances, start = [], 0
    for model, attnames, json_positions in layout:
        chunk = values[start : start + len(attnames)]
        if json_positions:
            chunk = list(chunk)
            for i in json_positions:
                if isinstance(chunk[i], str):
                    chunk[i] = json.loads(chunk[i])
        instances.append(_instance(model, attnames, chunk, DEFAULT_DB_ALIAS))
        start += len(attnames)
    return instances


def _cursor():
    """Django's cursor with server-side binding, so PostgreSQL keeps the statement prepared: planning
    the wide four-table join cost it 0.24 ms per lookup, against 0.04 ms prepared (bench/README.md).
    Django's own cursors bind client-side and are never prepared. Where queries are logged (DEBUG,
    tests that count statements) the plain cursor runs instead, as Django logs only its SQL text."""
    db = connections[DEFAULT_DB_ALIAS]  # once: each attribute of django.db.connection is a lookup (~1 µs)
    if db.queries_logged:
        return db.cursor()
    db.close_if_health_check_failed()
    db.ensure_connection()
    with db.wrap_database_errors:
        cursor = ServerBindingCursor(db.connection)
        cursor.format = Format.BINARY  # results in binary: timestamps and JSON load faster than from text
        return db._prepare_cursor(cursor)


def _fetch(sql: str, params: list, layout):
    with _cursor() as cursor:
        cursor.execute(sql, params)
        values = cursor.fetchone()
    return None if values is None else _instances(values, layout)


@cache
def _find_sql() -> tuple[str, list]:
    columns, layout = [], []
    for alias, model in _MODELS:
        cols, entry = _columns(alias, model)
        columns += cols
        layout.append(entry)
    sql = (
        f"SELECT {', '.join(columns)} FROM {_TOKENS} r "
        f"JOIN {TokenFamily._meta.db_table} f ON f.id = r.family_id "
        f"JOIN {User._meta.db_table} u ON u.id = f.user_id "
        f"JOIN {Application._meta.db_table} a ON a.id = f.client_id "
        "WHERE r.token_hash = %s"
    )
    return sql, layout


def find_token(token_hash: str) -> RefreshToken | None:
    """The token row with `.family`, `.family.user` and `.family.client` loaded, or None."""
    sql, layout = _find_sql()
    found = _fetch(sql, [token_hash], layout)
    if found is None:
        return None
    token, family, user, app = found
    family.user, family.client = user, app
    token.family = family
    return token


@cache
def _client_sql() -> tuple[str, list]:
    columns, entry = _columns("a", Application)
    return f"SELECT {', '.join(columns)} FROM {Application._meta.db_table} a WHERE a.client_id = %s", [entry]


def find_client(client_id: str) -> Application | None:
    sql, layout = _client_sql()
    found = _fetch(sql, [client_id], layout)
    return found[0] if found else None


# Every column but the id, as recording.columns() fills them.
_EVENT_COLUMNS = ", ".join(f.column for f in Event._meta.concrete_fields if not f.primary_key)
_EVENT_TABLE = Event._meta.db_table
# The events travel as ONE JSON parameter that PostgreSQL unpacks into rows of the event table's own
# type, instead of 14 quoted parameters per event.
_EVENTS = (
    f"INSERT INTO {_EVENT_TABLE} ({_EVENT_COLUMNS}) "
    f"SELECT {_EVENT_COLUMNS} FROM jsonb_populate_recordset(NULL::{_EVENT_TABLE}, %s::jsonb)"
)


def _events_json(rows: list[dict]) -> str:
    """recording.columns() rows as one JSON array; uuid and datetime values go in as their str()."""
    return json.dumps(rows, default=str)


def rotate(row: RefreshToken, *, new_hash: str, now, grant_events: list[dict]) -> bool:
    """Rotate `row` to a successor and log the grant, in one statement. False: another request won."""
    sql = (
        "WITH rotated AS ("
        f" UPDATE {_TOKENS} SET rotated_at = %s, last_used = %s"
        " WHERE id = %s AND rotated_at IS NULL RETURNING family_id"
        "), issued AS ("
        f" INSERT INTO {_TOKENS} (token_hash, family_id, created, last_used, rotated_at, origin)"
        " SELECT %s, family_id, %s, %s, NULL, 'rotation' FROM rotated RETURNING id"
        f"), logged AS ({_EVENTS} WHERE EXISTS (SELECT 1 FROM issued) RETURNING 1"
        ") SELECT count(*) FROM issued"
    )
    with _cursor() as cursor:
        cursor.execute(sql, [now, now, row.pk, new_hash, now, now, _events_json(grant_events)])
        return cursor.fetchone()[0] == 1


# The app row a cached client authentication relied on, unchanged (tokens/oauth/client_cache.py).
_UNCHANGED_APP = (
    f" WHERE EXISTS (SELECT 1 FROM {Application._meta.db_table}"
    " WHERE id = %s AND updated = %s AND status = 'ACTIVE' AND client_secret = %s)"
)


def insert_events(rows: list[dict], *, confirm: Application | None = None) -> bool:
    """Save events in one autocommit statement (Django's bulk_create adds BEGIN and COMMIT).

    With `confirm`, only while that app's row is as it was loaded; False: it changed, nothing saved."""
    params = [_events_json(rows)]
    sql = _EVENTS
    if confirm is not None:
        sql += _UNCHANGED_APP
        params += [confirm.pk, confirm.updated, confirm.client_secret]
    with _cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount > 0


def touch(row: RefreshToken, *, now, grant_events: list[dict]) -> None:
    """A persistent token's use: restart its idle window and log the grant, in one statement."""
    sql = f"WITH touched AS (UPDATE {_TOKENS} SET last_used = %s WHERE id = %s RETURNING 1) {_EVENTS}"
    with _cursor() as cursor:
        cursor.execute(sql, [now, row.pk, _events_json(grant_events)])
