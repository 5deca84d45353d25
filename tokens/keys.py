"""Signing keys: generation, encryption at rest, the per-process cache, the JWKS and rotation.

Every server keeps at most one key of each status: ACTIVE signs, NEXT is published ahead of its
turn, EXPIRED is the previous key, still published so what it signed keeps verifying. One
rotation turns the cycle once (SPEC §4). The JWKS view, the console, the API and the
`rotatekeys` command all call into this module, so they cannot disagree.
"""

import base64
import hashlib
import json
import threading
import time
from dataclasses import dataclass

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import IntegrityError, transaction
from jwt.algorithms import RSAAlgorithm

from .models import SigningKey

Status = SigningKey.Status


@dataclass(frozen=True)
class LoadedKey:
    kid: str
    private_key: rsa.RSAPrivateKey


def _fernet() -> Fernet:
    digest = hashlib.sha256(f"rotor-signing-keys:{settings.ROTOR_KEY_ENCRYPTION_SECRET}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _thumbprint(jwk: dict) -> str:
    """RFC 7638 JWK thumbprint, used as the `kid`."""
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def _new_key_row(server: str, status: str) -> SigningKey:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    kid = _thumbprint(jwk)
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return SigningKey.objects.create(
        server=server,
        kid=kid,
        status=status,
        public_jwk=jwk,
        private_key_encrypted=_fernet().encrypt(pem).decode("ascii"),
    )


def _decrypt(row: SigningKey) -> rsa.RSAPrivateKey:
    pem = _fernet().decrypt(row.private_key_encrypted.encode("ascii"))
    return serialization.load_pem_private_key(pem, password=None)


def ensure_keys(server: str) -> None:
    """Create the ACTIVE and NEXT keys of a server on first use. Safe when workers race."""
    for status in (Status.ACTIVE, Status.NEXT):
        if SigningKey.objects.filter(server=server, status=status).exists():
            continue
        try:
            with transaction.atomic():
                _new_key_row(server, status)
        except IntegrityError:
            pass  # another worker created it first


# Per-process cache: server -> (monotonic deadline, LoadedKey). A rotation reaches every worker
# within ROTOR_KEY_CACHE_SECONDS; the retiring key stays published, so tokens it signed in that
# window still verify.
_signing_cache: dict[str, tuple[float, LoadedKey]] = {}
_jwks_cache: dict[str, tuple[float, list[dict]]] = {}
_lock = threading.Lock()


def clear_cache() -> None:
    with _lock:
        _signing_cache.clear()
        _jwks_cache.clear()


def signing_key(server: str) -> LoadedKey:
    """The ACTIVE key of `server`, decrypted once per process and re-checked every few seconds."""
    now = time.monotonic()
    cached = _signing_cache.get(server)
    if cached and cached[0] > now:
        return cached[1]
    row = SigningKey.objects.filter(server=server, status=Status.ACTIVE).only("kid", "private_key_encrypted").first()
    if row is None:
        ensure_keys(server)
        row = SigningKey.objects.get(server=server, status=Status.ACTIVE)
    loaded = cached[1] if cached and cached[1].kid == row.kid else LoadedKey(row.kid, _decrypt(row))
    _signing_cache[server] = (now + settings.ROTOR_KEY_CACHE_SECONDS, loaded)
    return loaded


def published_jwks(server: str) -> list[dict]:
    """The public keys a client may meet: ACTIVE, NEXT and EXPIRED (2–3 keys)."""
    now = time.monotonic()
    cached = _jwks_cache.get(server)
    if cached and cached[0] > now:
        return cached[1]
    keys = [row.public_jwk for row in SigningKey.objects.filter(server=server).order_by("created")]
    if not keys:
        ensure_keys(server)
        keys = [row.public_jwk for row in SigningKey.objects.filter(server=server).order_by("created")]
    _jwks_cache[server] = (now + settings.ROTOR_KEY_CACHE_SECONDS, keys)
    return keys


def jwks_max_age() -> int:
    return settings.ROTOR_JWKS_MAX_AGE


def public_key(server: str, kid: str):
    """The verification key for `kid`, or None if that key is no longer published."""
    for jwk in published_jwks(server):
        if jwk["kid"] == kid:
            return RSAAlgorithm.from_jwk(jwk)
    _jwks_cache.pop(server, None)  # a key minted by another worker in the last few seconds
    for jwk in published_jwks(server):
        if jwk["kid"] == kid:
            return RSAAlgorithm.from_jwk(jwk)
    return None


@dataclass(frozen=True)
class KeyInfo:
    server: str
    kid: str
    status: str
    created: object


def list_keys(server: str) -> list[KeyInfo]:
    return [
        KeyInfo(k.server, k.kid, k.status, k.created)
        for k in SigningKey.objects.filter(server=server).order_by("created")
    ]


def rotate_keys(server: str) -> tuple[list[KeyInfo], list[KeyInfo]]:
    """Turn the cycle once: drop EXPIRED, ACTIVE → EXPIRED, NEXT → ACTIVE, make a new NEXT.

    One transaction, with the server's keys locked, so two rotations at once cannot skip a
    state. Returns the keys before and after. Records `app.oauth2[.as].key.rollover`.
    """
    from .events import record_key_rollover

    ensure_keys(server)
    with transaction.atomic():
        rows = list(SigningKey.objects.select_for_update().filter(server=server).order_by("created"))
        before = [KeyInfo(k.server, k.kid, k.status, k.created) for k in rows]
        by_status = {k.status: k for k in rows}
        if Status.EXPIRED in by_status:
            by_status[Status.EXPIRED].delete()
        for old, new in ((Status.ACTIVE, Status.EXPIRED), (Status.NEXT, Status.ACTIVE)):
            if old in by_status:
                SigningKey.objects.filter(pk=by_status[old].pk).update(status=new)
        _new_key_row(server, Status.NEXT)
        after = list_keys(server)
        record_key_rollover(server, before, after)
    clear_cache()
    return before, after
