"""The refresh path stays lean: its statement count is part of the contract (issue 3, issue 8).

Counted: every SQL statement Django sends, client authentication included, with the signing key
already cached in the worker (as it is on every request but one per few seconds).

- PostgreSQL fast path (tokens/lifecycle/postgres.py): one SELECT (token ⋈ family ⋈ user ⋈ client) and one
  statement that rotates, inserts the successor and logs the grant. No BEGIN/COMMIT: each
  statement is atomic on its own.
- ORM path (SQLite, and PostgreSQL with ROTOR_FAST_SQL off): the same SELECT, then an
  UPDATE, an INSERT and the events' INSERT inside a transaction. Tests run inside a transaction,
  so that one shows up as SAVEPOINT/RELEASE here; in production it is BEGIN/COMMIT.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.kit.oauth import refresh, tokens_for


def _count(client, app, token, secret=None) -> tuple[int, dict, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = refresh(client, app, token, secret=secret)
    assert response.status_code == 200, response.content
    sql = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    return len(sql), response.json(), sql


def _expected(fast: bool, rotate: bool) -> int:
    if fast:
        return 2
    return 4 if rotate else 3  # + BEGIN/COMMIT in production


def _signed_in(client, make_app, end_user, app_type: str, rotation: str = "ROTATE"):
    """An app of `app_type` with the refresh grant, and a first refresh token for `end_user`."""
    app, secret = make_app(
        label="q",
        application_type=app_type,
        grant_types=["authorization_code", "refresh_token"],
        rotation_type=rotation,
    )
    return app, secret, tokens_for(client, app, end_user, secret=secret, sign_out=False)["refresh_token"]


@pytest.fixture(autouse=True)
def _limits_off(settings):
    """The counts below are the refresh's own; tests/tokens/test_oauth_rate_limits.py counts the limiter's."""
    settings.ROTOR_OAUTH_RATE_LIMIT_PER_MINUTE = settings.ROTOR_OAUTH_IP_RATE_LIMIT_PER_MINUTE = 0
    settings.ROTOR_OAUTH_AUTH_FAILURES_PER_MINUTE = settings.ROTOR_OAUTH_IP_AUTH_FAILURES_PER_MINUTE = 0


@pytest.fixture(params=[True, False], ids=["fast-sql", "orm"])
def fast(request, settings):
    if request.param and connection.vendor != "postgresql":
        pytest.skip("the fast path is PostgreSQL's")
    settings.ROTOR_FAST_SQL = request.param
    return request.param


@pytest.mark.parametrize("app_type", ["browser", "web"])
def test_rotation_statement_count(client, make_app, end_user, app_type, fast):
    app, secret, token = _signed_in(client, make_app, end_user, app_type)
    token = refresh(client, app, token, secret=secret).json()["refresh_token"]  # warm the key cache
    count, body, sql = _count(client, app, token, secret)
    assert body["refresh_token"] != token
    assert count == _expected(fast, rotate=True), "\n".join(sql)


def test_dpop_refresh_adds_one_statement_the_jti_check(client, make_app, end_user, fast):
    """A DPoP-bound family (tokens/oauth/dpop.py): the lookup reads the binding with the family's columns, so
    only the proof's jti costs a statement (one INSERT … ON CONFLICT; a Redis SET NX with REDIS_URL)."""
    from tests.kit.dpop import DPoPKey, dpop_refresh, dpop_tokens

    key = DPoPKey()
    app, _ = make_app(label="q", application_type="browser", grant_types=["authorization_code", "refresh_token"])
    token = dpop_tokens(client, app, end_user, key).json()["refresh_token"]
    token = dpop_refresh(client, app, token, key).json()["refresh_token"]  # warm the key cache
    with CaptureQueriesContext(connection) as ctx:
        response = dpop_refresh(client, app, token, key)
    assert response.status_code == 200 and response.json()["token_type"] == "DPoP", response.content
    sql = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(sql) == _expected(fast, rotate=True) + 1, "\n".join(sql)
    assert sum("seenvalue" in s.lower() for s in sql) == 1, "\n".join(sql)


def test_a_refresh_with_the_wrong_key_writes_nothing(client, make_app, end_user, fast):
    """The jti and the lookup, then invalid_grant: no rotation, no event, no transaction."""
    from tests.kit.dpop import DPoPKey, dpop_refresh, dpop_tokens

    key, thief = DPoPKey(), DPoPKey()
    app, _ = make_app(label="q", application_type="browser", grant_types=["authorization_code", "refresh_token"])
    token = dpop_tokens(client, app, end_user, key).json()["refresh_token"]
    with CaptureQueriesContext(connection) as ctx:
        response = dpop_refresh(client, app, token, thief)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    sql = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(sql) == 2, "\n".join(sql)


def test_static_refresh_statement_count(client, make_app, end_user, fast):
    app, secret, token = _signed_in(client, make_app, end_user, "web", rotation="STATIC")
    refresh(client, app, token, secret=secret)
    count, body, sql = _count(client, app, token, secret)
    assert body["refresh_token"] == token
    assert count == _expected(fast, rotate=False), "\n".join(sql)


@pytest.mark.postgres
def test_hot_statements_stay_prepared_on_the_connection(client, make_app, end_user, settings):
    """The lookup and the rotation are planned once per connection, not once per refresh: PostgreSQL
    lists them among the connection's prepared statements, and a third refresh adds none."""
    settings.ROTOR_FAST_SQL = True
    app, secret, token = _signed_in(client, make_app, end_user, "browser")
    for _ in range(2):
        token = refresh(client, app, token, secret=secret).json()["refresh_token"]

    def prepared() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
            return [row[0] for row in cursor.fetchall()]

    before = prepared()
    assert any("FROM tokens_refreshtoken r JOIN tokens_tokenfamily f" in s for s in before), before
    assert any("WITH rotated AS (" in s for s in before), before
    assert refresh(client, app, token, secret=secret).status_code == 200
    assert sorted(prepared()) == sorted(before)


def test_without_prepared_statements_the_refresh_still_works(client, make_app, end_user):
    """DB_PREPARED_STATEMENTS=0 (a pooler that cannot keep them) changes speed, not behaviour."""
    connection.ensure_connection()
    raw = connection.connection
    threshold = getattr(raw, "prepare_threshold", None)
    if connection.vendor == "postgresql":
        raw.prepare_threshold = None  # what DB_PREPARED_STATEMENTS=0 leaves on every connection
    try:
        app, secret, token = _signed_in(client, make_app, end_user, "web")
        body = refresh(client, app, token, secret=secret).json()
        assert body["refresh_token"] != token
        assert refresh(client, app, body["refresh_token"], secret=secret).status_code == 200
        assert refresh(client, app, token, secret=secret).status_code == 200  # grace (default leeway)
    finally:
        if connection.vendor == "postgresql":
            raw.prepare_threshold = threshold
