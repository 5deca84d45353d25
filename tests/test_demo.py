"""The try-it demo app (demo/): off unless DEBUG or ROTOR_DEMO, a warning when it is on in what looks like
production, and `firstrun` registers its app once. Its whole story in Chromium: tests/browser/test_demo.py."""

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command

from clients.models import Application
from tests.kit.live import ROOT


def firstrun() -> str:
    out = StringIO()
    call_command("firstrun", stdout=out)
    return out.getvalue()


def demo_apps(issuer: str) -> list[Application]:
    return [
        app
        for app in Application.objects.filter(application_type="browser")
        if f"{issuer}/demo/callback" in app.redirect_uri_list
    ]


def run_django(code: str, **env: str) -> subprocess.CompletedProcess:
    """`code` in a fresh Python with config.settings and exactly these Rotor variables."""
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "ROTOR_DEMO", "ROTOR_ISSUER", "SECRET_KEY")}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings", SECRET_KEY="demo-test-secret", **env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)


def test_the_demo_is_off_in_the_test_settings_and_its_urls_do_not_exist(client, db):
    from django.conf import settings

    assert settings.ROTOR_DEMO is False and "demo" not in settings.INSTALLED_APPS
    assert client.get("/demo/").status_code == 404
    assert client.get("/demo/callback").status_code == 404


@pytest.mark.parametrize(
    ("env", "on"),
    [
        ({"DEBUG": "1"}, True),  # make run
        ({"DEBUG": "1", "ROTOR_DEMO": "0"}, False),
        ({"DEBUG": "0"}, False),  # production's default
        ({"DEBUG": "0", "ROTOR_DEMO": "1"}, True),
    ],
)
def test_the_demo_is_on_only_with_debug_or_rotor_demo(env, on):
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.urls import Resolver404, resolve\n"
        "try:\n    resolve('/demo/'); found = True\n"
        "except Resolver404:\n    found = False\n"
        "print(settings.ROTOR_DEMO, 'demo' in settings.INSTALLED_APPS, found)\n"
    )
    result = run_django(code, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(on)] * 3


@pytest.mark.parametrize(
    ("env", "warned"),
    [
        ({"DEBUG": "0", "ROTOR_DEMO": "1", "ROTOR_ISSUER": "https://login.example.com"}, True),
        ({"DEBUG": "0", "ROTOR_DEMO": "1", "ROTOR_ISSUER": "http://127.0.0.1:8000"}, False),  # a laptop
        ({"DEBUG": "1", "ROTOR_ISSUER": "https://login.example.com"}, False),  # DEBUG is never production
    ],
)
def test_a_system_check_warns_when_the_demo_is_on_in_production(env, warned):
    code = "import django; django.setup()\nfrom django.core.management import call_command\ncall_command('check')\n"
    result = run_django(code, **env)
    assert result.returncode == 0, result.stderr
    assert ("rotor.demo.W001" in result.stderr) is warned, result.stderr
    if warned:
        assert "Unset ROTOR_DEMO in production" in result.stderr


def test_firstrun_registers_the_demo_app_once(db, settings):
    settings.ROTOR_DEMO = True

    first = firstrun()
    second = firstrun()

    issuer = settings.ROTOR_ISSUER
    [app] = demo_apps(issuer)
    assert Application.objects.count() == 2  # the demo web app of firstrun and this one
    assert app.application_type == "browser" and app.is_public and app.is_active
    assert app.grant_types == ["authorization_code", "refresh_token"]
    assert app.rotation_type == "ROTATE" and app.leeway == 10 and app.pkce_required
    assert app.redirect_uri_list == [f"{issuer}/demo/callback"]
    assert app.trusted_origin_list == [issuer]  # http://127.0.0.1:<port>: the issuer's origin
    assert app.skip_authorization  # consent TRUSTED: the demo's user is its own admin
    for output in (first, second):
        assert f"Try it:         {issuer}/demo/" in output
    assert "nothing created" in second


def test_firstrun_registers_the_demo_app_on_an_existing_database_and_per_issuer(db, settings, end_user):
    settings.ROTOR_DEMO = True
    output = firstrun()
    assert "registered the try-it demo app" in output
    assert len(demo_apps(settings.ROTOR_ISSUER)) == 1

    settings.ROTOR_ISSUER = "http://127.0.0.1:8123"  # `make run PORT=8123` on the same database
    assert "registered the try-it demo app" in firstrun()
    assert "nothing created" in firstrun()
    [app] = demo_apps("http://127.0.0.1:8123")
    assert app.trusted_origin_list == ["http://127.0.0.1:8123"]
    assert Application.objects.count() == 2


def test_firstrun_registers_no_demo_app_when_the_demo_is_off(db, settings):
    settings.ROTOR_DEMO = False
    output = firstrun()
    assert demo_apps(settings.ROTOR_ISSUER) == []
    assert "/demo/" not in output
