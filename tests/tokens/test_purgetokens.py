"""`manage.py purgetokens` and tokens.purge: what goes, what stays, and that reuse detection survives."""

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from core.crypto import hash_token
from core.models import Event, SeenValue
from tokens import purge
from tokens.lifecycle import families as lifecycle
from tokens.lifecycle import revocation
from tokens.models import AuthorizationCode, RefreshToken, RevokedAccessToken, TokenFamily
from tokens.oauth.errors import OAuthError, invalid_grant_refresh
from tokens.servers.registry import get_server

DAY = timedelta(days=1)
WEEK_MINUTES = 7 * 24 * 60


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def start(public_app, end_user):
    """Start a family on the default server (7-day idle window); returns (family, refresh token)."""

    def start_family(app=None, user=None):
        return lifecycle.start_family(
            client=app or public_app,
            user=user or end_user,
            server=get_server("default"),
            scopes=["openid", "offline_access"],
            auth_time=timezone.now(),
            grant_type="authorization_code",
        )

    return start_family


def backdate(family, when):
    """Pretend the family started, and its tokens were last used, at `when`."""
    TokenFamily.objects.filter(pk=family.pk).update(created=when)
    RefreshToken.objects.filter(family=family).update(created=when, last_used=when)


def run(now, **policy) -> dict[str, int]:
    return purge.purge(purge.Policy(now=now, **policy))


def access_claims(jti: str, app, user=None) -> dict:
    """What revocation reads of an access token: its jti, app, user and issue time."""
    claims = {"jti": jti, "cid": app.client_id, "iat": int(timezone.now().timestamp())}
    return claims | ({"uid": user.uid} if user is not None else {})


def exists(obj) -> bool:
    return type(obj).objects.filter(pk=obj.pk).exists()


def do_refresh(app, token, server="default"):
    """What the token endpoint does with a refresh token, minus HTTP."""
    row = lifecycle.find_token(token)
    if row is None:
        raise invalid_grant_refresh()
    return lifecycle.refresh(row=row, presented=token, client=app, server=get_server(server), requested_scopes=None)


# --- families ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_family_revoked_within_the_retention_period_is_kept(start, now):
    family, _ = start()
    revocation.revoke_family(family, reason="test")
    TokenFamily.objects.filter(pk=family.pk).update(revoked_at=now - 6 * DAY)

    counts = run(now)

    assert exists(family)
    assert RefreshToken.objects.filter(family=family).count() == 1
    assert counts["families"] == 0


@pytest.mark.django_db
def test_a_family_revoked_longer_ago_goes_with_its_tokens(start, now):
    family, _ = start()
    revocation.revoke_family(family, reason="test")
    TokenFamily.objects.filter(pk=family.pk).update(revoked_at=now - 8 * DAY)

    counts = run(now)

    assert not exists(family)
    assert not RefreshToken.objects.filter(family_id=family.pk).exists()
    assert counts["families"] == 1 and counts["refresh tokens"] == 1


@pytest.mark.django_db
def test_the_retention_period_can_be_shortened(start, now):
    family, _ = start()
    revocation.revoke_family(family, reason="test")
    TokenFamily.objects.filter(pk=family.pk).update(revoked_at=now - timedelta(hours=13))
    assert run(now, retention=timedelta(hours=14))["families"] == 0
    assert run(now, retention=timedelta(hours=12))["families"] == 1


@pytest.mark.django_db
def test_a_family_past_its_absolute_expiry_goes_after_the_retention_period(start, now):
    kept, _ = start()
    gone, _ = start()
    TokenFamily.objects.filter(pk=kept.pk).update(expires_at=now - 6 * DAY)
    TokenFamily.objects.filter(pk=gone.pk).update(expires_at=now - 8 * DAY)

    run(now)

    assert exists(kept) and not exists(gone)


