"""/healthz answers without a database; /readyz checks the database and every server's signing key."""

import json
from unittest import mock

import pytest
from django.db import OperationalError, connection

from config.wsgi import MACHINE_PATHS
from tokens.models import SigningKey
from tokens.servers import keys


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_ops_endpoints_take_the_lean_handler(path):
    assert MACHINE_PATHS.match(path)


def test_healthz_touches_no_database(client):
    """No `db` fixture: pytest-django refuses any database access, and the connection is broken too."""
    with mock.patch.object(connection, "ensure_connection", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readyz_reports_what_it_checked(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checked": {"database": "ok", "signing_keys": ["org", "default"]}}


@pytest.mark.django_db
def test_readyz_is_503_when_a_key_does_not_decrypt(client, settings):
    for server in ("org", "default"):
        keys.signing_key(server)
    keys.clear_cache()
    settings.ROTOR_KEY_ENCRYPTION_SECRET = "not the secret the keys were encrypted with"
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == "signing_keys"
    assert "'org'" in body["reason"] and "cannot be decrypted" in body["reason"]
    assert body["checked"] == {"database": "ok"}
    text = response.content.decode()
    assert "Traceback" not in text and "InvalidToken" not in text
    for row in SigningKey.objects.all():
        assert row.private_key_encrypted[:40] not in text
        assert row.public_jwk["n"][:40] not in text


@pytest.mark.django_db
def test_readyz_is_503_naming_the_database_when_it_is_down(client):
    keys.signing_key("org")  # cached: the key check would pass, so only the database check can fail
    error = OperationalError('connection to server at "db.internal" (10.1.2.3), port 5432 failed')
    with mock.patch.object(connection, "cursor", side_effect=error):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body == {
        "status": "unavailable",
        "failed": "database",
        "reason": "the database does not answer (OperationalError)",
        "checked": {},
    }
    assert "db.internal" not in json.dumps(body)
