"""Console: the Client Credentials panel: two secrets (generate, deactivate with a confirmation, delete) and
public keys for private_key_jwt (paste a JWK or PEM; kid, status and RFC 7638 thumbprint)."""

import re

from clients import credentials
from clients.hashers import verifies
from clients.models import Application
from core.publickeys import thumbprint
from tests.kit.console import text
from tests.kit.keys import new_key


def page(console_client, app) -> str:
    return text(console_client.get(f"/console/apps/{app.public_id}/"))


def test_the_panel_lists_the_secret_by_its_hash_never_its_value(console_client, confidential_app):
    body = page(console_client, confidential_app)
    secret = confidential_app.secrets.get()
    assert f"{secret.secret_hash[:8]}…" in body and secret.public_id in body
    assert confidential_app.plain_secret not in body
    assert "Generate new secret" in body and "Public keys" in body


def test_generate_keeps_the_old_secret_and_shows_the_new_one_once(console_client, confidential_app):
    response = console_client.post(f"/console/apps/{confidential_app.public_id}/secret/")
    shown = text(console_client.get(response["Location"]))
    new = re.search(r'<code id="new-secret">([^<]+)</code>', shown).group(1)
    stored = Application.objects.get(pk=confidential_app.pk).client_secret
    assert verifies(new, stored) and verifies(confidential_app.plain_secret, stored)
    assert "The other one keeps working" in shown

    again = page(console_client, confidential_app)
    assert new not in again
    assert "at most 2 secrets" in again and "Generate new secret" not in again  # two is the limit


def test_deactivating_asks_first_then_the_secret_stops_working(console_client, confidential_app):
    credentials.create_secret(confidential_app)
    old = confidential_app.secrets.order_by("created", "id").first()
    url = f"/console/apps/{confidential_app.public_id}/secrets/{old.public_id}/deactivate/"

    confirm = console_client.get(url)
    assert confirm.status_code == 200 and "Deactivate this client secret?" in text(confirm)
    old.refresh_from_db()
    assert old.is_active  # the GET changed nothing

    done = console_client.post(url, follow=True)
    assert "Deactivated the client secret. It no longer works." in text(done)
    stored = Application.objects.get(pk=confidential_app.pk).client_secret
    assert not verifies(confidential_app.plain_secret, stored)


def test_the_only_active_secret_cannot_be_deactivated(console_client, confidential_app):
    only = confidential_app.secrets.get()
    url = f"/console/apps/{confidential_app.public_id}/secrets/{only.public_id}/deactivate/"
    body = text(console_client.post(url, follow=True))
    assert "only active client secret" in body
    only.refresh_from_db()
    assert only.is_active


def test_delete_an_inactive_secret_and_activate_again(console_client, confidential_app):
    credentials.create_secret(confidential_app)
    old = confidential_app.secrets.order_by("created", "id").first()
    credentials.set_status(confidential_app, old, "INACTIVE")
    activate = console_client.post(
        f"/console/apps/{confidential_app.public_id}/secrets/{old.public_id}/activate/", follow=True
    )
    assert "Activated the client secret." in text(activate)
    credentials.set_status(confidential_app, old, "INACTIVE")
    delete_url = f"/console/apps/{confidential_app.public_id}/secrets/{old.public_id}/delete/"
    assert "Delete this client secret?" in text(console_client.get(delete_url))
    assert "Deleted the secret." in text(console_client.post(delete_url, follow=True))
    assert confidential_app.secrets.count() == 1


def test_paste_a_pem_public_key_and_see_its_kid_status_and_thumbprint(console_client, confidential_app):
    key = new_key("EC")
    response = console_client.post(
        f"/console/apps/{confidential_app.public_id}/keys/", {"public_key": key.public_pem}, follow=True
    )
    body = text(response)
    row = confidential_app.json_web_keys.get()
    assert "Added the public key." in body
    assert row.kid == thumbprint(row.jwk)  # a PEM has no kid: the thumbprint names it
    assert f"<code>{row.kid}</code>" in body and "ACTIVE" in body and row.thumbprint in body
    assert "EC P-256" in body


def test_paste_a_jwk_keeps_its_kid(console_client, confidential_app):
    import json

    key = new_key("RSA", kid="signing-2026")
    console_client.post(f"/console/apps/{confidential_app.public_id}/keys/", {"public_key": json.dumps(key.public_jwk)})
    assert confidential_app.json_web_keys.get().kid == "signing-2026"


def test_a_private_key_is_refused_with_a_readable_message(console_client, confidential_app):
    import json

    key = new_key("RSA")
    for pasted in (key.private_pem.decode(), json.dumps(key.private_jwk), "hello"):
        body = text(
            console_client.post(
                f"/console/apps/{confidential_app.public_id}/keys/", {"public_key": pasted}, follow=True
            )
        )
        assert "private key" in body or "neither a JWK nor a PEM" in body, pasted[:30]
    assert confidential_app.json_web_keys.count() == 0


def test_key_deactivate_asks_first_and_delete_after(console_client, confidential_app):
    key = credentials.add_key(confidential_app, new_key("RSA").public_jwk)
    url = f"/console/apps/{confidential_app.public_id}/keys/{key.public_id}/deactivate/"
    assert "Deactivate this public key?" in text(console_client.get(url))
    assert f"Deactivated the key {key.kid}." in text(console_client.post(url, follow=True))
    delete_url = f"/console/apps/{confidential_app.public_id}/keys/{key.public_id}/delete/"
    assert f"Deleted the key {key.kid}." in text(console_client.post(delete_url, follow=True))
    assert confidential_app.json_web_keys.count() == 0


def test_choose_private_key_jwt_with_a_key_then_authenticate_with_it(console_client, client, settings):
    from urllib.parse import urlencode

    from tests.kit.keys import assertion_params
    from tokens.servers.registry import get_server

    settings.ROTOR_CUSTOM_SCOPES = ["reports.read"]
    key = new_key("RSA")
    response = console_client.post(
        "/console/apps/new/service/",
        {
            "label": "Signed export",
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": key.public_pem,
            "grant_types": ["client_credentials"],
        },
    )
    assert response.status_code == 302, text(response)
    app = Application.objects.get(name="Signed export")
    assert app.token_endpoint_auth_method == "private_key_jwt" and app.secrets.count() == 0
    shown = text(console_client.get(response["Location"]))
    assert 'id="new-secret"' not in shown and "Public key / private key (signed JWT)" in shown

    row = app.json_web_keys.get()
    assertion = key.assertion(app.client_id, get_server("default").endpoint("token"), headers={"kid": row.kid})
    token = client.post(
        "/oauth2/default/v1/token",
        urlencode({"grant_type": "client_credentials", **assertion_params(assertion)}),
        content_type="application/x-www-form-urlencoded",
    )
    assert token.status_code == 200, token.json()


def test_private_key_jwt_without_a_key_is_refused_beside_the_field(console_client):
    response = console_client.post(
        "/console/apps/new/service/",
        {"label": "Keyless", "token_endpoint_auth_method": "private_key_jwt", "grant_types": ["client_credentials"]},
    )
    assert response.status_code == 400
    assert "needs a public key or a JWKS URI" in text(response)
    assert not Application.objects.filter(name="Keyless").exists()


def test_a_pasted_private_key_on_create_is_refused(console_client):
    key = new_key("RSA")
    response = console_client.post(
        "/console/apps/new/service/",
        {
            "label": "Leaky",
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": key.private_pem.decode(),
            "grant_types": ["client_credentials"],
        },
    )
    assert response.status_code == 400 and "This is a private key" in text(response)
    assert not Application.objects.filter(name="Leaky").exists()
