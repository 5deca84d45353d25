"""The Client Credentials panel in Chromium against gunicorn: an admin adds a second secret, both work, the
old one is deactivated (after a confirmation) and stops working; then a public key is pasted and the
service authenticates with private_key_jwt."""

import base64
import uuid

import pytest
import requests

from tests.kit.keys import assertion_params, new_key

pytestmark = [pytest.mark.live, pytest.mark.browser]
PASSWORD = "console admin password 1"


@pytest.fixture
def admin_page(chromium, live, live_db):
    from accounts.services import create_user

    tag = uuid.uuid4().hex[:8]
    admin = create_user(
        username=f"keys-{tag}@example.com", email=f"keys-{tag}@example.com", password=PASSWORD, is_staff=True
    )
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=live.url)
    page = context.new_page()
    page.goto("/console/")
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live.url}/console/")
    yield page
    context.close()


def cc(live, client_id, secret) -> int:
    auth = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    response = requests.post(
        f"{live.url}/oauth2/default/v1/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": auth},
    )
    return response.status_code


def test_two_secrets_then_a_key_in_the_browser(admin_page, live):
    from clients.services import create_app

    app, first = create_app(
        {
            "label": f"Browser svc {uuid.uuid4().hex[:6]}",
            "application_type": "service",
            "grant_types": ["client_credentials"],
        }
    )
    page = admin_page
    page.goto(f"/console/apps/{app.public_id}/")
    page.get_by_role("link", name="Generate new secret").click()
    page.get_by_role("button", name="Generate new secret").click()
    second = page.locator("#new-secret").inner_text().strip()
    assert cc(live, app.client_id, first) == 200 and cc(live, app.client_id, second) == 200
    assert page.locator("#client-secrets tbody tr").count() == 2
    assert page.locator("#secrets-full").is_visible()

    page.locator("#client-secrets tbody tr").first.get_by_role("link", name="Deactivate").click()
    assert page.get_by_role("heading", name="Deactivate this client secret?").is_visible()
    page.get_by_role("button", name="Deactivate secret").click()
    assert page.get_by_text("Deactivated the client secret. It no longer works.").is_visible()
    assert cc(live, app.client_id, first) == 401 and cc(live, app.client_id, second) == 200

    key = new_key("EC")
    page.get_by_label("Add a public key").fill(key.public_pem)
    page.get_by_role("button", name="Add key").click()
    assert page.get_by_text("Added the public key.").is_visible()
    row = page.locator("#public-keys tbody tr").first
    kid = row.locator("td").first.inner_text().strip()
    assert "ACTIVE" in row.inner_text() and "EC P-256" in row.inner_text()

    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Public key / private key", exact=False).check()
    page.get_by_role("button", name="Save").click()
    assert "private_key_jwt" in page.locator("section[aria-labelledby=credentials-title]").inner_text()

    token_url = f"{live.url}/oauth2/default/v1/token"
    key.kid = kid
    data = {"grant_type": "client_credentials", **assertion_params(key.assertion(app.client_id, token_url))}
    assert requests.post(token_url, data=data).status_code == 200
    assert cc(live, app.client_id, second) == 401  # its secrets no longer count: it registered a key