@pytest.mark.django_db
def test_an_idle_family_goes_once_its_window_and_the_retention_period_have_passed(start, now):
    used_recently, _ = start()
    idle_kept, _ = start()
    idle_gone, _ = start()
    backdate(used_recently, now - 30 * DAY)
    RefreshToken.objects.filter(family=used_recently).update(last_used=now - DAY)
    backdate(idle_kept, now - 7 * DAY - 6 * DAY)  # 7-day window + 6 days: kept
    backdate(idle_gone, now - 7 * DAY - 8 * DAY)  # 7-day window + 8 days: gone

    counts = run(now)

    assert exists(used_recently) and exists(idle_kept) and not exists(idle_gone)
    assert counts["families"] == 1


@pytest.mark.django_db
def test_a_rotating_family_is_idle_only_when_its_newest_token_is(start, public_app, now):
    family, token = start()
    new = do_refresh(public_app, token).refresh_token
    backdate(family, now - 30 * DAY)  # the first token's window ended long ago ...
    RefreshToken.objects.filter(token_hash=hash_token(new)).update(last_used=now - DAY)  # ... the newest's has not

    run(now)

    assert exists(family)
    assert do_refresh(public_app, new).family.pk == family.pk


@pytest.mark.django_db
def test_access_tokens_of_a_purged_family_stay_revoked(start, now):
    family, _ = start()
    token = access_claims(f"AT.abc.{family.public_id}", family.client, family.user)
    assert not revocation.is_access_token_revoked(token)
    revocation.revoke_family(family, reason="test")
    TokenFamily.objects.filter(pk=family.pk).update(revoked_at=now - 8 * DAY)
    assert revocation.is_access_token_revoked(token)

    run(now)

    assert revocation.is_access_token_revoked(token)


@pytest.mark.django_db
def test_codes_that_issued_a_purged_family_are_unlinked_not_deleted(start, public_app, end_user, now):
    family, _ = start()
    code = make_code(public_app, end_user, expires_at=now + timedelta(minutes=5), family=family)
    revocation.revoke_family(family, reason="test")
    TokenFamily.objects.filter(pk=family.pk).update(revoked_at=now - 8 * DAY)

    run(now)

    code.refresh_from_db()
    assert code.family is None


# --- rotated refresh tokens of live families ----------------------------------------------------


def rotate_twice(start, app, now, *, first_rotated_ago):
    """A family whose first token was rotated `first_rotated_ago`, its second just now."""
    family, first = start()
    second = do_refresh(app, first).refresh_token
    third = do_refresh(app, second).refresh_token
    when = now - first_rotated_ago
    RefreshToken.objects.filter(token_hash=hash_token(first)).update(created=when, last_used=when, rotated_at=when)
    return family, first, second, third


@pytest.mark.django_db
def test_a_rotated_token_inside_its_idle_window_is_kept_and_a_replay_still_revokes_the_family(start, public_app, now):
    family, first, _, third = rotate_twice(start, public_app, now, first_rotated_ago=6 * DAY)

    counts = run(now)

    assert counts["rotated refresh tokens"] == 0
    assert RefreshToken.objects.filter(token_hash=hash_token(first)).exists()
    with pytest.raises(OAuthError):
        do_refresh(public_app, first)
    family.refresh_from_db()
    assert family.status == "REVOKED" and family.revoked_reason == "reuse_detected"
    assert Event.objects.filter(event_type="app.oauth2.as.token.detect_reuse").exists()


@pytest.mark.django_db
def test_a_rotated_token_past_its_idle_window_goes_and_the_live_token_still_works(start, public_app, now):
    family, first, _, third = rotate_twice(start, public_app, now, first_rotated_ago=timedelta(days=7, hours=2))

    counts = run(now)

    assert counts["rotated refresh tokens"] == 1
    assert not RefreshToken.objects.filter(token_hash=hash_token(first)).exists()
    assert RefreshToken.objects.filter(family=family).count() == 2
    assert do_refresh(public_app, third).family.pk == family.pk


@pytest.mark.django_db
def test_a_replay_past_the_idle_window_is_answered_the_same_with_or_without_its_row(client, start, public_app, now):
    """Why deleting it loses no detection: /token refuses it on the idle window, before reuse."""
    from tests.kit.oauth import refresh as post_refresh

    family, first, _, _ = rotate_twice(start, public_app, now, first_rotated_ago=8 * DAY)

    before = post_refresh(client, public_app, first, server="default")
    family.refresh_from_db()
    assert family.status == "ACTIVE"  # not treated as reuse even while the row exists

    run(now)
    assert not RefreshToken.objects.filter(token_hash=hash_token(first)).exists()
    after = post_refresh(client, public_app, first, server="default")
    family.refresh_from_db()
    assert family.status == "ACTIVE"
    assert not Event.objects.filter(event_type__endswith="detect_reuse").exists()
    assert (before.status_code, before.json()) == (after.status_code, after.json())
    assert after.json()["error"] == "invalid_grant"


