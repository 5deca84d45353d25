"""Random tokens and the hash they are stored under.

Refresh tokens, codes and API tokens carry 256 random bits, so one unsalted SHA-256 makes them
unrecoverable from a dump and still lets us find a row by an indexed equality lookup.
"""

import base64
import hashlib
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def s256(verifier: str) -> str:
    """The PKCE S256 transform (RFC 7636 §4.2), also the OIDC `at_hash` for RS256 (left half)."""
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def half_hash(value: str) -> str:
    """`at_hash`: base64url of the left half of SHA-256 (OIDC Core §3.1.3.6)."""
    return b64url(hashlib.sha256(value.encode("ascii")).digest()[:16])
