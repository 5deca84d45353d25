"""`manage.py rotatekeys` and tokens.keys.rotate_keys: one turn of the key cycle per run."""

import threading
from datetime import timedelta
from io import StringIO

import jwt
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from core.models import Event
from tokens.models import SigningKey
from tokens.oauth import minting
from tokens.servers import keys
from tokens.servers.registry import get_server


def statuses(server="org") -> dict[str, str]:
    return {k.status: k.kid for k in keys.list_keys(server)}


def rotate(*args) -> str:
    out = StringIO()
    call_command("rotatekeys", "--noinput", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def access_token(server_id="org") -> str:
    return minting.mint_access_token(get_server(server_id), client_id="0oatest", scopes=["openid"]).token


def verifies_through_jwks(token: str, server_id="org") -> bool:
    """What a resource server does: pick the key by `kid` from the published JWKS."""
    jwks = jwt.PyJWKSet.from_dict({"keys": keys.published_jwks(server_id)})
    kid = jwt.get_unverified_header(token)["kid"]
    try:
        key = jwks[kid]
    except KeyError:
        return False
    jwt.decode(token, key.key, algorithms=["RS256"], options={"verify_aud": False})
    return True


@pytest.mark.django_db
def test_one_run_turns_the_cycle_once():
    keys.ensure_keys("org")
    before = statuses()

    out = rotate("--server", "org")

    after = statuses()
    assert after["ACTIVE"] == before["NEXT"]
    assert after["EXPIRED"] == before["ACTIVE"]
    assert after["NEXT"] not in before.values()
    assert SigningKey.objects.filter(server="org").count() == 3
    assert before["ACTIVE"] in out and after["NEXT"] in out
    event = Event.objects.get(event_type="app.oauth2.key.rollover")
    assert [k["id"] for k in event.targets] == [after["EXPIRED"], after["ACTIVE"], after["NEXT"]]


@pytest.mark.django_db
def test_the_output_never_shows_key_material():
    keys.ensure_keys("org")
    out = rotate("--server", "org")
    key = SigningKey.objects.get(server="org", status="ACTIVE")
    assert key.private_key_encrypted not in out
    assert key.public_jwk["n"][:20] not in out
    assert "PRIVATE" not in out


@pytest.mark.django_db
def test_the_third_rotation_unpublishes_the_oldest_key():
    keys.ensure_keys("org")
    first_active = statuses()["ACTIVE"]
    rotate("--server", "org")
    rotate("--server", "org")
    kids = [jwk["kid"] for jwk in keys.published_jwks("org")]
    assert first_active not in kids
    assert len(kids) == 3
    assert SigningKey.objects.filter(server="org").count() == 3


@pytest.mark.django_db
def test_all_rotates_both_servers_and_logs_each():
    keys.ensure_keys("org")
    keys.ensure_keys("default")
    org, default = statuses("org"), statuses("default")

    rotate()

    assert statuses("org")["ACTIVE"] == org["NEXT"]
    assert statuses("default")["ACTIVE"] == default["NEXT"]
    assert Event.objects.filter(event_type="app.oauth2.key.rollover").count() == 1
    assert Event.objects.filter(event_type="app.oauth2.as.key.rollover").count() == 1


@pytest.mark.django_db
def test_new_tokens_carry_the_new_kid():
    keys.ensure_keys("org")
    old = jwt.get_unverified_header(access_token())["kid"]
    rotate("--server", "org")
    new = jwt.get_unverified_header(access_token())["kid"]
    assert new != old
    assert new == statuses()["ACTIVE"]


@pytest.mark.django_db
def test_a_token_signed_before_one_rotation_still_verifies():
    token = access_token()
    rotate("--server", "org")
    assert verifies_through_jwks(token)
    assert minting.verify(get_server("org"), token) is not None


@pytest.mark.django_db
def test_after_two_rotations_its_key_is_gone_and_it_fails():
    token = access_token()
    rotate("--server", "org")
    rotate("--server", "org")
    assert not verifies_through_jwks(token)
    assert minting.verify(get_server("org"), token) is None


@pytest.mark.django_db
def test_dry_run_changes_nothing():
    keys.ensure_keys("org")
    rows = list(SigningKey.objects.values_list("kid", "status"))

    out = StringIO()
    call_command("rotatekeys", "--server", "org", "--dry-run", stdout=out)

    assert list(SigningKey.objects.values_list("kid", "status")) == rows
    assert not Event.objects.exists()
    assert "(new)" in out.getvalue()
    assert "dry run" in out.getvalue()


@pytest.mark.django_db
def test_dry_run_on_an_empty_database_creates_no_keys():
    call_command("rotatekeys", "--dry-run", stdout=StringIO())
    assert not SigningKey.objects.exists()


@pytest.mark.django_db
def test_declining_the_prompt_changes_nothing(monkeypatch):
    keys.ensure_keys("org")
    before = statuses()
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="cancelled"):
        call_command("rotatekeys", "--server", "org", stdout=StringIO())
    assert statuses() == before


