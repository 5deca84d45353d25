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
from datetime import timedelta

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from jwt.algorithms import RSAAlgorithm

from core.systemlog import recording
from tokens.models import SigningKey

from .models import PolicyRule
from .registry import ORG, any_server

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


@dataclass(frozen=True)
class _KeyMaterial:
    kid: str
    public_jwk: dict
    private_key_encrypted: str


def _generate() -> _KeyMaterial:
    """A fresh RSA key, encrypted. Slow (tens of ms), so callers do it before taking any lock."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    kid = _thumbprint(jwk)
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return _KeyMaterial(kid, jwk, _fernet().encrypt(pem).decode("ascii"))


def _new_key_row(server: str, status: str, material: _KeyMaterial | None = None) -> SigningKey:
    material = material or _generate()
    return SigningKey.objects.create(
        server=server,
        kid=material.kid,
        status=status,
        public_jwk=material.public_jwk,
        private_key_encrypted=material.private_key_encrypted,
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
    jwk = _published(server, kid)
    if jwk is None:
        _jwks_cache.pop(server, None)  # a key minted by another worker in the last few seconds
        jwk = _published(server, kid)
    return None if jwk is None else RSAAlgorithm.from_jwk(jwk)


def _published(server: str, kid: str) -> dict | None:
    return next((jwk for jwk in published_jwks(server) if jwk["kid"] == kid), None)


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


ROTATION_LOCK = 0x526F746F  # "Roto": advisory-lock namespace of key rotation


def _serialise_rotations(server: str) -> None:
    """Wait for any rotation of `server` in flight; held until this transaction ends.

    Locking the key rows is not enough under READ COMMITTED: a waiter's locking read keeps the
    snapshot it started with and misses the NEXT key that the rotation it waited for inserted.
    After an advisory lock, the next statement sees everything that rotation committed. SQLite
    needs nothing: its IMMEDIATE transactions already run one at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [ROTATION_LOCK, server])


# One turn of the cycle: what each status becomes. EXPIRED is unpublished; a new NEXT is made.
_TURN = {Status.NEXT: Status.ACTIVE, Status.ACTIVE: Status.EXPIRED, Status.EXPIRED: None}


def rotation_plan(server: str) -> list[KeyInfo]:
    """The keys one rotation would leave, without changing anything (`rotatekeys --dry-run`).

    The key still to be generated is shown with kid "(new)".
    """
    keys = list_keys(server)
    statuses = {k.status for k in keys}
    keys += [KeyInfo(server, "(new)", s, None) for s in (Status.ACTIVE, Status.NEXT) if s not in statuses]
    turned = [KeyInfo(k.server, k.kid, _TURN[k.status], k.created) for k in keys if _TURN[k.status]]
    return turned + [KeyInfo(server, "(new)", Status.NEXT, None)]


def rotate_keys(server: str) -> tuple[list[KeyInfo], list[KeyInfo]]:
    """Turn the cycle once: drop EXPIRED, ACTIVE → EXPIRED, NEXT → ACTIVE, make a new NEXT.

    One transaction, serialised per server, so rotations that race each turn the cycle exactly
    once. Returns the keys before and after and records `app.oauth2[.as].key.rollover`.
    """
    ensure_keys(server)
    material = _generate()
    with transaction.atomic():
        _serialise_rotations(server)
        rows = list(SigningKey.objects.select_for_update().filter(server=server).order_by("created"))
        before = [KeyInfo(k.server, k.kid, k.status, k.created) for k in rows]
        by_status = {k.status: k for k in rows}
        # Statement order keeps the (server, status) uniqueness true after every statement.
        for status in (Status.EXPIRED, Status.ACTIVE, Status.NEXT):
            if status not in by_status:
                continue
            if _TURN[status] is None:
                by_status[status].delete()
            else:
                SigningKey.objects.filter(pk=by_status[status].pk).update(status=_TURN[status])
        _new_key_row(server, Status.NEXT if Status.NEXT in by_status else Status.ACTIVE, material)
        if not SigningKey.objects.filter(server=server, status=Status.NEXT).exists():
            _new_key_row(server, Status.NEXT)
        after = list_keys(server)
        _record_rollover(server, before, after)
    clear_cache()
    return before, after


def last_rotation(server: str):
    """When the keys of `server` last turned (the NEXT key is made by each turn), or None."""
    return SigningKey.objects.filter(server=server, status=Status.NEXT).values_list("created", flat=True).first()


@dataclass(frozen=True)
class EarlyRotation:
    """A rotation now would unpublish `kid`, which stopped signing `retired_minutes` ago, less than the longest
    token lifetime (`lifetime_minutes`): tokens it signed in that time stop verifying."""

    server: str
    kid: str
    retired_minutes: int
    lifetime_minutes: int


def longest_token_lifetime(server: str | None = None) -> timedelta:
    """The longest an access or ID token of `server` lives: the fixed lifetimes, or its rules' longest."""
    minutes = max(settings.ROTOR_ACCESS_TOKEN_MINUTES, settings.ROTOR_ID_TOKEN_MINUTES)
    if server is not None and server != ORG:
        longest = PolicyRule.objects.filter(policy__server_id=server).aggregate(m=Max("access_token_lifetime_minutes"))
        minutes = max(minutes, longest["m"] or 0)
    return timedelta(minutes=minutes)


def dropped_key(server: str) -> KeyInfo | None:
    """The key a rotation now would unpublish: the EXPIRED one, if the server has one."""
    return next((k for k in list_keys(server) if k.status == Status.EXPIRED), None)


def early_rotation(server: str) -> EarlyRotation | None:
    """The one rule the console and `rotatekeys` warn with. The EXPIRED key stopped signing at the last rotation
    (when the NEXT key was made); until the longest token lifetime has passed since then, tokens it signed may
    still be live, and unpublishing it now makes them fail verification. None when nothing live is at stake."""
    dropped, last = dropped_key(server), last_rotation(server)
    if dropped is None or last is None:
        return None
    retired, lifetime = timezone.now() - last, longest_token_lifetime(server)
    if retired >= lifetime:
        return None
    return EarlyRotation(server, dropped.kid, int(retired.total_seconds() // 60), int(lifetime.total_seconds() // 60))


def _record_rollover(server_id: str, before: list[KeyInfo], after: list[KeyInfo]) -> None:
    server = any_server(server_id)
    recording.record(
        server.event_type("key.rollover"),
        f"Signing keys of {server.name} rotated",
        actor=recording.actor_ref(None),
        targets=[{"id": k.kid, "type": "SigningKey", "alternateId": k.status} for k in after],
        debug={"before": [[k.kid, k.status] for k in before], "after": [[k.kid, k.status] for k in after]},
    )
