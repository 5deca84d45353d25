"""Sign-in events in the system log, in Okta's names and shapes: user.session.start (SUCCESS or FAILURE
with a reason), user.session.end, user.account.lock (once per lock) and user.account.unlock_by_admin."""

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from core.models import Event

CONSOLE = "/console/login/"
END_USER = "/accounts/login/"
PAGES = [CONSOLE, END_USER]
IP = "203.0.113.7"
ALICE_PASSWORD = "alice password 1"


@pytest.fixture
def frozen():
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), tick=False) as traveller:
        yield traveller


def sign_in(page, username, password, ip=IP, browser=None):
    return (browser or Client()).post(
        page, {"username": username, "password": password}, REMOTE_ADDR=ip, HTTP_USER_AGENT="tests/1.0"
    )


def events(event_type):
    return list(Event.objects.filter(event_type=event_type).order_by("id"))


def no_password_in(event, *passwords):
    row = json.dumps(
        [event.display_message, event.outcome_reason, event.actor, event.client_info, event.targets, event.debug_data]
    )
    return not any(password in row for password in passwords)


@pytest.mark.parametrize("page", PAGES)
def test_a_sign_in_records_session_start_success(owner, page):
    assert sign_in(page, owner.username, "correct horse battery").status_code == 302

    [event] = events("user.session.start")
    assert event.outcome_result == "SUCCESS"
    assert event.actor == {"id": owner.uid, "type": "User", "alternateId": owner.username, "displayName": "Ada Admin"}
    assert event.user_id == owner.uid
    assert event.client_info == {"ipAddress": IP, "userAgent": {"rawUserAgent": "tests/1.0"}}
    assert event.debug_data == {"requestUri": page}
    assert no_password_in(event, "correct horse battery")


@pytest.mark.parametrize("page", PAGES)
def test_a_wrong_password_records_invalid_credentials(end_user, page):
    sign_in(page, end_user.username, "my secret guess")

    [event] = events("user.session.start")
    assert (event.outcome_result, event.outcome_reason, event.severity) == ("FAILURE", "INVALID_CREDENTIALS", "WARN")
    assert event.actor["id"] == end_user.uid
    assert event.user_id == end_user.uid
    assert no_password_in(event, "my secret guess")


@pytest.mark.parametrize("page", PAGES)
def test_an_unknown_username_is_the_actor_alternate_id_cut_to_100_characters(db, page):
    typed = "n" * 140 + "@example.com"

    sign_in(page, typed, "my secret guess")

    [event] = events("user.session.start")
    assert event.outcome_reason == "INVALID_CREDENTIALS"
    assert event.actor == {"id": "unknown", "type": "User", "alternateId": typed[:100], "displayName": "unknown"}
    assert event.user_id == ""
    assert no_password_in(event, "my secret guess")


def test_a_correct_password_refused_by_the_console_is_a_failure(other_user):
    sign_in(CONSOLE, other_user.username, "mallory password 1")

    [event] = events("user.session.start")
    assert (event.outcome_result, event.outcome_reason) == ("FAILURE", "NOT_STAFF")
    assert event.user_id == other_user.uid


@pytest.mark.parametrize("page", PAGES)
def test_refusals_while_locked_record_locked_out(frozen, end_user, page):
    for _ in range(10):
        sign_in(page, end_user.username, "wrong password")

    sign_in(page, end_user.username, ALICE_PASSWORD)

    last = events("user.session.start")[-1]
    assert (last.outcome_result, last.outcome_reason) == ("FAILURE", "LOCKED_OUT")
    assert last.user_id == end_user.uid
    assert no_password_in(last, ALICE_PASSWORD)


def test_refusals_for_the_ip_record_ip_locked_out(frozen, settings, end_user):
    settings.ROTOR_SIGNIN_FAILURES_PER_IP = 2
    sign_in(END_USER, "a@example.com", "x")
    sign_in(END_USER, "b@example.com", "x")

    sign_in(END_USER, end_user.username, ALICE_PASSWORD)

    last = events("user.session.start")[-1]
    assert (last.outcome_result, last.outcome_reason) == ("FAILURE", "IP_LOCKED_OUT")
    assert events("user.account.lock") == []


