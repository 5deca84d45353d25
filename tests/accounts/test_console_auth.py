"""Who may use the console: staff only; everyone else is sent to sign in or refused."""

import pytest
from django.test import Client

CONSOLE_PAGES = [
    "/console/",
    "/console/apps/",
    "/console/apps/new/",
    "/console/apps/new/web/",
    "/console/users/",
    "/console/users/new/",
    "/console/security/authorization-servers/",
    "/console/security/authorization-servers/default/rotate/",
    "/console/security/api-tokens/",
    "/console/system-log/",
]


def app_pages(app):
    return [
        f"/console/apps/{app.public_id}/",
        f"/console/apps/{app.public_id}/edit/",
        f"/console/apps/{app.public_id}/secret/",
        f"/console/apps/{app.public_id}/deactivate/",
        f"/console/apps/{app.public_id}/delete/",
        f"/console/apps/{app.public_id}/tokens/",
        f"/console/apps/{app.public_id}/tokens/revoke/",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("url", CONSOLE_PAGES)
def test_signed_out_visitor_is_sent_to_console_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/console/login/?next=")


@pytest.mark.parametrize("url", CONSOLE_PAGES)
def test_non_staff_user_gets_403_page(client, other_user, url):
    client.force_login(other_user)
    response = client.get(url)
    assert response.status_code == 403
    assert "Access denied" in response.content.decode()


def test_non_staff_cannot_reach_app_pages_or_post_actions(client, other_user, confidential_app):
    client.force_login(other_user)
    for url in app_pages(confidential_app):
        assert client.get(url).status_code == 403, url
        assert client.post(url).status_code == 403, url
    confidential_app.refresh_from_db()
    assert confidential_app.is_active


def test_signed_out_post_changes_nothing(client, confidential_app):
    response = client.post(f"/console/apps/{confidential_app.public_id}/deactivate/")
    assert response.status_code == 302
    confidential_app.refresh_from_db()
    assert confidential_app.is_active


def test_sign_in_page_renders_a_form_with_labels(client, db):
    response = client.get("/console/login/")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<label for="id_username">' in body and '<label for="id_password">' in body
    assert "csrfmiddlewaretoken" in body


def test_admin_signs_in_and_lands_on_the_dashboard(client, owner):
    response = client.post("/console/login/", {"username": owner.username, "password": "correct horse battery"})
    assert response.status_code == 302
    assert response["Location"] == "/console/"
    assert client.get("/console/").status_code == 200


def test_an_admin_already_signed_in_goes_on_to_the_console(console_client):
    response = console_client.get("/console/login/")
    assert response.status_code == 302 and response["Location"] == "/console/"
    onward = console_client.get("/console/login/", {"next": "/console/users/"})
    assert onward["Location"] == "/console/users/"
    elsewhere = console_client.get("/console/login/", {"next": "https://evil.test/"})
    assert elsewhere["Location"] == "/console/"


def test_a_signed_in_end_user_still_gets_the_console_sign_in_form(client, other_user):
    client.force_login(other_user)
    response = client.get("/console/login/")
    assert response.status_code == 200 and '<label for="id_username">' in response.content.decode()


def test_sign_in_follows_next_within_the_site(client, owner):
    response = client.post(
        "/console/login/?next=/console/users/",
        {"username": owner.username, "password": "correct horse battery", "next": "/console/users/"},
    )
    assert response["Location"] == "/console/users/"


def test_sign_in_ignores_next_to_another_site(client, owner):
    response = client.post(
        "/console/login/",
        {"username": owner.username, "password": "correct horse battery", "next": "https://evil.test/"},
    )
    assert response["Location"] == "/console/"


def test_wrong_password_shows_an_error_and_does_not_sign_in(client, owner):
    response = client.post("/console/login/", {"username": owner.username, "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert client.get("/console/").status_code == 302


def test_non_staff_cannot_sign_in_to_the_console(client, other_user):
    response = client.post("/console/login/", {"username": other_user.username, "password": "mallory password 1"})
    assert response.status_code == 200
    assert "cannot sign in to the console" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_out_ends_the_session(console_client):
    response = console_client.post("/console/logout/", follow=True)
    assert response.redirect_chain[-1][0] == "/console/login/"
    assert "You are signed out." in response.content.decode()
    assert console_client.get("/console/").status_code == 302


def test_sign_out_by_get_is_refused(console_client):
    assert console_client.get("/console/logout/").status_code == 405
    assert console_client.get("/console/").status_code == 200


def test_forms_without_csrf_token_are_rejected(owner, confidential_app):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    response = browser.post(f"/console/apps/{confidential_app.public_id}/deactivate/")
    assert response.status_code == 403
    confidential_app.refresh_from_db()
    assert confidential_app.is_active


def test_every_console_form_carries_a_csrf_token(console_client, confidential_app):
    for url in ["/console/apps/new/web/", f"/console/apps/{confidential_app.public_id}/edit/", "/console/users/new/"]:
        body = console_client.get(url).content.decode()
        assert body.count("<form") == body.count("csrfmiddlewaretoken") + body.count('method="get"'), url


def test_session_cookie_is_httponly_and_samesite_lax(client, owner):
    response = client.post("/console/login/", {"username": owner.username, "password": "correct horse battery"})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_unknown_console_page_is_a_friendly_404(console_client):
    response = console_client.get("/console/apps/0oaDoesNotExist/")
    assert response.status_code == 404
    assert "Not found" in response.content.decode()


def test_403_page_offers_non_staff_a_way_to_sign_in_as_an_admin(client, other_user):
    client.force_login(other_user)
    body = client.get("/console/").content.decode()
    assert "You are signed in as mallory@example.com" in body
    assert 'action="/console/logout/"' in body and "csrfmiddlewaretoken" in body


def test_csrf_failure_is_a_friendly_403(owner):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    response = browser.post("/console/security/api-tokens/", {"name": "x"})
    assert response.status_code == 403
    assert "The form expired" in response.content.decode()
