"""Secrets posted to the sign-in pages, the console's user-create page and the token endpoint never reach an error
report: Django's report filter shows them starred."""

import pytest
from django.views.debug import SafeExceptionReporterFilter

HIDDEN = "********************"


def reported(response) -> dict:
    """The POST parameters as an error report for the request this response answered would show them."""
    return SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)


@pytest.mark.parametrize("url", ["/accounts/login/", "/console/login/"])
def test_sign_in_password_is_hidden(client, owner, url):
    response = client.post(url, {"username": "admin@example.com", "password": "correct horse battery"})

    assert response.status_code == 302
    assert reported(response)["password"] == HIDDEN


def test_console_user_create_password_is_hidden(console_client):
    response = console_client.post("/console/users/new/", {"username": "bob", "password": "a long enough password"})

    assert response.status_code == 302
    assert reported(response)["password"] == HIDDEN
    assert reported(response)["username"] == "bob"  # only the secret is hidden


def test_token_endpoint_client_secret_is_hidden(client, make_app):
    """An app that sends its secret in the body (client_secret_post), as only such an app may."""
    app, secret = make_app(label="Posts its secret", token_endpoint_auth_method="client_secret_post")
    data = {
        "grant_type": "authorization_code",
        "code": "not-a-code",
        "redirect_uri": "https://app.example.com/callback",
        "client_id": app.client_id,
        "client_secret": secret,
    }
    response = client.post("/oauth2/v1/token", data)

    assert response.status_code == 400
    assert reported(response)["client_secret"] == HIDDEN
    assert reported(response)["code"] == HIDDEN
    assert reported(response)["client_id"] == app.client_id
