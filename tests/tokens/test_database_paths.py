"""The two database paths of tokens/lifecycle/paths.py write the same rows.

Each scenario runs twice in one test, with ROTOR_FAST_SQL on (PostgresPath, postgres.py's
statements) and off (OrmPath, the reference), on a frozen clock moved by the same steps. What it
leaves behind is then compared as data: the families, their refresh tokens (origin, and created,
last_used and rotated_at as seconds from the scenario's start, so their relationships count) and
the events (every column but id, uuid and published). Family ids and token hashes differ between
two runs by nature and are replaced by their order of creation; anything else that differs fails.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from clients.models import Application
from core.crypto import hash_token, new_token
from core.models import Event
from tests.kit.oauth import refresh, tokens_for
from tokens.lifecycle import families, paths
from tokens.lifecycle.events import grant_events
from tokens.models import RefreshToken, TokenFamily
from tokens.servers.registry import get_server

pytestmark = pytest.mark.postgres

PATHS = {True: paths.POSTGRES, False: paths.ORM}
# Each run of a scenario starts on its own hour, far from the other run and from real time.
STARTS = {True: datetime(2030, 1, 1, 9, tzinfo=UTC), False: datetime(2030, 1, 1, 11, tzinfo=UTC)}
EVENT_COLUMNS = [f.name for f in Event._meta.concrete_fields if f.name not in ("id", "uuid", "published")]
FAMILY_COLUMNS = ["server", "scopes", "grant_type", "idle_minutes", "status", "revoked_reason"]


def use_path(settings, fast: bool):
    """Switch the path with the setting, as production does, and check the seam took it."""
    settings.ROTOR_FAST_SQL = fast
    assert paths.database() is PATHS[fast]
    return paths.database()


def _seconds(value, t0):
    return None if value is None else (value - t0).total_seconds()


def _replace(value, names: dict):
    """`value` with every string that names a family or token of the run replaced by its placeholder."""
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, list):
        return [_replace(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _replace(v, names) for k, v in value.items()}
    return value


class Run:
    """One run of a scenario on one path: a frozen clock and the rows it wrote."""

    def __init__(self, settings, fast: bool):
        self.fast = fast
        self.path = use_path(settings, fast)
        self.t0 = STARTS[fast]
        self.first_event = (Event.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        self.first_family = (TokenFamily.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        self.results = []  # what the scenario's steps answered, compared too

    def __enter__(self):
        self._travel = time_machine.travel(self.t0, tick=False)
        self.clock = self._travel.__enter__()
        return self

    def __exit__(self, *exc):
        self._travel.__exit__(*exc)

    def at(self, seconds: float):
        """Move the frozen clock to `seconds` after the start of the run."""
        self.clock.move_to(self.t0 + timedelta(seconds=seconds))
        return self.t0 + timedelta(seconds=seconds)

    def rows(self) -> dict:
        """Everything the run wrote, as comparable data."""
        t0, names = self.t0, {}
        family_rows, token_rows = [], []
        for f_index, family in enumerate(TokenFamily.objects.filter(id__gte=self.first_family).order_by("id")):
            names[family.public_id] = f"<family {f_index}>"
            row = {c: getattr(family, c) for c in FAMILY_COLUMNS}
            row |= {
                "client": family.client_id,
                "user": family.user_id,
                "auth_time": _seconds(family.auth_time, t0),
                "created": _seconds(family.created, t0),
                "expires_at": _seconds(family.expires_at, t0),
                "revoked_at": _seconds(family.revoked_at, t0),
            }
            family_rows.append(row)
            for t_index, token in enumerate(RefreshToken.objects.filter(family=family).order_by("id")):
                names[token.token_hash] = f"<token {f_index}.{t_index}>"
                token_rows.append(
                    {
                        "family": f_index,
                        "origin": token.origin,
                        "created": _seconds(token.created, t0),
                        "last_used": _seconds(token.last_used, t0),
                        "rotated_at": _seconds(token.rotated_at, t0),
                    }
                )
        events = [
            _replace({c: getattr(e, c) for c in EVENT_COLUMNS}, names)
            for e in Event.objects.filter(id__gte=self.first_event).order_by("id")
        ]
        return {"families": family_rows, "tokens": token_rows, "events": events, "results": self.results}


def assert_same(fast: dict, orm: dict) -> None:
    """The two paths' rows, part by part, so a failure names what diverged."""
    for part in ("results", "families", "tokens", "events"):
        assert fast[part] == orm[part], f"{part} differ between PostgresPath (left) and OrmPath (right)"
    assert fast["tokens"] or fast["events"], "the scenario wrote nothing: it compares nothing"


