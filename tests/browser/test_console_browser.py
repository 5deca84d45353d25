"""The console in real headless Chromium (Debian's, never a downloaded one) against a real gunicorn.

The four scenarios of issue 4: an admin configures an app in the console, then the app signs a
user in through the real /oauth2/v1/authorize, /accounts/login/ and /oauth2/v1/token, and the
refresh tokens behave as configured. Full-page screenshots of each main page are saved under
tests/artifacts/screenshots/ for review.
"""

import uuid
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from tests.kit.live import ARTIFACTS
from tests.kit.oauth import pkce_pair

pytestmark = [pytest.mark.live, pytest.mark.browser]

SHOTS = ARTIFACTS / "screenshots"
APP_ORIGIN = "http://spa.example.test"  # the app's origin; Chromium never resolves it (see `app_sign_in`)
CALLBACK = f"{APP_ORIGIN}/callback"
ADMIN_PASSWORD = "console admin password 1"
USER_PASSWORD = "end user password 1"


@pytest.fixture
def people(chromium, live_db):
    """An admin and an end user, committed so the live server sees them."""
    from accounts.services import create_user

    tag = uuid.uuid4().hex[:8]
    admin = create_user(
        username=f"admin-{tag}@example.com",
        email=f"admin-{tag}@example.com",
        first_name="Ada",
        last_name="Admin",
        password=ADMIN_PASSWORD,
        is_staff=True,
    )
    user = create_user(username=f"user-{tag}@example.com", first_name="Uma", last_name="User", password=USER_PASSWORD)
    return {"tag": tag, "admin": admin, "user": user}


@pytest.fixture
def admin_page(chromium, live, people):
    """A browser tab with the admin signed in to the console through its sign-in page."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=live.url)
    page = context.new_page()
    page.goto("/console/")
    assert page.url.startswith(f"{live.url}/console/login/")
    page.get_by_label("Username").fill(people["admin"].username)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live.url}/console/")
    yield page
    context.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def create_spa(page, label: str) -> str:
    """Create App Integration → OIDC → Single-Page Application, with rotating refresh tokens and
    a 10-second grace period; returns the client ID shown on the app's page."""
    page.get_by_role("link", name="Applications").click()
    page.get_by_role("link", name="Create App Integration").click()
    page.get_by_label("OIDC - OpenID Connect").check()
    page.get_by_label("Single-Page Application").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("App integration name").fill(label)
    page.get_by_label("Refresh Token").check()
    page.get_by_label("Rotate token after every use").check()
    page.get_by_label("Grace period for token rotation (seconds)").fill("10")
    page.get_by_label("Sign-in redirect URIs").fill(CALLBACK)
    page.get_by_label("Trusted origins (CORS)").fill(APP_ORIGIN)
    page.get_by_role("button", name="Save").click()
    page.get_by_text(f"Created app integration '{label}'.").wait_for()
    return page.locator("#client-id").inner_text().strip()


def edit_settings(page, client_id: str, change) -> None:
    """Open the app's General tab, press Edit, apply `change(page)`, press Save."""
    from clients.models import Application

    app = Application.objects.get(client_id=client_id)
    page.goto(f"/console/apps/{app.public_id}/")
    page.get_by_role("link", name="Edit", exact=True).click()
    change(page)
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved the general settings.").wait_for()