@pytest.mark.django_db
def test_the_idle_window_of_each_family_decides(public_app, end_user, now):
    """The org server's window is 90 days: its rotated token is still needed after 8 days."""
    family, first = lifecycle.start_family(
        client=public_app,
        user=end_user,
        server=get_server("org"),
        scopes=["openid", "offline_access"],
        auth_time=now,
        grant_type="authorization_code",
    )
    do_refresh(public_app, first, server="org")
    RefreshToken.objects.filter(token_hash=hash_token(first)).update(last_used=now - 8 * DAY)

    assert run(now)["rotated refresh tokens"] == 0


@pytest.mark.django_db
def test_a_never_rotated_static_token_is_kept_however_old(make_app, end_user, now):
    app, _ = make_app(label="Static", application_type="native", grant_types=["authorization_code", "refresh_token"])
    family, token = lifecycle.start_family(
        client=app,
        user=end_user,
        server=get_server("org"),
        scopes=["openid", "offline_access"],
        auth_time=now,
        grant_type="authorization_code",
    )
    RefreshToken.objects.filter(family=family).update(last_used=now - 60 * DAY, created=now - 80 * DAY)
    run(now)
    assert RefreshToken.objects.filter(family=family).exists()


# --- codes, revocation list, events -----------------------------------------------------------


def make_code(app, user, *, expires_at, redeemed_at=None, family=None) -> AuthorizationCode:
    return AuthorizationCode.objects.create(
        code_hash=hash_token(f"code-{timezone.now().timestamp()}-{expires_at.timestamp()}-{id(app)}"),
        client=app,
        user=user,
        server="org",
        redirect_uri="https://app.example.com/callback",
        auth_time=timezone.now(),
        expires_at=expires_at,
        redeemed_at=redeemed_at,
        family=family,
    )


@pytest.mark.django_db
def test_expired_codes_go_and_live_ones_stay(public_app, end_user, now):
    live = make_code(public_app, end_user, expires_at=now + timedelta(minutes=4))
    expired = make_code(public_app, end_user, expires_at=now - timedelta(seconds=1))
    redeemed = make_code(public_app, end_user, expires_at=now - timedelta(minutes=1), redeemed_at=now - 2 * DAY)

    counts = run(now)

    assert exists(live) and not exists(expired) and not exists(redeemed)
    assert counts["authorization codes"] == 2


@pytest.mark.django_db
def test_a_replayed_code_past_expiry_revokes_nothing_so_its_row_is_not_needed(client, confidential_app, end_user, now):
    from tests.kit.oauth import authorize_code, exchange

    client.force_login(end_user)
    grant = authorize_code(client, confidential_app)
    assert exchange(client, confidential_app, grant, secret=confidential_app.plain_secret).status_code == 200
    AuthorizationCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    again = exchange(client, confidential_app, grant, secret=confidential_app.plain_secret)

    assert again.status_code == 400
    assert TokenFamily.objects.get().status == "ACTIVE"


@pytest.mark.django_db
def test_device_codes_go_a_day_after_they_expire(public_app, now):
    from django.apps import apps

    try:
        device_code = apps.get_model("tokens", "DeviceCode")
    except LookupError:
        pytest.skip("the device grant (tokens.DeviceCode) is not merged on this branch yet")

    def make(expires_at):
        return device_code.objects.create(
            device_code_hash=hash_token(f"device-{expires_at.timestamp()}"),
            user_code_hash=hash_token(f"user-{expires_at.timestamp()}"),
            client=public_app,
            server="default",
            expires_at=expires_at,
            interval=5,
        )

    polling = make(now - timedelta(hours=23))  # expired, but the device may still poll
    gone = make(now - timedelta(hours=25))

    counts = run(now)

    assert exists(polling) and not exists(gone)
    assert counts["device codes"] == 1


