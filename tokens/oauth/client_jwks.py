"""The public keys a private_key_jwt client signs with: its registered keys (on the app row,
`active_jwks`), or the set at its `jwks_uri`, fetched and kept per process.

A fetched set is used for ROTOR_JWKS_URI_CACHE_SECONDS, and fetched again early when an assertion
names a `kid` it lacks (the client rotated its key), at most once per ROTOR_JWKS_URI_MIN_REFETCH_SECONDS per URI
so a stream of made-up kids cannot turn Rotor into a request amplifier. A fetch has a timeout
and a size bound, follows no redirect, and refuses an address on this machine unless
ROTOR_JWKS_URI_ALLOW_LOOPBACK is on. When a refetch fails, the set fetched before keeps working.
"""

import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from core import publickeys

log = logging.getLogger(__name__)
MAX_BYTES = 64 * 1024


class FetchFailed(Exception):
    """The client's JWKS URI gave no usable key set (the message says why, without the body)."""


@dataclass(frozen=True)
class _Fetched:
    at: float
    keys: list


_sets: dict[str, _Fetched] = {}
_lock = threading.Lock()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _check_address(uri: str) -> None:
    problem = publickeys.jwks_uri_problem(uri)
    if problem:
        raise FetchFailed(problem)
    parts = urlsplit(uri)
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except OSError:
        raise FetchFailed("The JWKS URI's host could not be resolved.") from None
    if not settings.ROTOR_JWKS_URI_ALLOW_LOOPBACK and any(publickeys.is_loopback(a) for a in addresses):
        raise FetchFailed("The JWKS URI resolves to this machine (loopback).")


def _download(uri: str) -> list:
    _check_address(uri)
    opener = urllib.request.build_opener(_NoRedirect)
    # http(s) only: jwks_uri_problem() refused every other scheme
    request = urllib.request.Request(uri, headers={"Accept": "application/json", "User-Agent": "Rotor"})  # noqa: S310
    try:
        with opener.open(request, timeout=settings.ROTOR_JWKS_URI_TIMEOUT_SECONDS) as response:
            if response.status != 200:
                raise FetchFailed(f"The JWKS URI answered HTTP {response.status}.")
            body = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise FetchFailed(f"The JWKS URI answered HTTP {exc.code}.") from None
    except (urllib.error.URLError, OSError, ValueError):
        raise FetchFailed("The JWKS URI could not be fetched.") from None
    if len(body) > MAX_BYTES:
        raise FetchFailed("The JWKS URI's answer is too large.")
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise FetchFailed("The JWKS URI's answer is not JSON.") from None
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise FetchFailed("The JWKS URI's answer has no 'keys' list.")
    keys = []
    for jwk in document["keys"]:
        try:
            public = publickeys.parse_jwk(jwk)
        except publickeys.BadKey:
            continue  # an encryption key or one we cannot use: the others still count
        keys.append(public)
    return keys


def _refresh(uri: str, previous: _Fetched | None) -> list:
    try:
        keys = _download(uri)
    except FetchFailed:
        if previous is None:
            raise
        log.warning("Fetching a client's JWKS URI failed; using the keys fetched before.", extra={"jwks_uri": uri})
        with _lock:
            _sets[uri] = _Fetched(time.monotonic(), previous.keys)  # retry after the refetch pause, not at once
        return previous.keys
    with _lock:
        _sets[uri] = _Fetched(time.monotonic(), keys)
    return keys


def keys_for(app, kid: str | None) -> list:
    """The app's ACTIVE public keys (JWK dicts) for an assertion naming `kid` (or none)."""
    if not app.jwks_uri:
        return list(app.active_jwks)
    uri = app.jwks_uri
    fetched = _sets.get(uri)
    now = time.monotonic()
    if fetched is None or now - fetched.at >= settings.ROTOR_JWKS_URI_CACHE_SECONDS:
        return _refresh(uri, fetched)
    unknown = kid is not None and all(key.get("kid") != kid for key in fetched.keys)
    if unknown and now - fetched.at >= settings.ROTOR_JWKS_URI_MIN_REFETCH_SECONDS:
        return _refresh(uri, fetched)
    return fetched.keys


def clear() -> None:
    with _lock:
        _sets.clear()
