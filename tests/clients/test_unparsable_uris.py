"""A redirect URI whose port or host cannot be parsed is "not allowed", never a 500: at /authorize,
at logout, and when an app registers it."""

import pytest

from clients.validation import AppValidationError, validate_app

BAD = [
    "https://app.example.com:99999/callback",
    "https://app.example.com:abc/callback",
    "https://[::1/callback",
]


@pytest.mark.parametrize("uri", BAD)
def test_authorize_with_an_unparsable_redirect_uri_shows_the_error_page(client, confidential_app, uri):
    response = client.get(
        "/oauth2/v1/authorize",
        {"client_id": confidential_app.client_id, "redirect_uri": uri, "response_type": "code", "scope": "openid"},
    )
    assert response.status_code == 400
    assert "Login redirect URI" in response.content.decode()


@pytest.mark.parametrize("uri", BAD)
def test_logout_with_an_unparsable_target_shows_the_error_page(client, confidential_app, end_user, uri):
    from tokens.oauth import minting
    from tokens.servers.registry import get_server

    hint = minting.mint_id_token(
        get_server("org"), client_id=confidential_app.client_id, user=end_user, scopes=["openid"], auth_time=0
    )
    response = client.get("/oauth2/v1/logout", {"id_token_hint": hint, "post_logout_redirect_uri": uri})
    assert response.status_code == 400
    assert "sign-out redirect URI" in response.content.decode()


@pytest.mark.parametrize("uri", BAD)
def test_an_app_cannot_register_an_unparsable_uri(db, uri):
    data = {"label": "x", "application_type": "web", "redirect_uris": [uri], "trusted_origins": []}
    with pytest.raises(AppValidationError) as exc:
        validate_app(data)
    assert "cannot be read" in " ".join(exc.value.errors["redirect_uris"])


@pytest.mark.parametrize("origin", ["https://spa.example.com:70000", "https://[::1"])
def test_an_app_cannot_trust_an_unparsable_origin(db, origin):
    data = {"label": "x", "application_type": "browser", "redirect_uris": ["https://spa.example.com/cb"]}
    with pytest.raises(AppValidationError) as exc:
        validate_app(data | {"trusted_origins": [origin]})
    assert "cannot be read" in " ".join(exc.value.errors["trusted_origins"])
