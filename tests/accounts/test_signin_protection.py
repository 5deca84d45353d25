"""Sign-in protection on every password form: failure limits per username and per IP, checked before the
password hasher runs; the same answer for unknown users; the lock ends with its window or by an admin;
Argon2 hashing with PBKDF2 hashes upgraded at sign-in."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.hashers import MD5PasswordHasher, make_password
from django.test import Client

from accounts.models import User

CONSOLE = "/console/login/"
END_USER = "/accounts/login/"
PAGES = [CONSOLE, END_USER]
WINDOW_START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a 15-minute window begins here
LOCKED = "Too many failed sign-ins. Try again in {}, or ask an administrator to unlock the account."
INVALID = "Please enter a correct username and password"


@pytest.fixture
def frozen():
    with time_machine.travel(WINDOW_START, tick=False) as traveller:
        yield traveller


def sign_in(page, username, password, ip="203.0.113.7", browser=None):
    return (browser or Client()).post(page, {"username": username, "password": password}, REMOTE_ADDR=ip)


def fail(page, username, times, ip="203.0.113.7"):
    for _ in range(times):
        response = sign_in(page, username, "wrong password", ip=ip)
        assert response.status_code == 200
        assert INVALID in response.content.decode()


def signed_in(response):
    return response.status_code == 302


@pytest.fixture
def hashes(monkeypatch):
    """How many times the (test) password hasher ran."""
    calls = []
    encode = MD5PasswordHasher.encode

    def counting(self, password, salt):
        calls.append(1)
        return encode(self, password, salt)

    monkeypatch.setattr(MD5PasswordHasher, "encode", counting)
    return calls


# The lock ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "person", "password"),
    [(CONSOLE, "owner", "correct horse battery"), (END_USER, "end_user", "alice password 1")],
)
def test_the_tenth_failure_locks_the_account_even_for_the_right_password(request, frozen, page, person, password):
    user = request.getfixturevalue(person)
    fail(page, user.username, 10)

    response = sign_in(page, user.username, password)

    assert not signed_in(response)
    assert LOCKED.format("15 minutes") in response.content.decode()


@pytest.mark.parametrize("page", PAGES)
def test_nine_failures_do_not_lock(frozen, end_user, owner, page):
    user = owner if page == CONSOLE else end_user
    password = "correct horse battery" if page == CONSOLE else "alice password 1"
    fail(page, user.username, 9)

    assert signed_in(sign_in(page, user.username, password))


@pytest.mark.parametrize("page", PAGES)
def test_an_unknown_username_locks_the_same_way(frozen, end_user, page):
    fail(page, "nobody@example.com", 10)
    fail(page, end_user.username, 10)

    unknown = sign_in(page, "nobody@example.com", "anything")
    known = sign_in(page, end_user.username, "alice password 1")

    assert LOCKED.format("15 minutes") in unknown.content.decode()
    assert error_text(unknown) == error_text(known)


def error_text(response):
    """The page's error message(s), whichever template rendered them."""
    body = response.content.decode()
    return re.findall(r'role="alert">(?:<p>)?([^<]+)<', body)


def comparable(response, username):
    """The body without what differs by design: the masked CSRF token and the echoed username."""
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return body.replace(username, "USERNAME")


@pytest.mark.parametrize("page", PAGES)
def test_wrong_password_and_unknown_user_get_the_same_body(end_user, page):
    wrong = sign_in(page, end_user.username, "wrong password")
    unknown = sign_in(page, "nobody@example.com", "wrong password")

    assert wrong.status_code == unknown.status_code == 200
    assert INVALID in wrong.content.decode()
    assert comparable(wrong, end_user.username) == comparable(unknown, "nobody@example.com")


@pytest.mark.parametrize("page", PAGES)
def test_a_locked_account_and_a_locked_unknown_user_get_the_same_body(frozen, end_user, page):
    fail(page, end_user.username, 10)
    fail(page, "nobody@example.com", 10)

    known = sign_in(page, end_user.username, "alice password 1")
    unknown = sign_in(page, "nobody@example.com", "wrong password")

    assert comparable(known, end_user.username) == comparable(unknown, "nobody@example.com")


@pytest.mark.parametrize("page", PAGES)
def test_the_hasher_runs_once_for_a_wrong_password_and_for_an_unknown_user(end_user, hashes, page):
    sign_in(page, end_user.username, "wrong password")
    assert len(hashes) == 1

    sign_in(page, "nobody@example.com", "wrong password")
    assert len(hashes) == 2