def test_the_lock_is_recorded_once_per_lock(frozen, console_client, end_user):
    for _ in range(9):
        sign_in(END_USER, end_user.username, "wrong password")
    assert events("user.account.lock") == []

    sign_in(END_USER, end_user.username, "wrong password")
    for _ in range(5):
        sign_in(END_USER, end_user.username, "wrong password")
        sign_in(CONSOLE, end_user.username, ALICE_PASSWORD)

    [lock] = events("user.account.lock")
    assert lock.display_message == "Max sign in attempts exceeded"
    assert lock.severity == "WARN"
    assert lock.user_id == end_user.uid
    assert lock.targets == [
        {"id": end_user.uid, "type": "User", "alternateId": end_user.username, "displayName": "Alice Liddell"}
    ]
    assert lock.debug_data == {"lockedUntil": "2026-12-01T09:15:00+00:00", "failures": 10}

    console_client.post(f"/console/users/{end_user.uid}/unlock/")
    for _ in range(10):
        sign_in(END_USER, end_user.username, "wrong password")
    assert len(events("user.account.lock")) == 2


def test_two_failures_finishing_at_the_limit_together_record_one_lock(frozen, monkeypatch, end_user):
    """Attempt A holds slot 9 while attempt B takes slot 10 and fails; then A fails too: both see the
    account at its limit, and only one records the lock."""
    from accounts import signin

    for _ in range(8):
        sign_in(END_USER, end_user.username, "wrong password")
    authenticate = signin.auth.authenticate
    nested = []

    def authenticate_while_another_attempt_runs(*args, **kwargs):
        if not nested:
            nested.append(None)
            nested[0] = sign_in(END_USER, end_user.username, "wrong password")
        return authenticate(*args, **kwargs)

    monkeypatch.setattr(signin.auth, "authenticate", authenticate_while_another_attempt_runs)
    outer = sign_in(END_USER, end_user.username, "wrong password")

    for response in (outer, nested[0]):
        assert "Please enter a correct username and password" in response.content.decode()
    assert len(events("user.account.lock")) == 1


def test_the_lock_is_recorded_again_in_a_later_window(frozen, end_user):
    for _ in range(10):
        sign_in(END_USER, end_user.username, "wrong password")
    frozen.move_to(datetime(2026, 12, 1, 9, 15, tzinfo=UTC))
    for _ in range(10):
        sign_in(END_USER, end_user.username, "wrong password")

    assert len(events("user.account.lock")) == 2


def test_no_account_lock_is_recorded_for_a_username_nobody_has(frozen, db):
    for _ in range(11):
        sign_in(END_USER, "nobody@example.com", "wrong password")

    assert events("user.account.lock") == []
    assert events("user.session.start")[-1].outcome_reason == "LOCKED_OUT"


def test_an_admin_unlock_is_recorded(frozen, console_client, owner, end_user):
    for _ in range(10):
        sign_in(END_USER, end_user.username, "wrong password")

    console_client.post(f"/console/users/{end_user.uid}/unlock/", REMOTE_ADDR="192.0.2.50")

    [event] = events("user.account.unlock_by_admin")
    assert event.outcome_result == "SUCCESS"
    assert event.actor["id"] == owner.uid
    assert event.targets[0]["id"] == end_user.uid
    assert event.user_id == end_user.uid
    assert event.client_info["ipAddress"] == "192.0.2.50"


def test_the_events_reach_the_system_log_api(api_client, end_user):
    sign_in(END_USER, end_user.username, "wrong password")

    response = api_client.get("/api/v1/logs", {"filter": 'eventType eq "user.session.start"'})

    assert response.status_code == 200
    [event] = response.json()
    assert event["eventType"] == "user.session.start"
    assert event["outcome"] == {"result": "FAILURE", "reason": "INVALID_CREDENTIALS"}
    assert event["actor"]["alternateId"] == end_user.username


@pytest.mark.parametrize(
    ("page", "sign_out", "method"),
    [
        (CONSOLE, "/console/logout/", "post"),
        (END_USER, "/accounts/logout/", "post"),
        (END_USER, "/oauth2/v1/logout", "post"),  # the confirmation page's POST (a bare GET only asks)
        (END_USER, "/oauth2/default/v1/logout", "post"),
    ],
)
def test_every_sign_out_records_session_end(owner, page, sign_out, method):
    browser = Client()
    sign_in(page, owner.username, "correct horse battery", browser=browser)

    getattr(browser, method)(sign_out, REMOTE_ADDR=IP, HTTP_USER_AGENT="tests/1.0")

    [event] = events("user.session.end")
    assert event.outcome_result == "SUCCESS"
    assert event.display_message == "User logout from Rotor"
    assert event.actor["id"] == owner.uid
    assert event.user_id == owner.uid
    assert event.client_info == {"ipAddress": IP, "userAgent": {"rawUserAgent": "tests/1.0"}}


def test_signing_out_while_signed_out_records_nothing(db):
    Client().post("/accounts/logout/")

    assert events("user.session.end") == []