@pytest.mark.django_db
def test_revocation_entries_go_when_their_access_token_expires(now, public_app):
    expired = RevokedAccessToken.objects.create(jti="AT.old", expires_at=now - timedelta(seconds=1))
    live = RevokedAccessToken.objects.create(jti="AT.live", expires_at=now + timedelta(minutes=30))

    counts = run(now)

    assert not exists(expired) and exists(live)
    assert counts["revoked access tokens"] == 1
    assert revocation.is_access_token_revoked(access_claims("AT.live", public_app))
    assert not revocation.is_access_token_revoked(access_claims("AT.other", public_app))


def make_event(published) -> Event:
    return Event.objects.create(published=published, event_type="test.event", display_message="test")


@pytest.mark.django_db
def test_events_go_after_their_retention_period(now):
    old = make_event(now - 91 * DAY)
    recent = make_event(now - 89 * DAY)

    counts = run(now)

    assert not exists(old) and exists(recent)
    assert counts["events"] == 1
    assert run(now, event_retention=timedelta(days=30))["events"] == 1
    assert not exists(recent)


# --- batches, idempotence, the command --------------------------------------------------------


@pytest.mark.django_db
def test_small_batches_delete_everything_once_and_a_second_run_finds_nothing(start, now):
    for _ in range(5):
        family, _ = start()
        revocation.revoke_family(family, reason="test")
    TokenFamily.objects.update(revoked_at=now - 8 * DAY)
    for i in range(7):
        make_event(now - (100 + i) * DAY)

    counts = run(now, batch_size=2)

    assert counts["families"] == 5 and counts["refresh tokens"] == 5 and counts["events"] == 7
    assert not TokenFamily.objects.exists()
    assert set(run(now, batch_size=2).values()) == {0}


@pytest.mark.django_db
def test_count_matches_what_the_purge_then_deletes(start, public_app, end_user, now):
    family, _ = start()
    revocation.revoke_family(family, reason="test")
    TokenFamily.objects.filter(pk=family.pk).update(revoked_at=now - 8 * DAY)
    rotate_twice(start, public_app, now, first_rotated_ago=9 * DAY)
    make_code(public_app, end_user, expires_at=now - DAY)
    make_event(now - 100 * DAY)
    SeenValue.objects.create(key="dpop:a", expires_at=now - DAY)
    SeenValue.objects.create(key="dpop:b", expires_at=now + DAY)

    expected = purge.count(purge.Policy(now=now))
    assert expected == run(now)
    assert expected == {
        "authorization codes": 1,
        "device codes": 0,
        "rotated refresh tokens": 1,
        "families": 1,
        "refresh tokens": 1,
        "revoked access tokens": 0,
        "single-use values": 1,
        "events": 1,
    }
    assert list(SeenValue.objects.values_list("key", flat=True)) == ["dpop:b"]


