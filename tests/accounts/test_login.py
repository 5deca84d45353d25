"""The end-user sign-in page at /accounts/login/: a plain form with username, password and CSRF."""

import re
import time

from django.test import Client

LOGIN = "/accounts/login/"


def test_page_is_a_plain_form_with_csrf(db):
    browser = Client(enforce_csrf_checks=True)

    response = browser.get(LOGIN)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="username"' in page and 'name="password"' in page
    assert re.search(r'name="csrfmiddlewaretoken" value="[^"]+"', page)


def test_sign_in_with_the_csrf_token_works_and_records_auth_time(end_user):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(LOGIN).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    response = browser.post(
        LOGIN, {"username": end_user.username, "password": "alice password 1", "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    assert browser.session["_auth_user_id"] == str(end_user.pk)
    assert abs(browser.session["auth_time"] - time.time()) < 5


def test_sign_in_without_csrf_token_is_refused(end_user):
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(LOGIN, {"username": end_user.username, "password": "alice password 1"})

    assert response.status_code == 403
    assert "_auth_user_id" not in browser.session


def test_wrong_password_and_unknown_user_get_the_same_answer(client, end_user):
    wrong = client.post(LOGIN, {"username": end_user.username, "password": "not it"})
    unknown = client.post(LOGIN, {"username": "nobody@example.com", "password": "not it"})

    assert wrong.status_code == unknown.status_code == 200
    error = re.compile(rb'role="alert">([^<]+)<')
    assert error.search(wrong.content).group(1) == error.search(unknown.content).group(1)
    assert "_auth_user_id" not in client.session


def test_deactivated_user_cannot_sign_in(client, end_user):
    from accounts.services import deactivate_user

    deactivate_user(end_user)

    response = client.post(LOGIN, {"username": end_user.username, "password": "alice password 1"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
