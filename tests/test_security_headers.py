"""Headers and sessions every page gets: a strict CSP, no caching of the console and the API, HSTS
over https, admin sessions that end, and session keys a database dump cannot use."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.utils import timezone

from core.sessions import stored_key

ROOT = Path(__file__).resolve().parent.parent

CONSOLE_PAGES = [
    "/console/",
    "/console/apps/",
    "/console/apps/new/",
    "/console/users/",
    "/console/users/new/",
    "/console/security/api-tokens/",
    "/console/security/authorization-servers/",
    "/console/system-log/",
]


def _directives(header: str) -> dict[str, list[str]]:
    parts = [p.strip().split() for p in header.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


@pytest.mark.parametrize("path", CONSOLE_PAGES + ["/console/login/", "/accounts/login/"])
def test_every_page_has_a_strict_content_security_policy(console_client, path):
    if path == "/console/login/":
        console_client.logout()  # a signed-in admin is sent on to the dashboard; the form is for the signed-out
    response = console_client.get(path)
    assert response.status_code == 200
    policy = _directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


@pytest.mark.parametrize("path", CONSOLE_PAGES)
def test_console_pages_are_never_cached(console_client, path):
    assert "no-store" in console_client.get(path)["Cache-Control"]


def test_the_management_api_is_never_cached(api_client):
    response = api_client.get("/api/v1/apps")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_no_template_has_inline_script_or_style():
    """The CSP allows neither, so an inline handler or style attribute would silently stop working."""
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        inline_script = re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text)
        handler = re.search(r"\son[a-z]+\s*=", text)
        style = re.search(r"\sstyle\s*=|<style", text)
        if inline_script or handler or style:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_form_post_submits_through_a_same_origin_script(client, confidential_app, end_user):
    client.force_login(end_user)
    response = client.get(
        "/oauth2/v1/authorize",
        {
            "client_id": confidential_app.client_id,
            "redirect_uri": "https://app.example.com/callback",
            "response_type": "code",
            "scope": "openid",
            "state": "s1",
            "response_mode": "form_post",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'action="https://app.example.com/callback"' in body
    assert re.search(r'<script src="/static/js/form_post\.js"></script>', body)
    assert "onload" not in body
    assert _directives(response["Content-Security-Policy"])["script-src"] == ["'self'"]


def _setting(name: str, **env) -> str:
    code = f"import config.settings as s; print(s.{name})"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ROTOR_")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean | {"SECRET_KEY": "x", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_hsts_is_on_when_the_issuer_is_https():
    assert int(_setting("SECURE_HSTS_SECONDS", ROTOR_ISSUER="https://login.example.com")) >= 31536000
    assert _setting("SECURE_HSTS_SECONDS", ROTOR_ISSUER="http://127.0.0.1:8000") == "0"


def test_a_secure_request_gets_strict_transport_security(client, settings, db):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_an_idle_admin_session_ends(console_client, settings):
    settings.ROTOR_ADMIN_SESSION_IDLE_MINUTES = 30
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert console_client.get("/console/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert console_client.get("/console/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=29 + 31), tick=False):
        response = console_client.get("/console/")
    assert response.status_code == 302
    assert response["Location"].startswith("/console/login/")


def test_a_busy_admin_session_still_ends_after_its_maximum(console_client, settings):
    settings.ROTOR_ADMIN_SESSION_IDLE_MINUTES = 30
    settings.ROTOR_ADMIN_SESSION_MAX_HOURS = 12
    start = timezone.now()
    for minutes in range(0, 12 * 60, 20):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert console_client.get("/console/").status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=5), tick=False):
        assert console_client.get("/console/").status_code == 302


def test_session_keys_are_stored_only_as_a_hash(client, owner):
    response = client.post("/console/login/", {"username": owner.username, "password": "correct horse battery"})
    assert response.status_code == 302
    key = client.cookies["sessionid"].value
    assert not Session.objects.filter(session_key=key).exists()
    assert Session.objects.filter(session_key=stored_key(key)).exists()
    assert client.get("/console/").status_code == 200


def test_signing_out_deletes_the_stored_session(console_client):
    key = console_client.cookies["sessionid"].value
    assert Session.objects.filter(session_key=stored_key(key)).exists()
    console_client.post("/console/logout/")
    assert not Session.objects.filter(session_key=stored_key(key)).exists()


def _console_routes() -> dict[str, list[str]]:
    """Every console URL pattern: its namespaced name and the names of its parameters."""
    from django.urls import get_resolver

    found = {}
    for namespace, (_prefix, resolver) in get_resolver().namespace_dict.items():
        for name, entries in resolver.reverse_dict.lists():
            for _possibility, pattern, *_rest in entries:
                if isinstance(name, str) and pattern.startswith("console/"):
                    found[f"{namespace}:{name}"] = entries[0][0][0][1]
    return found


def test_every_console_route_answers_with_the_headers(console_client, owner, end_user, confidential_app):
    """Each console page, detail and confirmation pages included, whatever its status."""
    from django.urls import reverse

    from accounts.models import Group
    from accounts.services import create_api_token
    from clients import credentials
    from tests.kit.console import make_family
    from tests.kit.keys import new_key

    family, _token, _tokens = make_family(confidential_app, end_user)
    api_token, _ = create_api_token(owner, "headers")
    key = credentials.add_key(confidential_app, new_key().public_jwk)
    routes = _console_routes()
    assert len(routes) >= 25
    from tokens.servers.models import PolicyRule, Scope

    scope = Scope.objects.get(server_id="default", name="api:read")
    rule = PolicyRule.objects.get(policy__server_id="default")
    for route, names in sorted(routes.items()):
        values = {
            "uid": end_user.uid,
            "pk": api_token.pk,
            "app_type": "web",
            "server_id": "default",
            "scope_id": scope.id,
            "claim_id": "oclNONE",  # default has no claim: the console's 404 page must carry the headers too
            "policy_id": rule.policy_id,
            "rule_id": rule.id,
            "group_id": Group.everyone().public_id,
            "public_id": family.public_id if route.startswith("tokens:") else confidential_app.public_id,
            "secret_id": confidential_app.secrets.get().public_id,
            "key_id": key.public_id,
        }
        url = reverse(route, kwargs={name: values[name] for name in names})
        response = console_client.get(url)
        assert response.status_code < 500, url
        policy = _directives(response["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"], url
        assert "no-store" in response["Cache-Control"], url


def test_a_secret_waiting_to_be_shown_is_not_readable_from_the_session_table(console_client, confidential_app):
    """After "Generate new secret" the secret waits in the session for the page that shows it once;
    the row holds it encrypted with the session key, which the table does not have."""
    response = console_client.post(f"/console/apps/{confidential_app.public_id}/secret/")
    assert response.status_code == 302
    key = console_client.cookies["sessionid"].value
    row = Session.objects.get(session_key=stored_key(key))
    shown = console_client.get(response["Location"]).content.decode()
    secret = re.search(r'id="new-secret"[^>]*>([^<]+)<', shown) or re.search(
        r"<code[^>]*>([A-Za-z0-9_-]{40,})</code>", shown
    )
    assert secret, "the page shows the new secret"
    assert secret.group(1).strip() not in str(row.get_decoded())
