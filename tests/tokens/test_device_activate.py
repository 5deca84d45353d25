"""/activate: where the user enters the device's code, reviews the app and scopes, and approves or denies."""

import html
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from core.models import AttemptCounter, Event
from tests.kit.device import device_authorize
from tokens.device import activation
from tokens.models import DeviceCode

WRONG = "BBBB-BBBB"


@pytest.fixture
def user_code(client, tv_app):
    return device_authorize(Client(), tv_app).json()["user_code"]


def page(response) -> str:
    return html.unescape(response.content.decode())


def submit(client, code, decision=None, ip="203.0.113.7"):
    data = {"user_code": code} | ({"decision": decision} if decision else {})
    return client.post("/activate", data, REMOTE_ADDR=ip)


def test_signed_out_users_sign_in_first_and_come_back_with_the_code(client, user_code):
    response = client.get("/activate", {"user_code": user_code})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert "activate%3Fuser_code%3D" in response["Location"]


def test_code_entry_is_prefilled_from_verification_uri_complete(signed_in, user_code):
    response = signed_in.get("/activate", {"user_code": user_code})

    assert response.status_code == 200
    assert f'value="{user_code}"' in page(response)
    assert DeviceCode.objects.get().status == "PENDING"  # opening the link decides nothing


def test_a_prefilled_code_is_escaped(signed_in, db):
    response = signed_in.get("/activate", {"user_code": '"><script>alert(1)</script>'})

    assert response.status_code == 200
    assert b"<script>alert" not in response.content


def test_entering_the_code_shows_the_app_and_the_scopes(signed_in, tv_app, user_code):
    response = submit(signed_in, user_code.replace("-", "").lower())

    assert response.status_code == 200
    text = page(response)
    assert "Living-room TV" in text
    assert user_code in text
    assert "See your name and username" in text and "Keep you signed in" in text
    assert 'value="approve"' in text and 'value="deny"' in text
    assert DeviceCode.objects.get().status == "PENDING"


def test_approving_connects_the_device(signed_in, end_user, tv_app, user_code):
    response = submit(signed_in, user_code, "approve")

    assert response.status_code == 302
    done = signed_in.get(response["Location"])
    assert "Device connected" in page(done)
    row = DeviceCode.objects.get()
    assert row.status == "APPROVED" and row.user == end_user and row.auth_time is not None
    event = Event.objects.get(event_type="app.oauth2.device.approve")
    assert event.user_id == end_user.uid and event.app_id == tv_app.public_id


def test_denying_refuses_the_device(signed_in, end_user, user_code):
    response = submit(signed_in, user_code, "deny")

    assert response.status_code == 302
    assert "Access denied" in page(signed_in.get(response["Location"]))
    assert DeviceCode.objects.get().status == "DENIED"
    assert Event.objects.filter(event_type="app.oauth2.device.deny", user_id=end_user.uid).exists()


def test_done_page_without_a_decision_goes_back_to_code_entry(signed_in, db):
    response = signed_in.get("/activate/done")

    assert response.status_code == 302 and response["Location"] == "/activate"


def test_a_wrong_code_gets_a_clear_message(signed_in, end_user, user_code):
    response = submit(signed_in, WRONG)

    assert response.status_code == 400
    assert activation.ActivationError.INVALID in page(response)
    event = Event.objects.get(event_type="app.oauth2.device.activate")
    assert event.outcome_result == "FAILURE" and event.outcome_reason == "invalid_user_code"
    assert event.user_id == end_user.uid


@pytest.mark.parametrize("typed", ["", "hello", "BCDF-GHJA", "x" * 500])
def test_malformed_codes_get_the_same_message(signed_in, user_code, typed):
    response = submit(signed_in, typed)

    assert response.status_code == 400
    assert activation.ActivationError.INVALID in page(response)


def test_an_expired_code_says_to_start_again(signed_in, user_code):
    with time_machine.travel(timezone.now() + timedelta(seconds=601), tick=False):
        response = submit(signed_in, user_code)

    assert response.status_code == 400
    assert "Start again on your device" in page(response)


def test_a_code_cannot_be_approved_twice(signed_in, user_code):
    submit(signed_in, user_code, "approve")

    response = submit(signed_in, user_code, "deny")

    assert response.status_code == 400
    assert "already been used" in page(response)
    assert DeviceCode.objects.get().status == "APPROVED"


def test_an_inactive_apps_code_is_not_accepted(signed_in, tv_app, user_code):
    from clients.services import deactivate_app

    deactivate_app(tv_app)

    assert submit(signed_in, user_code, "approve").status_code == 400
    assert DeviceCode.objects.get().status == "PENDING"


def test_wrong_codes_are_limited_per_session(signed_in, settings, user_code):
    settings.ROTOR_ACTIVATE_ATTEMPTS_PER_SESSION = 3
    for _ in range(3):
        assert submit(signed_in, WRONG).status_code == 400

    response = submit(signed_in, user_code, "approve")  # even the right code is refused now

    assert response.status_code == 429
    assert activation.ActivationError.TOO_MANY in page(response)
    assert DeviceCode.objects.get().status == "PENDING"
    assert Event.objects.filter(event_type="app.oauth2.device.activate", outcome_reason="rate_limited").exists()


def test_the_session_limit_resets_with_the_next_window(signed_in, settings, tv_app):
    settings.ROTOR_ACTIVATE_ATTEMPTS_PER_SESSION = 2
    with time_machine.travel(timezone.now(), tick=False) as clock:
        submit(signed_in, WRONG)
        submit(signed_in, WRONG)
        assert submit(signed_in, WRONG).status_code == 429

        clock.shift(settings.ROTOR_ACTIVATE_WINDOW_SECONDS)
        user_code = device_authorize(Client(), tv_app).json()["user_code"]
        response = submit(signed_in, user_code, "approve")
    assert response.status_code == 302
    assert DeviceCode.objects.get().status == "APPROVED"


