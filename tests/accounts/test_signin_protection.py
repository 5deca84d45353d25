"""Password hashing: Argon2 first, PBKDF2 hashes upgraded at sign-in, the fast client-secret hasher kept,
and the password validators."""

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client

from accounts.models import User

CONSOLE = "/console/login/"
END_USER = "/accounts/login/"
PAGES = [CONSOLE, END_USER]


def sign_in(page, username, password, ip="203.0.113.7", browser=None):
    return (browser or Client()).post(page, {"username": username, "password": password}, REMOTE_ADDR=ip)


def signed_in(response):
    return response.status_code == 302


# Password hashing ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_a_pbkdf2_hash_is_upgraded_to_argon2_at_sign_in(settings, owner, page):
    from config import settings as configured

    settings.PASSWORD_HASHERS = configured.PASSWORD_HASHERS  # the real ones, not the tests' MD5
    User.objects.filter(pk=owner.pk).update(password=make_password("correct horse battery", hasher="pbkdf2_sha256"))

    assert signed_in(sign_in(page, owner.username, "correct horse battery"))

    owner.refresh_from_db()
    assert owner.password.startswith("argon2$argon2id$")
    assert owner.check_password("correct horse battery")


def test_client_secrets_keep_their_fast_hasher():
    from config import settings as configured

    assert configured.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "clients.hashers.ClientSecretSHA256Hasher" in configured.PASSWORD_HASHERS


@pytest.mark.parametrize(
    ("password", "why"),
    [("alice.liddell.example", "too similar"), ("4815162342108", "entirely numeric")],
)
def test_new_passwords_may_not_resemble_the_user_or_be_numeric(db, password, why):
    from accounts.services import UserValidationError, create_user

    with pytest.raises(UserValidationError) as caught:
        create_user(username="alice.liddell", email="alice.liddell@example.com", password=password)

    assert why in " ".join(caught.value.errors["password"])