def command(*args) -> str:
    out = StringIO()
    call_command("purgetokens", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_dry_run_counts_and_deletes_nothing(now):
    make_event(now - 100 * DAY)
    out = command("--dry-run")
    assert "events: 1 would be deleted (dry run)" in out
    assert Event.objects.count() == 1


@pytest.mark.django_db
def test_the_command_prints_one_summary_line_per_kind_and_the_time(now):
    make_event(now - 100 * DAY)
    out = command()
    lines = out.strip().splitlines()
    assert "events: 1 deleted" in lines
    assert sum(line.endswith(" deleted") for line in lines) == len(purge.KINDS)
    assert lines[-1].startswith("Finished in ")
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_plain_progress_lines_when_not_on_a_terminal(now):
    for i in range(3):
        make_event(now - (100 + i) * DAY)
    out = command("--batch-size", "1", "-v", "2")
    assert out.count("events: ") >= 3 + 1  # a line per batch, then the summary
    assert "\r" not in out


@pytest.mark.django_db
def test_older_than_and_events_older_than_take_durations(start, now):
    family, _ = start()
    revocation.revoke_family(family, reason="test")
    TokenFamily.objects.filter(pk=family.pk).update(revoked_at=timezone.now() - timedelta(hours=13))
    make_event(timezone.now() - 2 * DAY)

    out = command("--older-than", "12h", "--events-older-than", "1d")

    assert "families: 1 deleted" in out and "events: 1 deleted" in out


@pytest.mark.django_db
@pytest.mark.parametrize("args", [["--older-than", "7x"], ["--older-than", "-1d"], ["--batch-size", "0"]])
def test_bad_arguments_fail_with_a_message_and_delete_nothing(args, now):
    make_event(now - 100 * DAY)
    with pytest.raises(CommandError):
        command(*args)
    assert Event.objects.count() == 1


@pytest.mark.django_db
def test_a_database_failure_exits_non_zero(monkeypatch):
    from django.db import DatabaseError

    def broken(*args, **kwargs):
        raise DatabaseError("connection lost")

    monkeypatch.setattr(purge, "_delete_in_batches", broken)
    with pytest.raises(CommandError, match="connection lost"):
        command()


@pytest.mark.django_db
def test_a_stop_request_finishes_the_batch_in_hand_and_reports(now):
    for i in range(5):
        make_event(now - (100 + i) * DAY)
    stop = threading.Event()

    class StopAfterFirstBatch(purge.Reporter):
        def advance(self, kind, deleted):
            stop.set()

    with pytest.raises(purge.Interrupted) as interrupted:
        purge.purge(purge.Policy(now=now, batch_size=2), StopAfterFirstBatch(), stop)
    assert interrupted.value.counts["events"] == 2
    assert Event.objects.count() == 3


# --- concurrency ------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_purges_at_once_neither_fails_nor_double_counts(public_app, end_user):
    now = timezone.now()
    families = []
    for _ in range(30):
        family, token = lifecycle.start_family(
            client=public_app,
            user=end_user,
            server=get_server("default"),
            scopes=["openid"],
            auth_time=now,
            grant_type="authorization_code",
        )
        for _ in range(3):
            token = do_refresh(public_app, token).refresh_token
        families.append(family)
    TokenFamily.objects.update(status="REVOKED", revoked_at=now - 8 * DAY)
    Event.objects.bulk_create(
        [Event(published=now - 100 * DAY, event_type="test.event", display_message="x") for _ in range(200)]
    )
    tokens = RefreshToken.objects.count()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(run(now, batch_size=3))
        except Exception as exc:  # noqa: BLE001 - the test reports every failure
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)

    assert errors == [] and len(results) == 2
    total = {kind: sum(r[kind] for r in results) for kind in purge.KINDS}
    assert total["families"] == 30
    assert total["refresh tokens"] == tokens == 120
    assert total["events"] == 200
    assert not TokenFamily.objects.exists() and not RefreshToken.objects.exists()
    assert not Event.objects.filter(event_type="test.event").exists()


# --- live: a purge in the middle of a burst of refreshes --------------------------------------


def seed_dead(app, user, *, families: int, tokens_each: int, now) -> list[int]:
    """Revoked families, 8 days ago, with their tokens; bulk, as a busy server would leave them."""
    import secrets

    rows = TokenFamily.objects.bulk_create(
        [
            TokenFamily(
                client=app,
                user=user,
                server="default",
                auth_time=now - 30 * DAY,
                idle_minutes=WEEK_MINUTES,
                status="REVOKED",
                revoked_at=now - 8 * DAY,
                revoked_reason="test",
            )
            for _ in range(families)
        ]
    )
    RefreshToken.objects.bulk_create(
        [
            RefreshToken(
                token_hash=hash_token(secrets.token_urlsafe(32)),
                family=family,
                created=now - 30 * DAY,
                last_used=now - 30 * DAY,
                rotated_at=now - 30 * DAY,
            )
            for family in rows
            for _ in range(tokens_each)
        ]
    )
    return [f.pk for f in rows]