def test_right_codes_do_not_use_up_the_limit(signed_in, settings, user_code):
    settings.ROTOR_ACTIVATE_ATTEMPTS_PER_SESSION = 2
    for _ in range(5):
        assert submit(signed_in, user_code).status_code == 200
    submit(signed_in, WRONG)

    assert submit(signed_in, user_code, "approve").status_code == 302


PROXY = "10.0.0.5"


def via_proxy(client, code, client_ip="203.0.113.7", decision=None):
    """A POST to /activate that reached Rotor through the reverse proxy at PROXY."""
    data = {"user_code": code} | ({"decision": decision} if decision else {})
    return client.post("/activate", data, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"198.51.100.1, {client_ip}")


def signed_in_client(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_a_live_code_works_after_someone_else_failed_30_times_from_the_same_ip(
    settings, end_user, other_user, user_code
):
    settings.ROTOR_TRUSTED_PROXIES = [PROXY]
    assert settings.ROTOR_ACTIVATE_ATTEMPTS_PER_IP == 30
    settings.ROTOR_ACTIVATE_ATTEMPTS_PER_USER = settings.ROTOR_ACTIVATE_ATTEMPTS_PER_SESSION = 100
    guesser, neighbour = signed_in_client(other_user), signed_in_client(end_user)
    for _ in range(30):
        assert via_proxy(guesser, WRONG).status_code == 400
    assert via_proxy(guesser, WRONG).status_code == 429  # the IP's window is full...

    response = via_proxy(neighbour, user_code, decision="approve")  # ...yet a live code goes through

    assert response.status_code == 302
    assert DeviceCode.objects.get().status == "APPROVED"


def test_the_same_ip_without_a_trusted_proxy_has_no_ip_limit(settings, end_user, other_user, user_code):
    settings.ROTOR_ACTIVATE_ATTEMPTS_PER_IP = 2
    settings.ROTOR_ACTIVATE_ATTEMPTS_PER_USER = settings.ROTOR_ACTIVATE_ATTEMPTS_PER_SESSION = 100
    guesser, neighbour = signed_in_client(other_user), signed_in_client(end_user)
    for _ in range(5):  # one shared REMOTE_ADDR (a proxy Rotor was not told about, a NAT)
        assert submit(guesser, WRONG).status_code == 400
    assert submit(neighbour, WRONG).status_code == 400
    assert not AttemptCounter.objects.filter(key__startswith="activate-ip:").exists()


def test_wrong_codes_are_limited_per_ip_behind_a_trusted_proxy(settings, end_user, other_user, user_code):
    settings.ROTOR_TRUSTED_PROXIES = ["10.0.0.0/24"]
    settings.ROTOR_ACTIVATE_ATTEMPTS_PER_IP = 4
    first, second = signed_in_client(end_user), signed_in_client(other_user)
    for _ in range(2):
        assert via_proxy(first, WRONG).status_code == 400
        assert via_proxy(second, WRONG).status_code == 400

    response = via_proxy(second, WRONG)

    assert response.status_code == 429
    assert activation.ActivationError.TOO_MANY in page(response)
    assert via_proxy(first, WRONG, client_ip="198.51.100.9").status_code == 400  # another client of the proxy
    assert via_proxy(first, user_code).status_code == 200  # and a live code still works from the full IP
    assert Event.objects.filter(outcome_reason="rate_limited").count() == 1


def test_the_ip_limit_can_be_turned_off(settings, end_user, user_code):
    settings.ROTOR_TRUSTED_PROXIES = [PROXY]
    settings.ROTOR_ACTIVATE_ATTEMPTS_PER_IP = 0
    browser = signed_in_client(end_user)
    for _ in range(5):
        assert via_proxy(browser, WRONG).status_code == 400
    assert not AttemptCounter.objects.filter(key__startswith="activate-ip:").exists()


def test_wrong_codes_are_limited_per_user_across_sessions(settings, end_user, user_code):
    settings.ROTOR_ACTIVATE_ATTEMPTS_PER_USER = 3
    sessions = [signed_in_client(end_user) for _ in range(3)]  # a new session per guess does not help
    for browser in sessions:
        assert submit(browser, WRONG).status_code == 400

    response = submit(signed_in_client(end_user), user_code, "approve")

    assert response.status_code == 429
    assert DeviceCode.objects.get().status == "PENDING"


def test_one_users_failures_do_not_limit_another_user(settings, end_user, other_user, user_code):
    settings.ROTOR_ACTIVATE_ATTEMPTS_PER_USER = 2
    guesser = signed_in_client(other_user)
    for _ in range(2):
        submit(guesser, WRONG)
    assert submit(guesser, WRONG).status_code == 429

    assert submit(signed_in_client(end_user), user_code, "approve").status_code == 302


def test_counters_store_neither_ips_nor_session_keys_nor_user_ids(settings, signed_in, end_user, user_code):
    settings.ROTOR_TRUSTED_PROXIES = [PROXY]
    via_proxy(signed_in, WRONG, client_ip="203.0.113.77")

    keys = list(AttemptCounter.objects.values_list("key", flat=True))
    assert sorted(k.split(":")[0] for k in keys) == ["activate-ip", "activate-session", "activate-user"]
    secrets = ("203.0.113.77", signed_in.session.session_key, end_user.uid)
    assert not any(secret in k for k in keys for secret in secrets)
