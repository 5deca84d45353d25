"""`manage.py firstrun` (used by `make run`) and `createsuperuser --noinput` with the custom user model."""

import re
from io import StringIO

from django.contrib.auth.hashers import check_password
from django.core.management import call_command

from accounts.models import User
from clients.models import Application


def firstrun() -> str:
    out = StringIO()
    call_command("firstrun", stdout=out)
    return out.getvalue()


def test_first_run_creates_an_admin_and_a_demo_app_and_prints_them(db, client, settings):
    output = firstrun()

    admin = User.objects.get()
    assert admin.username == "admin" and admin.is_staff and admin.is_superuser and admin.uid.startswith("00u")
    password = re.search(r"Admin:\s+admin / (\S+)", output).group(1)
    assert admin.check_password(password)
    app = Application.objects.get()
    assert app.name == "Demo web app" and app.application_type == "web" and app.is_active
    client_id = re.search(r"client_id\s+(\S+)", output).group(1)
    secret = re.search(r"client_secret\s+(\S+)", output).group(1)
    assert client_id == app.client_id
    assert check_password(secret, app.client_secret) and secret not in app.client_secret
    assert f"{settings.ROTOR_ISSUER}/console/" in output
    assert client.login(username="admin", password=password)


def test_second_run_creates_nothing(db):
    first = firstrun()

    second = firstrun()

    assert User.objects.count() == 1 and Application.objects.count() == 1
    assert "nothing created" in second
    assert re.search(r"client_secret\s+(\S+)", first).group(1) not in second


def test_a_database_with_users_gets_nothing(db, end_user):
    output = firstrun()

    assert list(User.objects.all()) == [end_user]
    assert Application.objects.count() == 0
    assert "nothing created" in output


def test_createsuperuser_noinput_reads_the_environment(db, monkeypatch, client):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "root")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "root@example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long enough passphrase")

    call_command("createsuperuser", interactive=False, stdout=StringIO())

    user = User.objects.get(username="root")
    assert user.email == "root@example.com" and user.is_superuser and user.is_staff and user.is_active
    assert user.uid.startswith("00u") and len(user.uid) == 20
    assert user.check_password("a long enough passphrase")
    assert client.login(username="root", password="a long enough passphrase")