def both(settings, scenario) -> None:
    """Run `scenario(run)` on each path and compare what each wrote."""
    written = {}
    for fast in (True, False):
        with Run(settings, fast) as run:
            scenario(run)
            written[fast] = run.rows()
    assert_same(written[True], written[False])


@pytest.fixture
def service_app(make_app):
    app, _ = make_app(label="Service", application_type="service", grant_types=["client_credentials"])
    return app


SERVER = "org"


def _family(app, user, run: Run):
    """A family started at the run's start, and its first token's row as the seam finds it."""
    family, token = families.start_family(
        client=app,
        user=user,
        server=get_server(SERVER),
        scopes=["openid", "offline_access"],
        auth_time=run.t0,
        grant_type="authorization_code",
    )
    return family, run.path.find_token(hash_token(token))


def _refresh_events(row, *, new_refresh: bool):
    family = row.family
    return grant_events(
        get_server(SERVER),
        family.client,
        family.user,
        family,
        family.scopes,
        "refresh_token",
        refresh_issued=new_refresh,
    )


# The operations of the seam -------------------------------------------------------------------------


def test_rotate_writes_the_same_rows(settings, rotating_app, end_user):
    def scenario(run: Run):
        _, row = _family(rotating_app, end_user, run)
        now = run.at(10)
        run.results.append(
            run.path.rotate(
                row, new_hash=hash_token(new_token()), now=now, grant_events=_refresh_events(row, new_refresh=True)
            )
        )
        # The same row again, as a request that read it before the rotation: it loses, writes nothing.
        now = run.at(12)
        run.results.append(
            run.path.rotate(
                row, new_hash=hash_token(new_token()), now=now, grant_events=_refresh_events(row, new_refresh=True)
            )
        )
        assert run.results == [True, False]

    both(settings, scenario)


def test_touch_writes_the_same_rows(settings, static_app, end_user):
    def scenario(run: Run):
        _, row = _family(static_app, end_user, run)
        run.results.append(run.path.touch(row, now=run.at(10), grant_events=_refresh_events(row, new_refresh=False)))
        run.results.append(run.path.touch(row, now=run.at(25), grant_events=_refresh_events(row, new_refresh=False)))

    both(settings, scenario)


def _client_credentials_events(app):
    return grant_events(get_server(SERVER), app, None, None, ["api:read"], "client_credentials", refresh_issued=False)


def test_insert_events_without_confirm_writes_the_same_rows(settings, service_app, rotating_app, end_user):
    def scenario(run: Run):
        run.results.append(run.path.insert_events(_client_credentials_events(service_app)))
        family, row = _family(rotating_app, end_user, run)
        run.results.append(run.path.insert_events(_refresh_events(row, new_refresh=True)))
        run.results.append(run.path.insert_events([]))

    both(settings, scenario)


def _change(app: Application, what: str) -> None:
    """Change the app's row behind the back of an instance loaded before (as another node would)."""
    rows = Application.objects.filter(pk=app.pk)
    if what == "updated":
        rows.update(updated=app.updated + timedelta(seconds=1))
    elif what == "status":
        rows.update(status="INACTIVE")
    elif what == "client_secret":
        rows.update(client_secret=app.client_secret + "x")


@pytest.mark.parametrize("change", [None, "updated", "status", "client_secret"])
def test_insert_events_with_confirm_writes_the_same_rows(settings, service_app, change):
    """`confirm`: saved only while the app's row is as it was loaded; False and nothing saved otherwise."""

    def scenario(run: Run):
        loaded = Application.objects.get(pk=service_app.pk)
        saved = {f: getattr(loaded, f) for f in ("updated", "status", "client_secret")}
        if change:
            _change(loaded, change)
        run.results.append(run.path.insert_events(_client_credentials_events(loaded), confirm=loaded))
        Application.objects.filter(pk=loaded.pk).update(**saved)  # as it was, for the other run
        run.results.append(run.path.insert_events(_client_credentials_events(loaded), confirm=loaded))
        assert run.results == [change is None, True]

    both(settings, scenario)


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def _loaded(row: RefreshToken | None):
    """The row and the three rows find_token loads with it, field by field."""
    if row is None:
        return None
    family = row.family
    assert row.family_id == family.pk and family.user_id == family.user.pk and family.client_id == family.client.pk
    for instance in (row, family, family.user, family.client):  # loaded: a save() is an UPDATE of its row
        assert instance._state.adding is False and instance._state.db == "default"
    return [_fields(row), _fields(family), _fields(family.user), _fields(family.client)]