def app_sign_in(chromium, base: str, client_id: str, person) -> dict:
    """The app's sign-in, as the app's user does it in a browser: authorize with PKCE, the sign-in
    form, the redirect back with a code; then the app exchanges the code at /oauth2/v1/token."""
    verifier, challenge = pkce_pair()
    query = urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "redirect_uri": CALLBACK,
            "scope": "openid profile offline_access",
            "state": "state-1",
            "nonce": "nonce-1",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    context = chromium.new_context()
    # The app's page is served by the test itself, so no request leaves the machine.
    context.route(
        f"{APP_ORIGIN}/**", lambda route: route.fulfill(status=200, body="<p>Signed in</p>", content_type="text/html")
    )
    page = context.new_page()
    page.goto(f"{base}/oauth2/v1/authorize?{query}")
    page.get_by_label("Username").fill(person.username)
    page.get_by_label("Password").fill(USER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{CALLBACK}?*")
    params = parse_qs(urlsplit(page.url).query)
    context.close()
    assert params["state"] == ["state-1"]
    response = requests.post(
        f"{base}/oauth2/v1/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "code": params["code"][0],
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def refresh(base: str, client_id: str, refresh_token: str) -> requests.Response:
    return requests.post(
        f"{base}/oauth2/v1/token",
        data={"grant_type": "refresh_token", "client_id": client_id, "refresh_token": refresh_token},
        timeout=10,
    )


def test_admin_creates_spa_with_rotation_and_the_refresh_token_rotates(admin_page, chromium, live, people):
    client_id = create_spa(admin_page, f"Storefront {people['tag']}")
    shot(admin_page, "app-created")

    tokens = app_sign_in(chromium, live.url, client_id, people["user"])
    first = tokens["refresh_token"]
    second = refresh(live.url, client_id, first)
    assert second.status_code == 200, second.text
    assert second.json()["refresh_token"] != first
    third = refresh(live.url, client_id, second.json()["refresh_token"])
    assert third.status_code == 200
    assert third.json()["refresh_token"] not in (first, second.json()["refresh_token"])
    retry = refresh(live.url, client_id, first)  # within the 10-second grace period
    assert retry.status_code == 200, retry.text

    admin_page.get_by_role("link", name="Tokens", exact=True).click()
    admin_page.get_by_role("cell", name=people["user"].username).wait_for()
    row = admin_page.get_by_role("row").filter(has_text=people["user"].username)
    assert "ACTIVE" in row.inner_text()
    row.get_by_role("link").first.click()
    timeline = admin_page.locator("ol.timeline")
    assert "Issued at sign-in: token #1" in timeline.inner_text()
    assert "Rotated: token #2 replaced by token #3" in timeline.inner_text()
    assert "Grace-period reuse" in timeline.inner_text()
    shot(admin_page, "family-timeline")


def test_admin_cannot_give_a_spa_persistent_tokens_and_refresh_keeps_rotating(admin_page, chromium, live, people):
    """A single-page app is a public client: persistent refresh tokens are refused beside the field
    (RFC 9700 §4.14.2), and its tokens keep rotating. Persistent tokens of confidential apps:
    tests/tokens/test_refresh_lifecycle.py."""
    client_id = create_spa(admin_page, f"Persistent {people['tag']}")
    from clients.models import Application

    app = Application.objects.get(client_id=client_id)
    admin_page.goto(f"/console/apps/{app.public_id}/")
    admin_page.get_by_role("link", name="Edit", exact=True).click()
    admin_page.get_by_label("Use persistent token").check()
    admin_page.get_by_role("button", name="Save").click()
    error = admin_page.locator("#refresh-token-behavior .field.has-error")
    assert "RFC 9700 §4.14.2" in error.inner_text()
    shot(admin_page, "app-edit-public-static-refused")

    token = app_sign_in(chromium, live.url, client_id, people["user"])["refresh_token"]
    response = refresh(live.url, client_id, token)
    assert response.status_code == 200, response.text
    assert response.json()["refresh_token"] != token


def test_admin_revokes_a_family_and_the_next_refresh_fails(admin_page, chromium, live, people):
    client_id = create_spa(admin_page, f"Revocable {people['tag']}")
    token = app_sign_in(chromium, live.url, client_id, people["user"])["refresh_token"]
    token = refresh(live.url, client_id, token).json()["refresh_token"]

    admin_page.get_by_role("link", name="Tokens", exact=True).click()
    row = admin_page.get_by_role("row").filter(has_text=people["user"].username)
    shot(admin_page, "app-tokens")
    row.get_by_role("link", name="Revoke").click()
    shot(admin_page, "confirm-revoke-family")
    admin_page.get_by_role("button", name="Revoke family").click()
    admin_page.get_by_text("its tokens stop working now").wait_for()
    assert "REVOKED" in admin_page.get_by_role("row").filter(has_text=people["user"].username).inner_text()

    response = refresh(live.url, client_id, token)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "The refresh token is invalid or expired.",
    }


def test_unticking_refresh_token_stops_refresh_tokens_on_the_next_sign_in(admin_page, chromium, live, people):
    client_id = create_spa(admin_page, f"No refresh {people['tag']}")
    assert "refresh_token" in app_sign_in(chromium, live.url, client_id, people["user"])

    edit_settings(admin_page, client_id, lambda page: page.get_by_label("Refresh Token").uncheck())
    assert "No refresh tokens" in admin_page.locator("main").inner_text()

    tokens = app_sign_in(chromium, live.url, client_id, people["user"])
    assert "access_token" in tokens
    assert "refresh_token" not in tokens


def test_invalid_settings_show_errors_beside_fields_in_the_browser(admin_page, people):
    admin_page.goto("/console/apps/new/browser/")
    admin_page.get_by_label("App integration name").fill(f"Broken {people['tag']}")
    assert admin_page.get_by_label("Grace period for token rotation (seconds)").is_hidden()  # until Refresh Token
    admin_page.get_by_label("Refresh Token").check()
    admin_page.get_by_label("Grace period for token rotation (seconds)").fill("90")
    admin_page.get_by_label("Sign-in redirect URIs").fill("https://spa.example.test/cb#fragment")
    admin_page.get_by_role("button", name="Save").click()
    errors = admin_page.locator(".field.has-error")
    assert errors.count() == 2
    assert "from 0 to 60" in errors.nth(0).inner_text()
    assert "must not contain a fragment" in errors.nth(1).inner_text()
    shot(admin_page, "app-create-errors")


def test_console_works_with_javascript_off(chromium, live, people):
    context = chromium.new_context(java_script_enabled=False, base_url=live.url)
    page = context.new_page()
    page.goto("/console/login/")
    page.get_by_label("Username").fill(people["admin"].username)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/console/apps/new/browser/")
    page.get_by_label("App integration name").fill(f"No JS {people['tag']}")
    page.get_by_label("Refresh Token").check()
    page.get_by_label("Sign-in redirect URIs").fill(CALLBACK)
    page.get_by_role("button", name="Save").click()
    page.get_by_text(f"Created app integration 'No JS {people['tag']}'.").wait_for()
    assert page.get_by_role("button", name="Copy client ID").is_hidden()  # a JS convenience only
    context.close()


def test_screenshots_of_every_main_page(admin_page, live, people):
    """Fill the console with realistic data and save a full-page screenshot of each main page,
    at 1280 px and at 800 px wide, for a reviewer to look at."""
    from tests.browser.seed import seed

    data = seed(people["tag"], people["admin"])
    spa, victim, person = data["spa"], data["victim"], data["people"][0]
    # Rotate each server's keys once through the console, so the keys table shows all three states.
    for server_id, server in (("org", "Org authorization server"), ("default", "default")):
        admin_page.goto(f"/console/security/authorization-servers/{server_id}/")
        admin_page.get_by_role("link", name="Rotate keys now").click()
        admin_page.get_by_role("button", name="Rotate keys now").click()
        admin_page.get_by_text(f"Rotated the keys of {server}.").wait_for()
    statuses = admin_page.locator("section[aria-labelledby=keys-title] .badge").all_inner_texts()
    assert sorted(statuses) == ["ACTIVE", "EXPIRED", "NEXT"]
    pages = [
        ("dashboard", "/console/"),
        ("apps", "/console/apps/"),
        ("app-create-pick", "/console/apps/new/"),
        ("app-create-spa", "/console/apps/new/browser/"),
        ("app-general", f"/console/apps/{spa.public_id}/"),
        ("app-general-web", f"/console/apps/{data['web'].public_id}/"),
        ("app-general-service", f"/console/apps/{data['service'].public_id}/"),
        ("app-edit", f"/console/apps/{spa.public_id}/edit/"),
        ("app-tokens-seeded", f"/console/apps/{spa.public_id}/tokens/"),
        ("family-reuse-detected", f"/console/families/{victim.public_id}/"),
        ("app-delete-confirm", f"/console/apps/{data['old'].public_id}/delete/"),
        ("users", "/console/users/"),
        ("user-create", "/console/users/new/"),
        ("user-detail", f"/console/users/{person.uid}/"),
        ("authorization-servers", "/console/security/authorization-servers/"),
        ("rotate-keys-confirm", "/console/security/authorization-servers/default/rotate/"),
        ("api-tokens", "/console/security/api-tokens/"),
        ("system-log", "/console/system-log/"),
    ]
    for width in (1280, 800):
        admin_page.set_viewport_size({"width": width, "height": 900})
        for name, url in pages:
            response = admin_page.goto(url)
            assert response.status == 200, url
            shot(admin_page, f"{name}-{width}")
            # No page is wider than the window: wide tables scroll inside their own cards.
            assert admin_page.evaluate("document.documentElement.scrollWidth") <= width, (url, width)
        admin_page.goto("/console/system-log/?event_type=app.oauth2.as.token.detect_reuse")
        admin_page.locator("details.event summary").first.click()
        assert "replayedTokenHash" in admin_page.locator("details.event").first.inner_text()
        shot(admin_page, f"system-log-expanded-{width}")

    admin_page.goto("/console/security/api-tokens/")
    admin_page.get_by_label("Token name").fill(f"Screenshot token {people['tag']}")
    admin_page.get_by_role("button", name="Create token").click()
    admin_page.get_by_text("Copy the token").wait_for()
    shot(admin_page, "api-token-created")

    admin_page.context.clear_cookies()
    admin_page.goto("/console/login/")
    shot(admin_page, "console-login")


def database_state() -> dict:
    """What any console action changes: the rows it could add, the secrets and keys it could replace, its events."""
    from accounts.models import ApiToken, User
    from clients.models import Application
    from core.models import Event
    from tokens.models import SigningKey

    return {
        "apps": Application.objects.count(),
        "secrets": sorted(Application.objects.values_list("client_secret", flat=True)),
        "origins": sorted(Application.objects.values_list("allowed_origins", flat=True)),
        "statuses": sorted(Application.objects.values_list("status", flat=True)),
        "api_tokens": ApiToken.objects.count(),
        "users": User.objects.count(),
        "keys": sorted(SigningKey.objects.values_list("kid", "status")),
        "events": Event.objects.count(),
    }


def test_reloading_after_any_console_post_repeats_nothing(admin_page, people):
    """Post/redirect/get: after each POST the browser shows a GET, so a reload changes nothing, and a secret or
    token shown once is not shown again."""
    page, tag = admin_page, people["tag"]

    def reload_changes_nothing(done_text: str, once: str | None = None) -> None:
        page.get_by_text(done_text).first.wait_for()
        after = database_state()
        assert page.reload().request.method == "GET", done_text  # the page after a POST is a redirect's GET
        assert database_state() == after, done_text
        assert page.locator(".has-error, .errorlist-box").count() == 0, done_text
        if once:
            assert page.locator(once).count() == 0, once  # shown once, from the session

    before = database_state()
    page.goto("/console/apps/new/web/")
    page.get_by_label("App integration name").fill(f"Reload web {tag}")
    page.get_by_label("Sign-in redirect URIs").fill("https://web.example.test/cb")
    page.get_by_role("button", name="Save").click()
    reload_changes_nothing(f"Created app integration 'Reload web {tag}'.", once="#new-secret")
    assert database_state()["apps"] == before["apps"] + 1

    page.get_by_role("link", name="Generate new secret").click()
    page.get_by_role("button", name="Generate new secret").click()
    reload_changes_nothing("Generated a new client secret.", once="#new-secret")

    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("App integration name").fill(f"Reload web renamed {tag}")
    page.get_by_role("button", name="Save").click()
    reload_changes_nothing("Saved the general settings.")

    page.get_by_role("link", name="Deactivate", exact=True).click()  # the app's, not a secret's
    page.get_by_role("button", name="Deactivate app").click()
    reload_changes_nothing("Deactivated")
    page.get_by_role("button", name="Activate", exact=True).click()
    reload_changes_nothing("Activated")

    page.goto("/console/apps/new/browser/")
    page.get_by_label("App integration name").fill(f"Reload SPA {tag}")
    page.get_by_label("Sign-in redirect URIs").fill(CALLBACK)
    page.get_by_role("button", name="Save").click()
    reload_changes_nothing(f"Created app integration 'Reload SPA {tag}'.")
    page.get_by_role("button", name=f"Trust {APP_ORIGIN}").click()
    reload_changes_nothing(f"Added {APP_ORIGIN} to the trusted origins.")

    page.goto("/console/security/api-tokens/")
    page.get_by_label("Token name").fill(f"Reload token {tag}")
    page.get_by_role("button", name="Create token").click()
    reload_changes_nothing("Copy the token", once="#new-token")
    page.get_by_role("row").filter(has_text=f"Reload token {tag}").get_by_role("link", name="Revoke").click()
    page.get_by_role("button", name="Revoke token").click()
    reload_changes_nothing("Revoked API token")

    page.goto("/console/users/new/")
    page.get_by_label("Username").fill(f"reload-{tag}@example.com")
    page.get_by_label("Password").fill("a long reload password 1")
    page.get_by_role("button", name="Create user").click()
    reload_changes_nothing(f"Created user reload-{tag}@example.com.")

    page.goto("/console/security/authorization-servers/default/rotate/")
    page.get_by_role("button", name="Rotate keys now").click()
    reload_changes_nothing("Rotated the keys of default.")

    final = database_state()
    assert (final["apps"], final["api_tokens"], final["users"]) == (
        before["apps"] + 2,
        before["api_tokens"],
        before["users"] + 1,
    )


def test_the_grace_period_is_shown_only_for_rotating_tokens(admin_page, chromium, live, people):
    page = admin_page
    page.goto("/console/apps/new/web/")
    grace = page.get_by_label("Grace period for token rotation (seconds)")
    page.get_by_label("Refresh Token").check()
    assert page.get_by_label("Use persistent token").is_checked()  # a web app's default
    assert grace.is_hidden()
    page.get_by_label("Rotate token after every use").check()
    assert grace.is_visible()
    page.get_by_label("Use persistent token").check()
    assert grace.is_hidden()
    shot(page, "app-create-web-persistent")

    context = chromium.new_context(java_script_enabled=False, base_url=live.url)
    plain = context.new_page()
    plain.goto("/console/login/")
    plain.get_by_label("Username").fill(people["admin"].username)
    plain.get_by_label("Password").fill(ADMIN_PASSWORD)
    plain.get_by_role("button", name="Sign in").click()
    plain.goto("/console/apps/new/web/")
    plain.get_by_label("Use persistent token").check()
    assert plain.get_by_label("Grace period for token rotation (seconds)").is_visible()  # without JS, always shown
    context.close()


def test_a_signed_in_admin_opening_the_sign_in_page_lands_on_the_dashboard(admin_page, live):
    admin_page.goto("/console/login/")
    admin_page.wait_for_url(f"{live.url}/console/")
    assert admin_page.get_by_role("button", name="Sign in").count() == 0
