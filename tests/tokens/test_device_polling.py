"""Polling /token with grant_type=urn:ietf:params:oauth:grant-type:device_code (RFC 8628 §3.4-3.5)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from core.models import Event
from core.systemlog import grants
from core.systemlog.audit import SYSTEM
from tests.kit.device import DEVICE_GRANT, device_authorize, form_post, poll, tv_app_data
from tests.kit.oauth import refresh
from tokens import purge
from tokens.device import activation
from tokens.device import grant as device
from tokens.models import DeviceCode, TokenFamily
from tokens.oauth import minting
from tokens.servers.registry import get_server


@pytest.fixture
def started(client, tv_app):
    """A fresh device authorization: the device's response and the stored row."""
    body = device_authorize(client, tv_app).json()
    return body, DeviceCode.objects.get()


def approve(row, user):
    assert activation.approve(DeviceCode.objects.select_related("client").get(pk=row.pk), user)


def error_of(response) -> str:
    assert response.status_code == 400, response.content
    assert response["Cache-Control"] == "no-store"
    return response.json()["error"]


def test_poll_is_pending_until_the_user_decides(client, tv_app, started):
    body, _ = started

    response = poll(client, tv_app, body["device_code"])

    assert error_of(response) == "authorization_pending"
    assert response.json()["error_description"] == device.PENDING_DESCRIPTION


def test_missing_device_code_is_invalid_request(client, tv_app, started):
    response = form_post(client, "/oauth2/v1/token", {"grant_type": DEVICE_GRANT, "client_id": tv_app.client_id})

    assert error_of(response) == "invalid_request"
    assert response.json()["error_description"] == "The required parameter 'device_code' is missing."


def test_unknown_device_code_is_invalid_grant(client, tv_app, started):
    response = poll(client, tv_app, "not-a-device-code")

    assert error_of(response) == "invalid_grant"
    assert response.json()["error_description"] == device.INVALID_DEVICE_CODE


def test_another_clients_device_code_is_invalid_grant(client, make_app, started):
    body, _ = started
    other, _ = make_app(**tv_app_data(label="Other TV"))

    assert error_of(poll(client, other, body["device_code"])) == "invalid_grant"


def test_device_code_is_bound_to_its_server(client, tv_app, started):
    body, _ = started

    assert error_of(poll(client, tv_app, body["device_code"], server="default")) == "invalid_grant"


def test_app_without_the_device_grant_is_unauthorized_client(client, make_app, started):
    body, _ = started
    app, _ = make_app(label="Phone app", application_type="native", grant_types=["authorization_code"])

    assert error_of(poll(client, app, body["device_code"])) == "unauthorized_client"


def test_polling_faster_than_the_interval_slows_the_device_down_by_five_seconds_each_time(client, tv_app, started):
    body, row = started
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert error_of(poll(client, tv_app, body["device_code"])) == "authorization_pending"

        clock.shift(1)
        response = poll(client, tv_app, body["device_code"])
        assert error_of(response) == "slow_down"
        assert response.json()["interval"] == 10
        row.refresh_from_db()
        assert row.interval == 10

        clock.shift(9)  # 9 s after the last poll: still under the new 10 s
        response = poll(client, tv_app, body["device_code"])
        assert error_of(response) == "slow_down"
        assert response.json()["interval"] == 15

        clock.shift(15)  # the device finally waits the full interval
        assert error_of(poll(client, tv_app, body["device_code"])) == "authorization_pending"
        clock.shift(15)
        assert error_of(poll(client, tv_app, body["device_code"])) == "authorization_pending"
    row.refresh_from_db()
    assert row.interval == 15


def test_slow_down_is_kept_per_device(client, tv_app, started):
    body, _ = started
    other = device_authorize(client, tv_app).json()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        poll(client, tv_app, body["device_code"])
        clock.shift(1)
        assert error_of(poll(client, tv_app, body["device_code"])) == "slow_down"

        assert error_of(poll(client, tv_app, other["device_code"])) == "authorization_pending"
    assert DeviceCode.objects.get(interval=10).device_code_hash != DeviceCode.objects.get(interval=5).device_code_hash


def test_waiting_exactly_the_interval_is_not_too_fast(client, tv_app, started):
    body, _ = started
    with time_machine.travel(timezone.now(), tick=False) as clock:
        poll(client, tv_app, body["device_code"])
        clock.shift(5)
        assert error_of(poll(client, tv_app, body["device_code"])) == "authorization_pending"


def test_device_code_expires_after_ten_minutes(client, tv_app, started):
    body, _ = started
    with time_machine.travel(timezone.now() + timedelta(seconds=599), tick=False):
        assert error_of(poll(client, tv_app, body["device_code"])) == "authorization_pending"
    with time_machine.travel(timezone.now() + timedelta(seconds=600), tick=False):
        response = poll(client, tv_app, body["device_code"])
    assert error_of(response) == "expired_token"


def test_an_approved_code_that_was_never_polled_still_expires(client, tv_app, started, end_user):
    body, row = started
    approve(row, end_user)

    with time_machine.travel(timezone.now() + timedelta(seconds=601), tick=False):
        assert error_of(poll(client, tv_app, body["device_code"])) == "expired_token"
    assert not TokenFamily.objects.exists()


def test_denial_answers_access_denied(client, tv_app, started, end_user):
    body, row = started
    assert activation.deny(DeviceCode.objects.select_related("client").get(pk=row.pk), end_user)

    assert error_of(poll(client, tv_app, body["device_code"])) == "access_denied"
    assert error_of(poll(client, tv_app, body["device_code"])) == "access_denied"  # final, even polled fast
    assert not TokenFamily.objects.exists()


