"""A fast hasher for client secrets, used through DOT's CLIENT_SECRET_HASHER.

Client secrets are long random strings, so a salted SHA-256 is as strong as a slow KDF against
a database dump, and it costs microseconds instead of PBKDF2's ~240 ms on every token request.
User passwords keep Django's default PBKDF2 (it stays first in PASSWORD_HASHERS).
"""

import hashlib
import secrets

from django.contrib.auth.hashers import BasePasswordHasher
from django.utils.crypto import constant_time_compare


class ClientSecretSHA256Hasher(BasePasswordHasher):
    algorithm = "rotor_sha256"

    def salt(self):
        return secrets.token_hex(8)

    def encode(self, password, salt):
        digest = hashlib.sha256(f"{salt}${password}".encode()).hexdigest()
        return f"{self.algorithm}${salt}${digest}"

    def decode(self, encoded):
        algorithm, salt, digest = encoded.split("$", 2)
        return {"algorithm": algorithm, "salt": salt, "hash": digest}

    def verify(self, password, encoded):
        return constant_time_compare(self.encode(password, self.decode(encoded)["salt"]), encoded)

    def safe_summary(self, encoded):
        return {"algorithm": self.algorithm}

    def harden_runtime(self, password, encoded):
        pass


def hash_secret(secret: str) -> str:
    """A secret as Rotor stores it (DOT's CLIENT_SECRET_HASHER, rotor_sha256)."""
    from django.contrib.auth.hashers import make_password
    from oauth2_provider.settings import oauth2_settings

    return make_password(secret, hasher=oauth2_settings.CLIENT_SECRET_HASHER)


def verifier(hashes: list[str]) -> str:
    """The app row's `client_secret`: its active secrets' hashes, space-separated (hashes have no spaces)."""
    return " ".join(hashes)


def verifies(secret: str, stored: str) -> bool:
    """Whether `secret` is one of the secrets whose hashes `stored` (an app's `client_secret`) holds.
    Every hash is checked, so the time taken does not tell which one matched."""
    from django.contrib.auth.hashers import check_password

    results = [check_password(secret, encoded) for encoded in stored.split()]
    return any(results)
