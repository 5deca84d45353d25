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