@pytest.mark.django_db
def test_the_prompt_warns_when_tokens_of_the_key_to_unpublish_may_be_live(monkeypatch):
    keys.ensure_keys("org")
    rotate("--server", "org")  # NEXT made just now: the EXPIRED key signed until a moment ago
    prompts = []
    monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or "yes")
    call_command("rotatekeys", "--server", "org", stdout=StringIO())
    assert "stop verifying now" in prompts[0]

    SigningKey.objects.filter(status="NEXT").update(created=timezone.now() - timedelta(days=1))
    call_command("rotatekeys", "--server", "org", stdout=StringIO())
    assert "Warning" not in prompts[1]


@pytest.mark.django_db
def test_no_warning_when_no_key_would_be_unpublished(monkeypatch):
    keys.ensure_keys("org")  # ACTIVE and NEXT only, both made just now
    assert keys.early_rotation("org") is None
    prompts = []
    monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or "yes")
    call_command("rotatekeys", "--server", "org", stdout=StringIO())
    assert "Warning" not in prompts[0]


@pytest.mark.django_db
def test_a_missing_next_key_still_leaves_a_signing_key():
    keys.ensure_keys("org")
    SigningKey.objects.filter(server="org", status="NEXT").delete()
    keys.rotate_keys("org")
    assert set(statuses()) == {"ACTIVE", "NEXT", "EXPIRED"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_rotations_each_turn_once_and_never_leave_two_active_keys(monkeypatch):
    keys.ensure_keys("org")
    start = statuses()
    threads_n, turns = 4, 5
    # Keys made ahead of time, so the rotations' transactions overlap instead of queueing on RSA.
    pool = [keys._generate() for _ in range(threads_n * turns)]
    pool_lock = threading.Lock()

    def from_pool():
        with pool_lock:
            return pool.pop()

    monkeypatch.setattr(keys, "_generate", from_pool)
    barrier = threading.Barrier(threads_n)
    errors = []

    def worker():
        try:
            barrier.wait()
            for _ in range(turns):
                keys.rotate_keys("org")
        except Exception as exc:  # noqa: BLE001 - the test reports every failure
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert errors == []
    rows = list(SigningKey.objects.filter(server="org"))
    assert sorted(k.status for k in rows) == ["ACTIVE", "EXPIRED", "NEXT"]
    assert start["ACTIVE"] not in {k.kid for k in rows} and start["NEXT"] not in {k.kid for k in rows}
    rollovers = Event.objects.filter(event_type="app.oauth2.key.rollover").order_by("id")
    assert rollovers.count() == threads_n * turns
    # Serialised turns: each one started from exactly the keys the previous one left.
    for previous, current in zip(rollovers, rollovers[1:], strict=False):
        assert current.debug_data["before"] == previous.debug_data["after"]


@pytest.mark.live
def test_every_worker_signs_with_the_new_key_once_the_cache_bound_has_passed(live_server_factory, live_db):
    """Two gunicorn workers, a 1 s key cache: after a rotation and that second, no token has the old kid."""
    import time
    import uuid
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from clients.services import create_app

    app, secret = create_app(
        {
            "label": f"Rotation probe {uuid.uuid4().hex[:8]}",
            "application_type": "service",
            "grant_types": ["client_credentials"],
        }
    )
    server = live_server_factory(
        workers=2,
        extra_env={
            "ROTOR_KEY_CACHE_SECONDS": "1",
            "GUNICORN_CMD_ARGS": "--access-logfile - --access-logformat '%(p)s %(U)s %(s)s'",
        },
        server="gunicorn",  # its access log names the worker's pid, which this test reads
    )
    prefix = f"{server.url}/oauth2/default/v1"

    def mint(_=None) -> str:
        response = requests.post(
            f"{prefix}/token",
            data={"grant_type": "client_credentials", "scope": "api:read"},
            auth=(app.client_id, secret),
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def mint_many(n=24) -> list[str]:
        with ThreadPoolExecutor(4) as pool:  # concurrent, so both workers answer
            return list(pool.map(mint, range(n)))

    def kid(token) -> str:
        return jwt.get_unverified_header(token)["kid"]

    old_tokens = mint_many()
    jwks_before = {k["kid"] for k in requests.get(f"{prefix}/keys", timeout=10).json()["keys"]}
    old_active = statuses("default")["ACTIVE"]
    assert {kid(t) for t in old_tokens} == {old_active}

    keys.rotate_keys("default")
    new_active = statuses("default")["ACTIVE"]
    assert new_active in jwks_before  # a client's cached JWKS already holds the key that signs next
    time.sleep(1.5)  # the server's ROTOR_KEY_CACHE_SECONDS, plus a margin
    with open(server.log.name) as log:
        log_from = len(log.read())

    new_tokens = mint_many()

    assert {kid(t) for t in new_tokens} == {new_active}
    with open(server.log.name) as log:
        lines = log.read()[log_from:].splitlines()
    pids = {int(line.split()[0].strip("<>")) for line in lines if "/oauth2/default/v1/token 200" in line}
    assert pids == set(server.worker_pids()) and len(pids) == 2
    jwks = jwt.PyJWKClient(f"{prefix}/keys", cache_keys=False)
    for token in (old_tokens[0], new_tokens[0]):  # the EXPIRED key is still published
        key = jwks.get_signing_key_from_jwt(token)
        assert jwt.decode(token, key.key, algorithms=["RS256"], audience="api://default")["cid"] == app.client_id