@pytest.mark.live
def test_a_purge_during_a_burst_of_refreshes_fails_none_and_loses_no_replay_detection(live, live_db):
    import subprocess
    import sys
    import time
    import uuid
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from accounts.services import create_user
    from clients.services import create_app
    from tests.kit.live import ROOT, database_url

    now = timezone.now()
    suffix = uuid.uuid4().hex[:8]
    user = create_user(username=f"purge-{suffix}@example.com", email=f"purge-{suffix}@example.com", password="x" * 16)
    app, _ = create_app(
        {
            "label": f"Purge burst {suffix}",
            "application_type": "browser",
            "grant_types": ["authorization_code", "refresh_token"],
            "redirect_uris": ["https://spa.example.com/callback"],
            "trusted_origins": ["https://spa.example.com"],
            "rotation_type": "ROTATE",
            "leeway": 0,  # every second use of a rotated token is a replay
        }
    )
    server = get_server("default")

    def new_family():
        return lifecycle.start_family(
            client=app,
            user=user,
            server=server,
            scopes=["openid", "offline_access"],
            auth_time=now,
            grant_type="authorization_code",
        )

    live_families = [new_family() for _ in range(4)]
    # A family whose first token was rotated 6 days ago: inside the 7-day window, so still a replay.
    old_family, old_first = new_family()
    do_refresh(app, old_first)
    six_days = now - 6 * DAY
    RefreshToken.objects.filter(token_hash=hash_token(old_first)).update(last_used=six_days, rotated_at=six_days)
    dead = seed_dead(app, user, families=1500, tokens_each=2, now=now)
    # Old rotated tokens in the very families the burst refreshes: the purge deletes them meanwhile.
    ten_days = now - 10 * DAY
    stale = RefreshToken.objects.bulk_create(
        [
            RefreshToken(
                token_hash=hash_token(uuid.uuid4().hex),
                family=family,
                created=ten_days,
                last_used=ten_days,
                rotated_at=ten_days,
            )
            for family, _ in live_families
            for _ in range(300)
        ]
    )
    Event.objects.bulk_create(
        [Event(published=now - 100 * DAY, event_type="test.purge", display_message="x") for _ in range(3000)]
    )

    token_url = f"{live.url}/oauth2/default/v1/token"
    env = {**__import__("os").environ, "DATABASE_URL": database_url()}
    purge_run = subprocess.Popen(
        [sys.executable, "manage.py", "purgetokens", "--batch-size", "50"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def burst(family_and_token):
        """Refresh one family over and over until the purge has finished (at least 10 times)."""
        _, token = family_and_token
        first, latencies, failures, n = token, [], [], 0
        while n < 10 or purge_run.poll() is None:
            started = time.monotonic()
            response = requests.post(
                token_url,
                data={"grant_type": "refresh_token", "refresh_token": token, "client_id": app.client_id},
                timeout=30,
            )
            latencies.append(time.monotonic() - started)
            if response.status_code != 200:
                failures.append(response.text)
                break
            token, n = response.json()["refresh_token"], n + 1
        return first, latencies, failures

    with ThreadPoolExecutor(len(live_families)) as pool:
        results = list(pool.map(burst, live_families))
    output = purge_run.communicate(timeout=120)[0]

    assert purge_run.returncode == 0, output
    assert [f for _, _, failures in results for f in failures] == []
    latencies = sorted(t for _, lat, _ in results for t in lat)
    assert len(latencies) >= 40
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    (ROOT / "tests" / "artifacts" / "purge-burst.txt").write_text(
        f"refreshes={len(latencies)} failures=0 p99={p99 * 1000:.0f}ms\n{output}"
    )
    assert not TokenFamily.objects.filter(pk__in=dead).exists()
    assert not RefreshToken.objects.filter(family_id__in=dead).exists()
    assert not Event.objects.filter(event_type="test.purge").exists()
    assert not RefreshToken.objects.filter(pk__in=[t.pk for t in stale]).exists()

    # Every rotated token still gives itself away: replaying it revokes its family.
    replays = [first for first, _, _ in results] + [old_first]
    for first in replays:
        response = requests.post(
            token_url, data={"grant_type": "refresh_token", "refresh_token": first, "client_id": app.client_id}
        )
        assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    families = [family for family, _ in live_families] + [old_family]
    for family in families:
        family.refresh_from_db()
        assert (family.status, family.revoked_reason) == ("REVOKED", "reuse_detected")
