"""The try-it demo (demo/) in Debian's headless Chromium against a real gunicorn with ROTOR_DEMO=1 (DEBUG
off), its app registered by `firstrun` as `make run` does: sign in at /accounts/login/, read the decoded
tokens, Refresh, replay the old token within and after the grace period, and find the reuse detection on
the family's timeline in the console. Settings, the system check and firstrun's registration:
tests/test_demo.py."""

import json
import uuid
from io import StringIO

import pytest
import requests

pytestmark = [pytest.mark.live, pytest.mark.browser]

ADMIN_PASSWORD = "demo admin password 1"
USER_PASSWORD = "demo user password 1"


@pytest.fixture(scope="module")
def demo(live_server_factory):
    """A live server of its own with the demo on, as ROTOR_DEMO=1 turns it on without DEBUG."""
    return live_server_factory(workers=2, extra_env={"ROTOR_DEMO": "1"})


@pytest.fixture
def people(chromium, demo, live_db):
    """An admin and an end user (committed), then the demo app, registered as `make run` registers it."""
    from django.core.management import call_command
    from django.test import override_settings

    from accounts.services import create_user

    tag = uuid.uuid4().hex[:8]
    admin = create_user(username=f"admin-{tag}@example.com", password=ADMIN_PASSWORD, is_staff=True)
    user = create_user(username=f"user-{tag}@example.com", first_name="Dee", last_name="Mo", password=USER_PASSWORD)
    out = StringIO()
    with override_settings(ROTOR_DEMO=True, ROTOR_ISSUER=demo.url):
        call_command("firstrun", stdout=out)
    assert f"Try it:         {demo.url}/demo/" in out.getvalue()
    return {"admin": admin, "user": user}


def watch(page) -> list[str]:
    """The page's script errors and CSP violations, collected while the test runs."""
    problems = []

    def on_console(msg):
        if msg.type == "error" and "Content Security Policy" in msg.text:
            problems.append(msg.text)

    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on("console", on_console)
    return problems


def test_sign_in_refresh_replay_and_the_reuse_detection_on_the_family_timeline(chromium, demo, people):
    from tokens.models import RefreshToken, TokenFamily

    user = people["user"]
    context = chromium.new_context(base_url=demo.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = watch(page)

    # Sign in: code flow with PKCE, through the end users' sign-in page, back to the demo.
    page.goto("/demo/")
    page.get_by_role("button", name="Sign in with Rotor").click()
    page.wait_for_url(lambda url: url.startswith(f"{demo.url}/accounts/login/?next=/oauth2/default/v1/authorize"))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(USER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in. Refresh token").wait_for()
    assert page.url == f"{demo.url}/demo/"  # the code left the address bar

    # The decoded tokens, and the family named by the access token's jti.
    at_header = json.loads(page.locator("#at-header").inner_text())
    at = json.loads(page.locator("#at-claims").inner_text())
    id_header = json.loads(page.locator("#id-header").inner_text())
    id_claims = json.loads(page.locator("#id-claims").inner_text())
    assert at_header["typ"] == "at+jwt" and at_header["alg"] == id_header["alg"] == "RS256"
    assert at["iss"] == f"{demo.url}/oauth2/default" and at["aud"] == "api://default"
    assert at["sub"] == user.username and "offline_access" in at["scp"]
    assert id_claims["sub"] == user.uid and id_claims["preferred_username"] == user.username
    assert id_claims["nonce"]
    kind, _random, family_id = at["jti"].split(".")
    assert kind == "AT"
    assert page.locator("#family-id").inner_text() == family_id
    href = page.get_by_role("link", name="Open the family's timeline in the console").get_attribute("href")
    assert href == f"/console/families/{family_id}/"
    family = TokenFamily.objects.get(public_id=family_id)
    assert family.user == user and family.client.redirect_uri_list == [f"{demo.url}/demo/callback"]
    first = page.locator("#refresh-current").inner_text()
    assert page.get_by_role("button", name="Replay the old refresh token").is_disabled()  # nothing rotated yet

    # Refresh: the token rotates; the page shows the old and the new one.
    page.get_by_role("button", name="Refresh", exact=True).click()
    page.get_by_text("Refreshed: old").wait_for()
    second = page.locator("#rotation-new").inner_text()
    assert page.locator("#rotation-old").inner_text() == first
    assert second != first and page.locator("#refresh-current").inner_text() == second
    assert json.loads(page.locator("#at-claims").inner_text())["jti"].endswith(f".{family_id}")
    assert RefreshToken.objects.filter(family=family).count() == 2

    # Replay within the grace period: a retry, answered with another token of the family.
    assert "Grace period:" in page.locator("#grace").inner_text()
    page.get_by_role("button", name="Replay the old refresh token").click()
    page.get_by_text(f"Replayed old {first} within the 10-second grace period: accepted").wait_for()
    family.refresh_from_db()
    assert family.status == TokenFamily.Status.ACTIVE

    # After the grace period (the page says when), the replay is reuse: the whole family is revoked.
    page.get_by_text("The grace period is over").wait_for(timeout=30_000)
    page.get_by_role("button", name="Replay the old refresh token").click()
    outcome = page.locator("#outcome")
    outcome.get_by_text("The family was revoked").wait_for()
    log = page.locator("#log").inner_text()
    assert f"Replayed old {first}: refused (invalid_grant)." in log
    assert f"Reuse detected: Rotor revoked the whole family {family_id}." in log
    assert "/userinfo refuses the access token (401)" in log
    assert page.get_by_role("button", name="Refresh", exact=True).is_disabled()
    family.refresh_from_db()
    assert family.status == TokenFamily.Status.REVOKED
    assert problems == []
    context.close()

    # The admin opens the family's timeline from the page's link and sees the reuse detection.
    admin = chromium.new_context(base_url=demo.url)
    console = admin.new_page()
    console.goto("/console/login/")
    console.get_by_label("Username").fill(people["admin"].username)
    console.get_by_label("Password").fill(ADMIN_PASSWORD)
    console.get_by_role("button", name="Sign in").click()
    console.wait_for_url(f"{demo.url}/console/")
    console.goto(href)
    assert "REVOKED" in console.locator(".page-head").inner_text()
    timeline = console.locator("ol.timeline").inner_text()
    assert "Issued at sign-in: token #1" in timeline
    assert "Rotated: token #1 replaced by token #2" in timeline
    assert "Grace-period reuse: token #3 minted" in timeline
    assert "Reuse detected" in timeline
    admin.close()


def test_the_demo_page_has_no_inline_script_or_style_and_is_not_stored(demo, people):
    response = requests.get(f"{demo.url}/demo/", timeout=10)
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
    assert "no-store" in response.headers["Cache-Control"]
    html = response.text
    assert "<script>" not in html and " style=" not in html and "<style" not in html
    assert '<script src="/static/demo/demo.' in html  # from the manifest: a hashed static file


def test_the_demo_is_a_404_on_a_server_without_it(live):
    """The suite's shared server runs as production does: DEBUG off, ROTOR_DEMO unset."""
    for path in ("/demo/", "/demo/callback"):
        assert requests.get(f"{live.url}{path}", timeout=10).status_code == 404
