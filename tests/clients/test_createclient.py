"""`manage.py createclient`: the shared client rules, /api/v1/apps JSON on stdout, errors exit non-zero."""

import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command

from clients.models import Application
from tests.kit.live import ROOT, database_url


def createclient(*args) -> dict:
    out = StringIO()
    call_command("createclient", *args, stdout=out)
    return json.loads(out.getvalue())


def run_manage(*args) -> subprocess.CompletedProcess:
    """The command as an operator runs it: a separate process on the test database."""
    env = dict(os.environ, DATABASE_URL=database_url(), SECRET_KEY="createclient-test", DEBUG="0")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_web_app_is_printed_with_its_secret(db):
    body = createclient(
        "--label",
        "Billing portal",
        "--type",
        "web",
        "--grant-type",
        "authorization_code",
        "--grant-type",
        "refresh_token",
        "--redirect-uri",
        "https://billing.example.com/callback",
    )

    app = Application.objects.get()
    assert body["id"] == app.public_id and body["id"].startswith("0oa")
    assert body["label"] == "Billing portal" and body["status"] == "ACTIVE"
    assert body["name"] == "oidc_client" and body["signOnMode"] == "OPENID_CONNECT"
    credentials = body["credentials"]["oauthClient"]
    assert credentials["client_id"] == app.client_id
    assert credentials["token_endpoint_auth_method"] == "client_secret_basic"
    assert check_password(credentials["client_secret"], app.client_secret)
    assert credentials["client_secret"] not in app.client_secret
    oauth = body["settings"]["oauthClient"]
    assert oauth["application_type"] == "web"
    assert oauth["grant_types"] == ["authorization_code", "refresh_token"]
    assert oauth["redirect_uris"] == ["https://billing.example.com/callback"]
    assert oauth["refresh_token"] == {"rotation_type": "STATIC", "leeway": 30}
    assert oauth["consent_method"] == "TRUSTED"


def test_every_option_reaches_the_app(db):
    body = createclient(
        "--label",
        "Dashboard",
        "--type",
        "browser",
        "--grant-type",
        "authorization_code",
        "--grant-type",
        "refresh_token",
        "--redirect-uri",
        "https://dash.example.com/cb",
        "--origin",
        "https://dash.example.com",
        "--rotation",
        "ROTATE",
        "--leeway",
        "10",
        "--consent",
        "REQUIRED",
    )

    app = Application.objects.get()
    assert "client_secret" not in body["credentials"]["oauthClient"]
    assert body["credentials"]["oauthClient"]["token_endpoint_auth_method"] == "none"
    assert body["credentials"]["oauthClient"]["pkce_required"] is True
    assert body["settings"]["oauthClient"]["refresh_token"] == {"rotation_type": "ROTATE", "leeway": 10}
    assert app.trusted_origin_list == ["https://dash.example.com"]
    assert app.consent_method == "REQUIRED" and app.is_public and app.client_secret == ""


def test_client_secret_post_and_a_chosen_client_id(db):
    body = createclient(
        "--label",
        "Nightly export",
        "--type",
        "service",
        "--grant-type",
        "client_credentials",
        "--auth-method",
        "client_secret_post",
        "--client-id",
        "nightly-export",
    )

    assert body["credentials"]["oauthClient"]["client_id"] == "nightly-export"
    assert body["credentials"]["oauthClient"]["token_endpoint_auth_method"] == "client_secret_post"
    assert Application.objects.get().client_id == "nightly-export"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--type", "web", "--grant-type", "authorization_code"], "redirect_uris: At least one sign-in redirect URI"),
        (
            ["--type", "browser", "--grant-type", "client_credentials", "--redirect-uri", "https://a.example/cb"],
            "grant_types: 'client_credentials' is not allowed for this app type.",
        ),
        (
            ["--type", "service", "--grant-type", "client_credentials", "--auth-method", "none"],
            "token_endpoint_auth_method: Web and API service apps must authenticate with a client secret or a key.",
        ),
        (
            ["--type", "web", "--grant-type", "authorization_code", "--redirect-uri", "https://a.example/cb#x"],
            "must not contain a fragment",
        ),
        (
            ["--type", "web", "--grant-type", "authorization_code", "--grant-type", "refresh_token"]
            + ["--redirect-uri", "https://a.example/cb", "--leeway", "61"],
            "leeway: The grace period must be a whole number of seconds from 0 to 60.",
        ),
        (["--type", "service", "--grant-type", "password"], "grant_types: 'password' is not a supported grant type."),
    ],
)
def test_invalid_arguments_raise_the_validation_message(db, args, message):
    with pytest.raises(CommandError) as raised:
        call_command("createclient", "--label", "Broken", *args, stdout=StringIO())

    assert message in str(raised.value)
    assert Application.objects.count() == 0


def test_duplicate_client_id_is_refused(db):
    createclient("--label", "First", "--type", "service", "--grant-type", "client_credentials", "--client-id", "dup-id")

    with pytest.raises(CommandError, match="client_id: An app with this client ID already exists."):
        createclient(
            "--label", "Second", "--type", "service", "--grant-type", "client_credentials", "--client-id", "dup-id"
        )

    assert Application.objects.count() == 1


def test_bad_arguments_exit_non_zero_with_the_message_on_stderr(db):
    result = run_manage("createclient", "--label", "Broken", "--type", "web", "--grant-type", "authorization_code")

    assert result.returncode != 0
    assert result.stdout == ""
    assert "redirect_uris: At least one sign-in redirect URI is required" in result.stderr


def test_unknown_type_exits_non_zero(db):
    result = run_manage("createclient", "--label", "Broken", "--type", "mainframe")

    assert result.returncode != 0
    assert "--type" in result.stderr and "mainframe" in result.stderr


def test_missing_label_exits_non_zero(db):
    result = run_manage("createclient", "--type", "web")

    assert result.returncode != 0
    assert "--label" in result.stderr
