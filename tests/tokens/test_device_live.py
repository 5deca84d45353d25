"""The device grant against a real gunicorn: concurrent polls, and the whole flow with a TV and a phone."""

import json
import re
import subprocess
import sys
import threading
import uuid
from collections import Counter

import jwt
import pytest
import requests

from tests.kit.device import DEVICE_CLIENT, DEVICE_GRANT, tv_app_data
from tests.kit.live import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.live]

PASSWORD = "tv watcher password 1"


@pytest.fixture
def tv(live_db):
    """A TV app and its owner, committed so the live server sees them."""
    from accounts.services import create_user
    from clients.services import create_app

    suffix = uuid.uuid4().hex[:8]
    user = create_user(
        username=f"viewer-{suffix}@example.com",
        email=f"viewer-{suffix}@example.com",
        first_name="Vera",
        last_name="Viewer",
        password=PASSWORD,
    )
    app, _ = create_app(tv_app_data(label=f"Living-room TV {suffix}"))
    return {"app": app, "user": user}


def _start(base: str, client_id: str) -> dict:
    response = requests.post(
        f"{base}/oauth2/v1/device/authorize",
        data={"client_id": client_id, "scope": "openid profile offline_access"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


ROUNDS = 5
POLLS = 24


def _burst(base: str, client_id: str, device_code: str, n: int) -> Counter:
    """n polls of one device code fired at once; the outcome of each (200 or the error)."""
    barrier = threading.Barrier(n)
    results: list = []
    lock = threading.Lock()

    def poll():
        barrier.wait()
        response = requests.post(
            f"{base}/oauth2/v1/token",
            data={"grant_type": DEVICE_GRANT, "device_code": device_code, "client_id": client_id},
            timeout=30,
        )
        with lock:
            results.append(200 if response.status_code == 200 else response.json()["error"])

    threads = [threading.Thread(target=poll) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Counter(results)


@pytest.mark.postgres
def test_an_approved_device_code_yields_tokens_once_under_concurrent_polls(live, tv):
    """Several rounds, each a fresh approved code polled 24 times at once over 4 workers.

    Without the conditional UPDATE, most rounds issue tokens two to four times; one round alone
    can miss the race, so the test runs five.
    """
    from core.crypto import hash_token
    from core.models import Event
    from core.systemlog import grants as systemlog_grants
    from tokens.device import activation
    from tokens.models import DeviceCode, TokenFamily

    app = tv["app"]
    for round_no in range(ROUNDS):
        flow = _start(live.url, app.client_id)
        row = DeviceCode.objects.select_related("client").get(device_code_hash=hash_token(flow["device_code"]))
        assert activation.approve(row, tv["user"])

        outcomes = _burst(live.url, app.client_id, flow["device_code"], POLLS)

        print(f"round {round_no}: {POLLS} concurrent polls: {dict(outcomes)}")
        assert outcomes[200] == 1, outcomes
        assert set(outcomes) <= {200, "invalid_grant", "slow_down"}, outcomes
        assert sum(outcomes.values()) == POLLS
        assert DeviceCode.objects.get(pk=row.pk).status == "REDEEMED"
    assert TokenFamily.objects.filter(client=app).count() == ROUNDS
    access = systemlog_grants.of_type("app.oauth2.token.grant.access_token")
    granted = Event.objects.filter(access, app_id=app.public_id)
    assert granted.count() == ROUNDS


def test_activate_limits_hold_across_worker_processes(live, tv, settings):
    """Ten wrong codes per session, counted in the database: the 11th attempt is refused, whichever worker."""
    base = live.url
    browser = requests.Session()
    login = browser.get(f"{base}/activate", timeout=10)
    assert "/accounts/login/" in login.url
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
    signed_in = browser.post(
        login.url,
        data={"username": tv["user"].username, "password": PASSWORD, "csrfmiddlewaretoken": csrf, "next": "/activate"},
        headers={"Referer": login.url},
        timeout=10,
    )
    assert signed_in.url == f"{base}/activate", signed_in.url
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', signed_in.text).group(1)
    flow = _start(base, tv["app"].client_id)

    def attempt(code):
        return browser.post(
            f"{base}/activate",
            data={"user_code": code, "csrfmiddlewaretoken": csrf},
            headers={"Referer": f"{base}/activate"},
            timeout=10,
        )

    statuses = [attempt("BBBB-BBBB").status_code for _ in range(settings.ROTOR_ACTIVATE_ATTEMPTS_PER_SESSION)]
    refused = attempt(flow["user_code"])

    assert statuses == [400] * settings.ROTOR_ACTIVATE_ATTEMPTS_PER_SESSION
    assert refused.status_code == 429
    assert "Too many attempts" in refused.text


@pytest.fixture(scope="module")
def quick_server(live_server_factory):
    """A server whose devices poll every second, so the flow needs no long waits."""
    return live_server_factory(workers=2, extra_env={"ROTOR_DEVICE_POLL_INTERVAL": "1"})


@pytest.mark.browser
def test_tv_signs_in_through_a_phone_browser_and_refreshes(quick_server, tv, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    base = quick_server.url
    app, user = tv["app"], tv["user"]
    script = subprocess.Popen(
        [sys.executable, str(DEVICE_CLIENT), base, app.client_id],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        started = json.loads(script.stdout.readline())
        assert started["event"] == "started", started
        assert started["verification_uri"] == f"{base}/activate"

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.goto(started["verification_uri_complete"])
                expect(page).to_have_url(f"{base}/accounts/login/?next=/activate%3Fuser_code%3D{started['user_code']}")
                page.fill("#id_username", user.username)
                page.fill("#id_password", PASSWORD)
                page.click("button[type=submit]")

                expect(page.locator("#id_user_code")).to_have_value(started["user_code"])
                page.click("text=Continue")
                expect(page.locator("h1")).to_contain_text(app.name)
                expect(page.locator(".user-code")).to_have_text(started["user_code"])
                expect(page.locator(".scopes")).to_contain_text("Keep you signed in")
                page.screenshot(path=str(ARTIFACTS / "device-activate-confirm.png"))
                page.click("button[value=approve]")
                expect(page.locator("h1")).to_have_text("Device connected")
                page.screenshot(path=str(ARTIFACTS / "device-activate-done.png"))
            finally:
                browser.close()

        out, err = script.communicate(timeout=60)
    finally:
        if script.poll() is None:
            script.kill()
    assert script.returncode == 0, (out, err)
    done = json.loads(out.strip().splitlines()[-1])
    assert done["event"] == "done"
    assert "slow_down" not in done["seen"]  # the script honoured the interval

    tokens = done["tokens"]
    assert {"access_token", "id_token", "refresh_token"} <= set(tokens)
    key = jwt.PyJWKClient(f"{base}/oauth2/v1/keys").get_signing_key_from_jwt(tokens["access_token"])
    claims = jwt.decode(tokens["access_token"], key.key, algorithms=["RS256"], audience=base, issuer=base)
    assert claims["cid"] == app.client_id and claims["uid"] == user.uid
    assert done["refresh_status"] == 200, done["refreshed"]
    assert done["refreshed"]["refresh_token"] != tokens["refresh_token"]  # public native apps rotate
    assert done["refreshed"]["access_token"] != tokens["access_token"]

    from core.models import Event
    from tokens.models import TokenFamily

    family = TokenFamily.objects.get(client=app)
    assert family.grant_type == "device_code" and family.user_id == user.pk
    assert Event.objects.filter(event_type="app.oauth2.device.approve", app_id=app.public_id).exists()
