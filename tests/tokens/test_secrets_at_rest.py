"""A full dump of the database holds no usable token, code or secret (issue 2, "Tokens and secrets")."""

import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from django.db import connection

from tests.kit.oauth import authorize_code, exchange, refresh
from tokens.models import SigningKey
from tokens.servers import keys


def dump_database() -> str:
    """Everything the database holds, as text: pg_dump on PostgreSQL, iterdump on SQLite."""
    if connection.vendor == "postgresql":
        if shutil.which("pg_dump") is None:
            pytest.fail("pg_dump is needed to dump the PostgreSQL test database")
        db = connection.settings_dict
        command = ["pg_dump", "-h", db["HOST"] or "127.0.0.1", "-U", db["USER"] or "postgres", db["NAME"]]
        if db.get("PORT"):
            command[1:1] = ["-p", str(db["PORT"])]
        env = {"PATH": "/usr/bin:/bin", "PGPASSWORD": db.get("PASSWORD") or ""}
        return subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
    connection.ensure_connection()
    return "\n".join(connection.connection.iterdump())


@pytest.fixture
def full_flow(transactional_db, client, make_app, end_user):
    """Committed data: a web app, a ROTATE single-page app, their tokens, and an API token."""
    from accounts.services import create_api_token

    web, secret = make_app(label="Dumped web app", grant_types=["authorization_code", "refresh_token"])
    spa, _ = make_app(
        label="Dumped SPA",
        application_type="browser",
        grant_types=["authorization_code", "refresh_token"],
        rotation_type="ROTATE",
    )
    client.force_login(end_user)
    web_grant = authorize_code(client, web)
    spa_grant = authorize_code(client, spa)
    web_tokens = exchange(client, web, web_grant, secret=secret).json()
    spa_tokens = exchange(client, spa, spa_grant).json()
    rotated = refresh(client, spa, spa_tokens["refresh_token"]).json()
    refresh(client, web, web_tokens["refresh_token"], secret=secret)
    _, api_token = create_api_token(end_user, "CI")
    return {
        "client secret": secret,
        "web authorization code": web_grant["code"],
        "SPA authorization code": spa_grant["code"],
        "web refresh token": web_tokens["refresh_token"],
        "SPA refresh token": spa_tokens["refresh_token"],
        "rotated SPA refresh token": rotated["refresh_token"],
        "API token": api_token,
        "user password": "alice password 1",
    }


def test_dump_contains_no_token_code_or_secret(full_flow):
    dump = dump_database()

    assert "Dumped web app" in dump  # the dump is real and has the data
    leaked = [name for name, value in full_flow.items() if value in dump]
    assert leaked == []


def test_dump_contains_no_private_signing_key(full_flow):
    dump = dump_database()

    rows = list(SigningKey.objects.all())
    assert len(rows) == 2  # ACTIVE and NEXT of the org server
    for row in rows:
        pem = keys._decrypt(row).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        body = pem.decode().splitlines()[1:-1]
        assert not any(line in dump for line in body)
        assert row.private_key_encrypted in dump  # only the Fernet ciphertext is there
    assert "PRIVATE KEY" not in dump