@pytest.mark.parametrize("page", PAGES)
def test_a_locked_account_or_ip_costs_no_hashing(frozen, settings, end_user, hashes, page):
    settings.ROTOR_SIGNIN_FAILURES_PER_IP = 20
    fail(page, end_user.username, 10)
    fail(page, "nobody@example.com", 10)  # and now the IP is at its limit too
    hashes.clear()

    sign_in(page, end_user.username, "alice password 1")
    sign_in(page, "nobody@example.com", "anything")
    sign_in(page, "someone-else@example.com", "anything")  # refused for the IP

    assert hashes == []


def test_the_username_is_normalised(frozen, end_user):
    for typed in ["ALICE@example.com", " alice@example.com ", "Alice@Example.com"]:
        fail(END_USER, typed, 3)
    fail(END_USER, "alice@EXAMPLE.COM", 1)

    assert LOCKED.format("15 minutes") in sign_in(END_USER, end_user.username, "alice password 1").content.decode()


def test_console_and_end_user_pages_share_the_count(frozen, owner):
    fail(CONSOLE, owner.username, 5)
    fail(END_USER, owner.username, 5)

    assert not signed_in(sign_in(CONSOLE, owner.username, "correct horse battery"))


def test_only_failures_count(frozen, end_user):
    for _ in range(12):
        assert signed_in(sign_in(END_USER, end_user.username, "alice password 1"))
    fail(END_USER, end_user.username, 9)

    assert signed_in(sign_in(END_USER, end_user.username, "alice password 1"))


def test_a_correct_password_refused_by_the_console_does_not_count(frozen, other_user):
    for _ in range(12):
        response = sign_in(CONSOLE, other_user.username, "mallory password 1")
        assert "cannot sign in to the console" in response.content.decode()

    assert signed_in(sign_in(END_USER, other_user.username, "mallory password 1"))


# Recovery ------------------------------------------------------------------------------------------------


def test_the_lock_ends_by_itself_when_its_window_passes(frozen, end_user):
    fail(END_USER, end_user.username, 10)

    frozen.move_to(datetime(2026, 12, 1, 9, 7, 30, tzinfo=UTC))
    response = sign_in(END_USER, end_user.username, "alice password 1")
    assert LOCKED.format("8 minutes") in response.content.decode()
    frozen.move_to(datetime(2026, 12, 1, 9, 14, 59, tzinfo=UTC))
    assert LOCKED.format("1 minute") in sign_in(END_USER, end_user.username, "x").content.decode()

    frozen.move_to(datetime(2026, 12, 1, 9, 15, tzinfo=UTC))
    assert signed_in(sign_in(END_USER, end_user.username, "alice password 1"))


def test_the_user_page_shows_the_lock_and_an_admin_unlocks(frozen, console_client, end_user):
    page = f"/console/users/{end_user.uid}/"
    assert "Not locked" in console_client.get(page).content.decode()
    fail(END_USER, end_user.username, 10)

    body = console_client.get(page).content.decode()
    assert "Locked until 2026-12-01 09:15 UTC" in body
    assert f'href="/console/users/{end_user.uid}/unlock/"' in body

    confirm = console_client.get(f"/console/users/{end_user.uid}/unlock/")
    assert confirm.status_code == 200
    assert f"Unlock {end_user.username}?" in confirm.content.decode()
    assert not signed_in(sign_in(END_USER, end_user.username, "alice password 1"))  # a GET changes nothing

    response = console_client.post(f"/console/users/{end_user.uid}/unlock/", follow=True)
    assert response.redirect_chain[-1][0] == page
    assert f"Unlocked {end_user.username}" in response.content.decode()
    assert "Not locked" in response.content.decode()
    assert signed_in(sign_in(END_USER, end_user.username, "alice password 1"))


def test_after_an_unlock_the_full_limit_applies_again(frozen, console_client, end_user):
    fail(END_USER, end_user.username, 10)
    console_client.post(f"/console/users/{end_user.uid}/unlock/")

    fail(END_USER, end_user.username, 9)
    assert signed_in(sign_in(END_USER, end_user.username, "alice password 1"))


def test_unlocking_an_account_that_is_not_locked_says_so(console_client, end_user):
    response = console_client.get(f"/console/users/{end_user.uid}/unlock/", follow=True)

    assert f"{end_user.username} is not locked out." in response.content.decode()


def test_a_non_admin_cannot_unlock(frozen, client, other_user, end_user):
    fail(END_USER, end_user.username, 10)
    unlock = f"/console/users/{end_user.uid}/unlock/"

    assert Client().post(unlock)["Location"].startswith("/console/login/")
    client.force_login(other_user)
    assert client.get(unlock).status_code == 403
    assert client.post(unlock).status_code == 403

    assert not signed_in(sign_in(END_USER, end_user.username, "alice password 1"))