def test_find_token_loads_the_same_rows(settings, rotating_app, end_user):
    family, token = families.start_family(
        client=rotating_app,
        user=end_user,
        server=get_server(SERVER),
        scopes=["openid", "offline_access"],
        auth_time=datetime(2030, 1, 1, tzinfo=UTC),
        grant_type="authorization_code",
    )
    rotated = RefreshToken.objects.get(family=family)
    paths.ORM.rotate(rotated, new_hash=hash_token("successor"), now=rotated.created, grant_events=[])
    found = {}
    for fast in (True, False):
        path = use_path(settings, fast)
        found[fast] = [
            _loaded(path.find_token(hash_token(token))),  # rotated: rotated_at set
            _loaded(path.find_token(hash_token("successor"))),
            path.find_token(hash_token("unknown")),
        ]
    assert found[True][0] is not None and found[True][0][0]["rotated_at"] is not None
    assert found[True] == found[False]


def test_find_client_loads_the_same_row(settings, rotating_app, service_app):
    found = {}
    for fast in (True, False):
        path = use_path(settings, fast)
        found[fast] = [
            _fields(path.find_client(rotating_app.client_id)),
            _fields(path.find_client(service_app.client_id)),
            path.find_client("no-such-client"),
        ]
    assert found[True][0]["client_id"] == rotating_app.client_id
    assert found[True] == found[False]


# Whole refreshes through the token endpoint ---------------------------------------------------------


def _answer(response) -> dict:
    """What a token response said, without the values that are random by nature."""
    body = response.json()
    return {
        "status": response.status_code,
        "keys": sorted(body),
        "error": body.get("error"),
        "scope": body.get("scope"),
    }


def _sign_in(run: Run, client, app, user, secret=None) -> str:
    return tokens_for(client, app, user, secret=secret, sign_out=False)["refresh_token"]


def test_rotate_refreshes_write_the_same_rows(settings, client, rotating_app, end_user):
    def scenario(run: Run):
        token = _sign_in(run, client, rotating_app, end_user)
        for step in (10, 20, 30):
            run.at(step)
            response = refresh(client, rotating_app, token)
            run.results.append(_answer(response))
            assert response.json()["refresh_token"] != token
            token = response.json()["refresh_token"]
        run.at(40)
        run.results.append(_answer(refresh(client, rotating_app, token, scope="openid")))  # narrowed scopes

    both(settings, scenario)


def test_static_refreshes_write_the_same_rows(settings, client, static_app, end_user):
    secret = static_app.plain_secret

    def scenario(run: Run):
        token = _sign_in(run, client, static_app, end_user, secret=secret)
        for step in (10, 20, 30):
            run.at(step)
            response = refresh(client, static_app, token, secret=secret)
            run.results.append(_answer(response))
            assert response.json()["refresh_token"] == token

    both(settings, scenario)


def test_grace_refreshes_write_the_same_rows(settings, client, rotating_app, end_user):
    """A rotated token presented again within the leeway mints a fresh token in the family."""

    def scenario(run: Run):
        first = _sign_in(run, client, rotating_app, end_user)
        run.at(10)
        second = refresh(client, rotating_app, first).json()["refresh_token"]
        for step in (15, 39):  # both within the 30 s leeway of the rotation at 10 s
            run.at(step)
            run.results.append(_answer(refresh(client, rotating_app, first)))
        run.at(50)
        run.results.append(_answer(refresh(client, rotating_app, second)))

    both(settings, scenario)


def test_grace_after_a_lost_race_writes_the_same_rows(settings, rotating_app, end_user):
    """A request that read the token before another rotated it: its rotate() loses, then grace."""

    def scenario(run: Run):
        _, row = _family(rotating_app, end_user, run)
        stale = RefreshToken.objects.select_related("family__user", "family__client").get(pk=row.pk)
        run.at(10)
        server = get_server(SERVER)
        won = families.refresh(row=row, presented="x", client=rotating_app, server=server, requested_scopes=None)
        run.at(11)
        grace = families.refresh(row=stale, presented="x", client=rotating_app, server=server, requested_scopes=None)
        run.results.append([won.scopes, grace.scopes, won.refresh_token != grace.refresh_token])

    both(settings, scenario)


def test_replays_write_the_same_rows(settings, client, rotating_app, end_user):
    """A rotated token presented after the leeway revokes the family; the family's tokens then fail."""

    def scenario(run: Run):
        first = _sign_in(run, client, rotating_app, end_user)
        run.at(10)
        second = refresh(client, rotating_app, first).json()["refresh_token"]
        run.at(15)
        refresh(client, rotating_app, first)  # grace, so the replay names three tokens
        run.at(100)
        run.results.append(_answer(refresh(client, rotating_app, first)))  # replay: the family is revoked
        run.at(101)
        run.results.append(_answer(refresh(client, rotating_app, second)))
        run.results.append(_answer(refresh(client, rotating_app, first)))

    both(settings, scenario)
