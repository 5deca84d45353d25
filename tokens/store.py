"""Hand-written SQL for the refresh hot path on PostgreSQL.

The ORM code in tokens/lifecycle.py is the reference, the SQLite path, and the path of every
rare branch (grace, replay, revocation). On PostgreSQL the two common branches run here with a
fraction of the CPU and round trips (bench/README.md has the before/after figures):

- `find_token` loads token, family, user and client in one prepared-once SELECT;
- a rotation is ONE statement: the conditional UPDATE, the INSERT of the successor and the
  INSERT of the grant events, chained in a CTE that commits atomically on its own. The
  `rotated_at IS NULL` condition sits on the updated row itself, which PostgreSQL re-checks
  after waiting for a concurrent writer, so exactly one request rotates a token;
- a persistent (STATIC) refresh touches `last_used` and logs its events in one statement.
"""

import json
from functools import cache

from django.conf import settings
from django.db import connection
from django.db.models import JSONField

from accounts.models import User
from clients.models import Application

from .models import Event, RefreshToken, TokenFamily

_MODELS = [("r", RefreshToken), ("f", TokenFamily), ("u", User), ("a", Application)]


def enabled() -> bool:
    return settings.ROTOR_FAST_REFRESH_SQL and connection.vendor == "postgresql"


@cache
def _find_sql() -> tuple[str, list[tuple[type, list, int]]]:
    columns, layout = [], []
    for alias, model in _MODELS:
        fields = model._meta.concrete_fields
        columns += [f'{alias}."{f.column}"' for f in fields]
        layout.append((model, fields, len(fields)))
    sql = (
        f"SELECT {', '.join(columns)} FROM tokens_refreshtoken r "
        "JOIN tokens_tokenfamily f ON f.id = r.family_id "
        "JOIN accounts_user u ON u.id = f.user_id "
        "JOIN clients_application a ON a.id = f.client_id "
        "WHERE r.token_hash = %s"
    )
    return sql, layout


def find_token(token_hash: str) -> RefreshToken | None:
    """The token row with `.family`, `.family.user` and `.family.client` loaded, or None."""
    sql, layout = _find_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [token_hash])
        values = cursor.fetchone()
    if values is None:
        return None
    instances, start = [], 0
    for model, fields, count in layout:
        chunk = list(values[start : start + count])
        for i, field in enumerate(fields):
            if isinstance(field, JSONField) and isinstance(chunk[i], str):
                chunk[i] = json.loads(chunk[i])
        instances.append(model.from_db(connection.alias, [f.attname for f in fields], chunk))
        start += count
    token, family, user, app = instances
    family.user, family.client = user, app
    token.family = family
    return token


_EVENT_COLUMNS = [
    ("uuid", "uuid"),
    ("published", "timestamptz"),
    ("event_type", "text"),
    ("severity", "text"),
    ("display_message", "text"),
    ("outcome_result", "text"),
    ("outcome_reason", "text"),
    ("actor", "jsonb"),
    ("client_info", "jsonb"),
    ("targets", "jsonb"),
    ("debug_data", "jsonb"),
    ("app_id", "text"),
    ("user_id", "text"),
    ("family_id", "text"),
]


def _events_values(rows: list[Event]) -> tuple[str, list]:
    """A VALUES list of events and its parameters, the JSON columns serialised once."""
    one = "(" + ", ".join(f"%s::{kind}" for _, kind in _EVENT_COLUMNS) + ")"
    params = []
    for event in rows:
        for name, kind in _EVENT_COLUMNS:
            value = getattr(event, name)
            params.append(json.dumps(value) if kind == "jsonb" else str(value) if kind == "uuid" else value)
    return ", ".join([one] * len(rows)), params


_EVENT_INSERT = f"INSERT INTO tokens_event ({', '.join(name for name, _ in _EVENT_COLUMNS)}) "


def rotate(row: RefreshToken, *, new_hash: str, now, grant_events: list[Event]) -> bool:
    """Rotate `row` to a successor and log the grant, in one statement. False: another request won."""
    values, event_params = _events_values(grant_events)
    sql = (
        "WITH rotated AS ("
        " UPDATE tokens_refreshtoken SET rotated_at = %s, last_used = %s"
        " WHERE id = %s AND rotated_at IS NULL RETURNING family_id"
        "), issued AS ("
        " INSERT INTO tokens_refreshtoken (token_hash, family_id, created, last_used, rotated_at, origin)"
        " SELECT %s, family_id, %s, %s, NULL, 'rotation' FROM rotated RETURNING id"
        "), logged AS ("
        f" {_EVENT_INSERT} SELECT * FROM (VALUES {values}) AS v WHERE EXISTS (SELECT 1 FROM issued) RETURNING 1"
        ") SELECT count(*) FROM issued"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, now, row.pk, new_hash, now, now, *event_params])
        return cursor.fetchone()[0] == 1


def touch(row: RefreshToken, *, now, grant_events: list[Event]) -> None:
    """A persistent token's use: restart its idle window and log the grant, in one statement."""
    values, event_params = _events_values(grant_events)
    sql = (
        "WITH touched AS (UPDATE tokens_refreshtoken SET last_used = %s WHERE id = %s RETURNING 1) "
        f"{_EVENT_INSERT} SELECT * FROM (VALUES {values}) AS v"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, row.pk, *event_params])