# Per IP --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_the_ip_limit_stops_guessing_across_usernames(frozen, settings, end_user, page):
    settings.ROTOR_SIGNIN_FAILURES_PER_IP = 5
    for n in range(5):
        fail(page, f"user{n}@example.com", 1, ip="198.51.100.1")

    refused = sign_in(END_USER, end_user.username, "alice password 1", ip="198.51.100.1")
    assert not signed_in(refused)
    assert "Too many failed sign-ins from this network. Try again in 15 minutes." in refused.content.decode()
    assert signed_in(sign_in(END_USER, end_user.username, "alice password 1", ip="198.51.100.2"))


def test_the_default_limits_are_settings(settings):
    assert settings.ROTOR_SIGNIN_WINDOW_MINUTES == 15
    assert settings.ROTOR_SIGNIN_FAILURES_PER_ACCOUNT == 10
    assert settings.ROTOR_SIGNIN_FAILURES_PER_IP == 100


def test_the_limits_follow_their_settings(frozen, settings, end_user):
    settings.ROTOR_SIGNIN_FAILURES_PER_ACCOUNT = 3
    settings.ROTOR_SIGNIN_WINDOW_MINUTES = 60
    fail(END_USER, end_user.username, 3)

    assert LOCKED.format("60 minutes") in sign_in(END_USER, end_user.username, "alice password 1").content.decode()


# Password hashing ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_a_pbkdf2_hash_is_upgraded_to_argon2_at_sign_in(settings, owner, page):
    from config import settings as configured

    settings.PASSWORD_HASHERS = configured.PASSWORD_HASHERS  # the real ones, not the tests' MD5
    User.objects.filter(pk=owner.pk).update(password=make_password("correct horse battery", hasher="pbkdf2_sha256"))

    assert signed_in(sign_in(page, owner.username, "correct horse battery"))

    owner.refresh_from_db()
    assert owner.password.startswith("argon2$argon2id$")
    assert owner.check_password("correct horse battery")


def test_client_secrets_keep_their_fast_hasher():
    from config import settings as configured

    assert configured.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "clients.hashers.ClientSecretSHA256Hasher" in configured.PASSWORD_HASHERS


@pytest.mark.parametrize(
    ("password", "why"),
    [("alice.liddell.example", "too similar"), ("4815162342108", "entirely numeric")],
)
def test_new_passwords_may_not_resemble_the_user_or_be_numeric(db, password, why):
    from accounts.services import UserValidationError, create_user

    with pytest.raises(UserValidationError) as caught:
        create_user(username="alice.liddell", email="alice.liddell@example.com", password=password)

    assert why in " ".join(caught.value.errors["password"])


def test_the_form_alone_still_counts_per_ip(frozen, settings, rf, end_user):
    """A view that forgets to pass who is asking still gets per-IP limits, not one counter for everybody."""
    from accounts.forms import SignInForm

    settings.ROTOR_SIGNIN_FAILURES_PER_IP = 1

    def attempt(ip):
        request = rf.post(END_USER, REMOTE_ADDR=ip)
        return SignInForm(request, data={"username": end_user.username, "password": "wrong password"}).errors

    attempt("198.51.100.1")
    assert INVALID in str(attempt("198.51.100.2"))


@pytest.mark.live
def test_a_live_server_locks_across_its_workers_with_the_real_hashers(live, live_db):
    """Four gunicorn workers share the count (it is in the database), with Argon2 doing the hashing."""
    import uuid

    import requests

    from core.models import Event

    url = f"{live.url}/console/login/"
    for _attempt in range(2):  # a window that ends mid-burst resets the count; then once more, afresh
        name = f"live-lock-{uuid.uuid4().hex[:8]}@example.com"
        User.objects.create_user(name, name, "live password 123", is_staff=True)
        browser = requests.Session()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', browser.get(url, timeout=10).text).group(1)

        def post(password, browser=browser, name=name, token=token):
            data = {"username": name, "password": password, "csrfmiddlewaretoken": token}
            return browser.post(url, data=data, allow_redirects=False, timeout=10)

        answers = [post("wrong password") for _ in range(10)] + [post("live password 123")]
        if "Too many failed sign-ins" in answers[-1].text:
            break
    assert [r.status_code for r in answers] == [200] * 11
    assert all(INVALID in r.text for r in answers[:10])
    assert "Too many failed sign-ins. Try again in" in answers[-1].text
    assert User.objects.get(username=name).password.startswith("argon2$")
    outcomes = Event.objects.filter(event_type="user.session.start", actor__alternateId=name)
    assert sorted(outcomes.values_list("outcome_reason", flat=True)) == ["INVALID_CREDENTIALS"] * 10 + ["LOCKED_OUT"]
    assert Event.objects.filter(event_type="user.account.lock", actor__alternateId=name).count() == 1