def test_approval_yields_tokens_and_a_family(client, tv_app, started, end_user):
    body, row = started
    approve(row, end_user)

    response = poll(client, tv_app, body["device_code"])

    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert tokens["scope"] == "openid profile offline_access"
    assert {"access_token", "id_token", "refresh_token"} <= set(tokens)
    server = get_server("org")
    claims = minting.verify(server, tokens["access_token"], audience=server.audience)
    assert claims["cid"] == tv_app.client_id and claims["uid"] == end_user.uid
    assert claims["scp"] == ["openid", "profile", "offline_access"]
    id_claims = minting.verify(server, tokens["id_token"], audience=tv_app.client_id)
    assert id_claims["sub"] == end_user.uid and id_claims["preferred_username"] == end_user.username

    family = TokenFamily.objects.get()
    assert family.grant_type == "device_code" and family.user == end_user and family.client == tv_app
    assert claims["jti"].endswith(family.public_id)
    row.refresh_from_db()
    assert row.status == "REDEEMED" and row.family == family
    rows = Event.objects.filter(event_type__startswith="app.oauth2.token.grant").order_by("id")
    granted = list(grants.expand_all(rows))
    assert [e.event_type.rsplit(".", 1)[1] for e in granted] == ["access_token", "id_token", "refresh_token"]
    assert all(e.debug_data["grantType"] == "device_code" and e.user_id == end_user.uid for e in granted)


def test_a_redeemed_device_code_is_invalid_grant(client, tv_app, started, end_user):
    body, row = started
    approve(row, end_user)
    assert poll(client, tv_app, body["device_code"]).status_code == 200

    with time_machine.travel(timezone.now() + timedelta(seconds=6), tick=False):
        assert error_of(poll(client, tv_app, body["device_code"])) == "invalid_grant"
    assert TokenFamily.objects.count() == 1


def test_redemption_happens_once_even_when_two_polls_read_the_approved_row(client, tv_app, started, end_user):
    """Two requests that both read APPROVED race on the conditional UPDATE; only one issues tokens."""
    _, row = started
    approve(row, end_user)
    stale = DeviceCode.objects.select_related("user").get(pk=row.pk)
    server = get_server("org")

    first = device.redeem(stale, server, tv_app, SYSTEM)
    with pytest.raises(device.OAuthError) as second:
        device.redeem(stale, server, tv_app, SYSTEM)

    assert "access_token" in first
    assert second.value.error == "invalid_grant"
    assert TokenFamily.objects.count() == 1  # the loser's family was rolled back
    assert Event.objects.filter(grants.of_type("app.oauth2.token.grant.access_token")).count() == 1


def test_tokens_follow_the_rotating_default_of_public_native_apps(client, tv_app, started, end_user):
    body, row = started
    approve(row, end_user)
    tokens = poll(client, tv_app, body["device_code"]).json()

    again = refresh(client, tv_app, tokens["refresh_token"])

    assert again.status_code == 200, again.content
    assert again.json()["refresh_token"] != tokens["refresh_token"]  # ROTATE, as every public client


def test_tokens_follow_a_rotating_refresh_policy(client, make_app, end_user):
    app, _ = make_app(**tv_app_data(label="Rotating TV", rotation_type="ROTATE"))
    body = device_authorize(client, app).json()
    approve(DeviceCode.objects.get(), end_user)
    tokens = poll(client, app, body["device_code"]).json()

    again = refresh(client, app, tokens["refresh_token"])

    assert again.status_code == 200
    assert again.json()["refresh_token"] != tokens["refresh_token"]


def test_no_refresh_token_without_offline_access(client, tv_app, end_user):
    body = device_authorize(client, tv_app, scope="openid profile").json()
    approve(DeviceCode.objects.get(), end_user)

    tokens = poll(client, tv_app, body["device_code"]).json()

    assert "refresh_token" not in tokens and "access_token" in tokens
    assert not TokenFamily.objects.exists()


def test_default_server_issues_its_own_tokens(client, tv_app, end_user):
    body = device_authorize(client, tv_app, server="default").json()
    approve(DeviceCode.objects.get(), end_user)

    tokens = poll(client, tv_app, body["device_code"], server="default").json()

    server = get_server("default")
    claims = minting.verify(server, tokens["access_token"], audience="api://default")
    assert claims["iss"] == server.issuer
    assert Event.objects.filter(grants.of_type("app.oauth2.as.token.grant.refresh_token")).count() == 1


def test_a_user_deactivated_after_approving_gets_nothing(client, tv_app, started, end_user):
    body, row = started
    approve(row, end_user)
    end_user.is_active = False
    end_user.save()

    assert error_of(poll(client, tv_app, body["device_code"])) == "invalid_grant"
    assert not TokenFamily.objects.exists()


def test_purge_removes_old_device_codes_but_keeps_their_tokens(client, tv_app, started, end_user):
    body, row = started
    approve(row, end_user)
    assert poll(client, tv_app, body["device_code"]).status_code == 200
    expired = DeviceCode.objects.get(pk=row.pk).expires_at  # times from the row: a slow machine moves nothing
    with time_machine.travel(expired + timedelta(days=1, seconds=-300), tick=False):
        device_authorize(client, tv_app)  # a newer code, still live at purge time
    with time_machine.travel(expired + timedelta(days=1, seconds=-1), tick=False):
        assert purge.purge(purge.Policy())["device codes"] == 0  # the old one expired less than a day ago
    with time_machine.travel(expired + timedelta(days=1, seconds=1), tick=False):
        assert purge.purge(purge.Policy())["device codes"] == 1

    assert not DeviceCode.objects.filter(pk=row.pk).exists()
    assert DeviceCode.objects.count() == 1
    assert TokenFamily.objects.get().status == "ACTIVE"
