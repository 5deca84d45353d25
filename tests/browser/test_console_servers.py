"""Security → Authorization servers in real headless Chromium against a real gunicorn (4 workers): an admin adds
a server, a scope, an access policy and two rules, moves the second rule up with its button, and runs a Token
Preview that follows the new order. Screenshots under tests/artifacts/screenshots/."""

import json
import re
import uuid

import pytest

from tests.kit.live import ARTIFACTS

pytestmark = [pytest.mark.live, pytest.mark.browser]

SHOTS = ARTIFACTS / "screenshots"
ADMIN_PASSWORD = "console admin password 1"


@pytest.fixture
def world(chromium, live_db):
    """An admin, an end user and a web app, committed so the live server sees them."""
    from accounts.services import create_user
    from clients.services import create_app

    tag = uuid.uuid4().hex[:8]
    admin = create_user(
        username=f"as-admin-{tag}@example.com", email=f"as-admin-{tag}@example.com", password=ADMIN_PASSWORD,
        is_staff=True,
    )  # fmt: skip
    user = create_user(username=f"as-user-{tag}@example.com", email=f"as-user-{tag}@example.com", password="x" * 12)
    app, _ = create_app(
        {
            "label": f"Orders web {tag}",
            "application_type": "web",
            "grant_types": ["authorization_code", "refresh_token"],
            "redirect_uris": ["https://orders.example.com/callback"],
        }
    )
    return {"tag": tag, "admin": admin, "user": user, "app": app}


@pytest.fixture
def page(chromium, live, world):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=live.url)
    tab = context.new_page()
    tab.goto("/console/login/")
    tab.get_by_label("Username").fill(world["admin"].username)
    tab.get_by_label("Password").fill(ADMIN_PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(f"{live.url}/console/")
    yield tab
    context.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def add_rule(page, policy_name: str, name: str, *, access_minutes: str, grants: list[str]) -> None:
    page.get_by_role("link", name=f"Add rule to {policy_name}").click()
    page.get_by_label("Rule name").fill(name)
    for grant in ("Authorization Code", "Refresh Token", "Client Credentials", "Device Authorization"):
        box = page.get_by_label(grant, exact=True)
        box.check() if grant in grants else box.uncheck()
    page.get_by_label(re.compile(r"^THEN Access token lifetime is( Required)?$")).fill(access_minutes)
    page.get_by_label("THEN Access token lifetime is: unit").select_option("minutes")
    page.get_by_label("Refresh token lifetime is", exact=True).fill("30")
    page.get_by_label("Refresh token lifetime is: unit").select_option("days")
    page.get_by_label(re.compile(r"^but will expire if not used every( Required)?$")).fill("2")
    page.get_by_label("but will expire if not used every: unit").select_option("days")
    page.get_by_role("button", name="Create rule").click()
    page.get_by_text(f"Added rule '{name}' to '{policy_name}'.").wait_for()


def rule_order(page, policy_id: str) -> list[str]:
    return page.locator(f"#policy-card-{policy_id} tbody tr td:nth-child(2)").all_inner_texts()


def test_admin_builds_a_server_reorders_rules_and_previews_a_token(page, live, world):
    from tokens.servers.models import AuthorizationServer, Policy, PolicyRule

    name = f"Orders {world['tag']}"
    page.get_by_role("link", name="Authorization servers").click()
    page.get_by_role("link", name="Add Authorization Server").click()
    page.locator("input[name=name]").fill(name)
    page.get_by_label("Audience").fill("api://orders")
    page.get_by_label("Description").fill("The orders API")
    page.get_by_role("button", name="Save").click()
    page.get_by_text(f"Added authorization server '{name}'.").wait_for()
    server = AuthorizationServer.objects.get(name=name)
    assert f"{live.url}/oauth2/{server.id}" in page.locator("main").inner_text()

    page.get_by_role("link", name="Scopes", exact=True).click()
    page.get_by_role("link", name="Add Scope").click()
    page.locator("input[name=name]").fill("orders:read")
    page.get_by_label("Description").fill("Read your orders")
    page.get_by_label("Include in public metadata").check()
    page.get_by_role("button", name="Create").click()
    page.get_by_text("Added scope 'orders:read'.").wait_for()

    page.get_by_role("link", name="Access Policies").click()
    page.get_by_role("link", name="Add New Access Policy").click()
    page.locator("input[name=name]").fill("Orders apps")
    page.get_by_label("The following clients:").check()
    page.get_by_label(world["app"].name).check()
    page.get_by_role("button", name="Create Policy").click()
    page.get_by_text("Added access policy 'Orders apps'.").wait_for()
    policy = Policy.objects.get(server=server)
    assert policy.clients_include == [world["app"].client_id]

    add_rule(page, "Orders apps", "Machines", access_minutes="10", grants=["Client Credentials"])
    add_rule(page, "Orders apps", "People", access_minutes="45", grants=["Authorization Code", "Refresh Token"])
    assert rule_order(page, policy.id) == ["Machines", "People"]
    people = PolicyRule.objects.get(policy=policy, name="People")
    assert (people.access_token_lifetime_minutes, people.refresh_token_lifetime_minutes) == (45, 30 * 1440)
    assert people.refresh_token_window_minutes == 2 * 1440

    page.get_by_role("button", name="Move rule People up").click()
    page.get_by_text("Moved rule 'People' to priority 1 in 'Orders apps'.").wait_for()
    assert rule_order(page, policy.id) == ["People", "Machines"]
    assert page.get_by_role("button", name="Move rule People up").is_disabled()  # the first cannot go higher
    shot(page, "server-policies")
    page.get_by_role("button", name="Move rule People down").click()
    page.get_by_text("Moved rule 'People' to priority 2 in 'Orders apps'.").wait_for()
    assert rule_order(page, policy.id) == ["Machines", "People"]
    page.get_by_role("button", name="Move rule People up").click()
    page.get_by_text("Moved rule 'People' to priority 1 in 'Orders apps'.").wait_for()

    page.get_by_role("link", name="Token Preview").click()
    page.get_by_label("OAuth/OIDC client").select_option(label=world["app"].name)
    page.get_by_label("Grant type").select_option(label="Authorization Code")
    page.get_by_label("User").fill(world["user"].username)
    for scope in ("openid", "offline_access", "orders:read"):
        page.get_by_label(scope, exact=True).check()
    page.get_by_role("button", name="Preview Token").click()
    page.locator("#preview-result").wait_for()
    assert page.locator("#preview-policy").inner_text() == "Orders apps"
    assert page.locator("#preview-rule").inner_text() == "People"
    assert page.locator("#preview-access").inner_text() == "45 minutes"
    assert page.locator("#preview-refresh").inner_text() == "30 days, expires if not used every 2 days"
    access = json.loads(page.locator("#preview-access-token").inner_text())
    assert access["aud"] == "api://orders" and access["exp"] - access["iat"] == 45 * 60
    assert "orders:read" in access["scp"] and access["uid"] == world["user"].uid
    assert json.loads(page.locator("#preview-id-token").inner_text())["aud"] == world["app"].client_id
    shot(page, "server-token-preview")

    # The other grant: the rule for machines, and no ID token.
    page.get_by_label("Grant type").select_option(label="Client Credentials")
    page.get_by_label("openid", exact=True).uncheck()
    page.get_by_label("offline_access", exact=True).uncheck()
    page.get_by_role("button", name="Preview Token").click()
    page.locator("#preview-rule").filter(has_text="Machines").wait_for()
    assert page.locator("#preview-access").inner_text() == "10 minutes"
    assert page.locator("#preview-id-token").count() == 0
