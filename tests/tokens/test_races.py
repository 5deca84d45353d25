"""Rotation, grace, reuse detection and persistence raced with real requests on PostgreSQL.

Every test fires its requests at once (a barrier lines the threads up) against gunicorn with
several sync workers, or against two separate server processes sharing the database, the way
two machines behind a load balancer would. Counts are exact.
"""

import os
import signal
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.kit.oauth import INVALID_REFRESH, live_sign_in

pytestmark = [pytest.mark.live, pytest.mark.postgres]

N = 50
REDIRECT = "https://spa.example.com/callback"


def _user(live_db_unused=None):
    from accounts.services import create_user

    name = f"race-{uuid.uuid4().hex[:10]}@example.com"
    create_user(username=name, email=name, password="race password 123")
    return name


def _app(**settings):
    from clients.services import create_app

    data = {
        "label": f"race {uuid.uuid4().hex[:6]}",
        "application_type": "browser",
        "grant_types": ["authorization_code", "refresh_token"],
        "redirect_uris": [REDIRECT],
    }
    data.update(settings)
    app, secret = create_app(data)
    return app, secret


def _first_tokens(base, app, username, secret=None) -> dict:
    grant = live_sign_in(base, app.client_id, REDIRECT, username, "race password 123")
    data = {
        "grant_type": "authorization_code",
        "code": grant["code"],
        "redirect_uri": REDIRECT,
        "code_verifier": grant["verifier"],
    }
    auth = (app.client_id, secret) if secret else None
    if not secret:
        data["client_id"] = app.client_id
    response = requests.post(f"{base}/oauth2/v1/token", data=data, auth=auth, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _refresh(base, app, token, secret=None):
    data = {"grant_type": "refresh_token", "refresh_token": token}
    auth = (app.client_id, secret) if secret else None
    if not secret:
        data["client_id"] = app.client_id
    return requests.post(f"{base}/oauth2/v1/token", data=data, auth=auth, timeout=60)


def _burst(bases: list[str], app, token, secret=None, n=N):
    """n refreshes of one token at once, spread round-robin over the given servers."""
    barrier = threading.Barrier(n)

    def one(i):
        barrier.wait()
        return _refresh(bases[i % len(bases)], app, token, secret)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def _introspect(base, app, token, secret=None) -> dict:
    data = {"token": token}
    auth = (app.client_id, secret) if secret else None
    if not secret:
        data["client_id"] = app.client_id
    return requests.post(f"{base}/oauth2/v1/introspect", data=data, auth=auth, timeout=30).json()


def _family_status(app):
    from tokens.models import TokenFamily

    return list(TokenFamily.objects.filter(client=app).values_list("status", flat=True))


def _check_grace(bases, base, app, username):
    first = _first_tokens(base, app, username)
    responses = _burst(bases, app, first["refresh_token"])
    assert [r.status_code for r in responses] == [200] * N
    new_tokens = [r.json()["refresh_token"] for r in responses]
    assert len(set(new_tokens)) == N and first["refresh_token"] not in new_tokens
    for response in responses[:5]:
        assert _introspect(base, app, response.json()["access_token"])["active"] is True
    for token in new_tokens:  # every one of them is a working token
        assert _refresh(base, app, token).status_code == 200
    assert _family_status(app) == ["ACTIVE"]


def _check_strict(bases, base, app, username):
    first = _first_tokens(base, app, username)
    responses = _burst(bases, app, first["refresh_token"])
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [400] * (N - 1)
    assert all(r.json() == INVALID_REFRESH for r in responses if r.status_code == 400)
    winner = next(r.json() for r in responses if r.status_code == 200)
    assert _family_status(app) == ["REVOKED"]
    assert _refresh(base, app, winner["refresh_token"]).json() == INVALID_REFRESH
    assert _introspect(base, app, winner["access_token"]) == {"active": False}
    from core.models import Event

    assert Event.objects.filter(event_type="app.oauth2.token.detect_reuse", app_id=app.public_id).count() >= 1


def _check_static(bases, base, app, secret, username):
    first = _first_tokens(base, app, username, secret)
    responses = _burst(bases, app, first["refresh_token"], secret)
    assert [r.status_code for r in responses] == [200] * N
    assert {r.json()["refresh_token"] for r in responses} == {first["refresh_token"]}
    for response in responses[::10]:
        assert _introspect(base, app, response.json()["access_token"], secret)["active"] is True
    assert _family_status(app) == ["ACTIVE"]


def test_fifty_refreshes_with_leeway_all_succeed_with_distinct_working_tokens(live, live_db):
    app, _ = _app(rotation_type="ROTATE", leeway=30)
    _check_grace([live.url], live.url, app, _user())


def test_fifty_refreshes_without_leeway_one_wins_and_the_family_is_revoked(live, live_db):
    app, _ = _app(rotation_type="ROTATE", leeway=0)
    _check_strict([live.url], live.url, app, _user())


def test_fifty_static_refreshes_all_return_the_same_token(live, live_db):
    app, secret = _app(application_type="web", rotation_type="STATIC", redirect_uris=[REDIRECT])
    _check_static([live.url], live.url, app, secret, _user())


def test_two_server_processes_on_one_database_keep_every_guarantee(live, live_server_factory, live_db):
    other = live_server_factory(workers=2, extra_env={"ROTOR_ISSUER": live.url})
    bases = [live.url, other.url]
    grace_app, _ = _app(rotation_type="ROTATE", leeway=30)
    _check_grace(bases, live.url, grace_app, _user())
    strict_app, _ = _app(rotation_type="ROTATE", leeway=0)
    _check_strict(bases, live.url, strict_app, _user())
    static_app, secret = _app(application_type="web", rotation_type="STATIC", redirect_uris=[REDIRECT])
    _check_static(bases, live.url, static_app, secret, _user())


def test_killing_a_worker_mid_burst_loses_no_guarantee(live_server_factory, live_db):
    """SIGKILL a worker while chains of rotations run. Afterwards every client's last 200 token
    still works (a rotation whose response was lost is covered by the grace period), and
    replaying an old token after the leeway still revokes the family."""
    server = live_server_factory(workers=3)
    leeway = 3
    app, _ = _app(rotation_type="ROTATE", leeway=leeway)
    chains = 12
    starts = [_first_tokens(server.url, app, _user())["refresh_token"] for _ in range(chains)]
    held = list(starts)
    stop = time.monotonic() + 4
    killed = []

    def chain(i):
        session = requests.Session()
        while time.monotonic() < stop:
            try:
                response = session.post(
                    f"{server.url}/oauth2/v1/token",
                    timeout=30,
                    data={"grant_type": "refresh_token", "refresh_token": held[i], "client_id": app.client_id},
                )
            except requests.RequestException:
                continue  # the killed worker's connection; retry with the token we hold
            assert response.status_code == 200, response.text
            held[i] = response.json()["refresh_token"]

    with ThreadPoolExecutor(chains) as pool:
        futures = [pool.submit(chain, i) for i in range(chains)]
        time.sleep(1.0)
        victim = server.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        killed.append(victim)
        for future in futures:
            future.result()

    assert killed
    for i in range(chains):  # every client's last 200 token works
        response = _refresh(server.url, app, held[i])
        assert response.status_code == 200, (i, response.text)
        held[i] = response.json()["refresh_token"]
    time.sleep(leeway + 1)
    for i in range(chains):  # a replay of the first token is still detected
        assert _refresh(server.url, app, starts[i]).json() == INVALID_REFRESH
        assert _refresh(server.url, app, held[i]).json() == INVALID_REFRESH
    assert set(_family_status(app)) == {"REVOKED"}
