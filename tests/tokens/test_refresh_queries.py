"""The refresh path stays lean: the statement count per refresh is part of the contract (issue 3).

Counted: every SQL statement Django sends, client authentication included, with the signing key
already cached in the worker (as it is on every request but one per few seconds). Tests run inside a
transaction, so the refresh's own transaction shows up as SAVEPOINT/RELEASE; in production it is
BEGIN/COMMIT, two more round trips on top of the data statements counted here.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.tokens.lifecycle_helpers import do_refresh, start

MAX_ROTATE = 4  # + BEGIN/COMMIT = 6: token+family+user+client, rotate, insert new token, events
MAX_STATIC = 3  # + BEGIN/COMMIT = 5: token+family+user+client, idle-window touch, events


def _count(client, app, token, secret=None) -> tuple[int, dict, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = do_refresh(client, app, token, secret=secret)
    assert response.status_code == 200, response.content
    sql = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    return len(sql), response.json(), sql


@pytest.mark.parametrize("app_type", ["browser", "web"])
def test_rotation_takes_four_statements_plus_the_transaction(client, make_app, end_user, app_type):
    app, secret = make_app(
        label="q",
        application_type=app_type,
        grant_types=["authorization_code", "refresh_token"],
        rotation_type="ROTATE",
    )
    token = start(client, app, end_user, secret=secret)["refresh_token"]
    do_refresh(client, app, token, secret=secret)  # warm the signing-key cache like a busy worker
    token = do_refresh(client, app, token, secret=secret).json()["refresh_token"]
    count, body, sql = _count(client, app, token, secret)
    assert body["refresh_token"] != token
    assert count <= MAX_ROTATE, "\n".join(sql)


def test_static_refresh_takes_three_statements_plus_the_transaction(client, make_app, end_user):
    app, secret = make_app(
        label="q", application_type="web", grant_types=["authorization_code", "refresh_token"], rotation_type="STATIC"
    )
    token = start(client, app, end_user, secret=secret)["refresh_token"]
    do_refresh(client, app, token, secret=secret)
    count, body, sql = _count(client, app, token, secret)
    assert body["refresh_token"] == token
    assert count <= MAX_STATIC, "\n".join(sql)
