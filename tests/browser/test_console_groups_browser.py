"""Groups and app assignments in real Chromium against a real gunicorn: the admin makes a group, adds the
user by search, gives the app to that group instead of Everyone; the user signs in through the group;
removing them from the group (behind a confirmation counting the family) ends their refresh token and
their next sign-in is refused with Okta's error."""

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.browser.test_console_browser import (  # noqa: F401  (fixtures shared with the console's main scenarios)
    APP_ORIGIN,
    CALLBACK,
    USER_PASSWORD,
    admin_page,
    app_sign_in,
    create_spa,
    people,
    refresh,
    shot,
)
from tests.kit.oauth import pkce_pair

pytestmark = [pytest.mark.live, pytest.mark.browser]


def refused_sign_in(chromium, base: str, client_id: str, person) -> dict:
    """A sign-in that comes back to the app without a code: the redirect's query."""
    _, challenge = pkce_pair()
    query = urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "redirect_uri": CALLBACK,
            "scope": "openid offline_access",
            "state": "state-2",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    context = chromium.new_context()
    context.route(
        f"{APP_ORIGIN}/**", lambda route: route.fulfill(status=200, body="<p>Back</p>", content_type="text/html")
    )
    page = context.new_page()
    page.goto(f"{base}/oauth2/v1/authorize?{query}")
    page.get_by_label("Username").fill(person.username)
    page.get_by_label("Password").fill(USER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{CALLBACK}?*")
    params = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
    context.close()
    return params


def test_admin_limits_an_app_to_a_group_and_removing_the_member_ends_their_access(
    admin_page,  # noqa: F811  (the imported fixtures)
    chromium,
    live,
    people,  # noqa: F811
):
    page, tag, user = admin_page, people["tag"], people["user"]
    client_id = create_spa(page, f"Contractor portal {tag}")
    app_url = page.url

    # Directory → Groups → Add group, then add the user found by search.
    page.get_by_role("link", name="Groups").click()
    page.get_by_role("link", name="Add group").click()
    page.get_by_label("Name").fill(f"Contractors {tag}")
    page.get_by_label("Description").fill("External staff")
    page.get_by_role("button", name="Add group").click()
    page.get_by_text(f"Created group Contractors {tag}.").wait_for()
    group_url = page.url
    page.get_by_label("Search").fill(user.username[:12])
    page.get_by_role("button", name="Find users").click()
    page.get_by_role("button", name=f"Add {user.username}").click()
    page.get_by_text(f"Added {user.username} to Contractors {tag}.").wait_for()
    assert page.get_by_role("cell", name=user.username).is_visible()
    shot(page, "group-members")

    # The app's Assignments tab: assign the group, unassign Everyone (no one has tokens yet).
    page.goto(app_url)
    page.get_by_role("link", name="Assignments").click()
    page.get_by_label("Assign a group").fill(f"Contractors {tag}")
    page.get_by_role("button", name="Find groups").click()
    page.get_by_role("button", name=f"Assign Contractors {tag}").click()
    page.get_by_text(f"Assigned Contractors {tag} to Contractor portal {tag}.").wait_for()
    page.get_by_role("row").filter(has_text="Everyone").get_by_role("link", name="Remove").click()
    assert "This revokes 0 token families" in page.inner_text("main")
    page.get_by_role("button", name="Unassign and revoke 0 token families").click()
    page.get_by_text(f"Unassigned Everyone from Contractor portal {tag}; revoked 0 token families.").wait_for()
    shot(page, "app-assignments")

    tokens = app_sign_in(chromium, live.url, client_id, user)  # in through the group

    # Remove the member: the confirmation counts the family it revokes.
    page.goto(group_url)
    page.get_by_role("row").filter(has_text=user.username).get_by_role("link", name="Remove").click()
    assert "This revokes 1 token family" in page.inner_text("main")
    page.get_by_role("button", name="Remove and revoke 1 token family").click()
    page.get_by_text(f"Removed {user.username} from Contractors {tag}; revoked 1 token family.").wait_for()

    assert refresh(live.url, client_id, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert refused_sign_in(chromium, live.url, client_id, user) == {
        "error": "access_denied",
        "error_description": "User is not assigned to the client application.",
        "state": "state-2",
    }

    # The user's page: Everyone only, and not this app.
    page.goto(f"{live.url}/console/users/{user.uid}/")
    groups_card = page.locator("section").filter(has=page.get_by_role("heading", name="Groups"))
    assert "Everyone" in groups_card.inner_text() and f"Contractors {tag}" not in groups_card.inner_text()
    assert f"Contractor portal {tag}" not in groups_card.inner_text()
