"""Public JSON Web Keys (RFC 7517) that someone else holds the private half of: a client's
private_key_jwt keys. Parse and check one, read one from a PEM, and name it by its RFC 7638
thumbprint.

Only public, asymmetric signing keys are accepted: a JWK with a private member (`d`, `p`, `k`, …)
is refused rather than stripped, since whoever sent it has leaked the key and should know; an
`oct` key would let anyone who can read the registration forge assertions.
"""

import base64
import hashlib
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from jwt import PyJWTError
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

# What a client may sign its assertions with (asymmetric only: never `none` or HS*).
SIGNING_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
_CURVE_OF_ALG = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
_PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
_REQUIRED = {"RSA": ("n", "e"), "EC": ("crv", "x", "y"), "OKP": ("crv", "x")}
_CURVES = {"EC": {"P-256", "P-384", "P-521"}, "OKP": {"Ed25519", "Ed448"}}
_KEPT = {"kty", "kid", "use", "alg", "n", "e", "crv", "x", "y"}
MIN_RSA_BITS = 2048


class BadKey(ValueError):
    """Not an acceptable public signing key; the message says why, for the API and the console."""


def parse_jwk(jwk: object) -> dict:
    """`jwk` checked and reduced to its public members (kty, kid, use, alg and the key's own)."""
    if not isinstance(jwk, dict):
        raise BadKey("A JWK must be a JSON object.")
    if _PRIVATE_MEMBERS & set(jwk):
        raise BadKey("This JWK contains private key material. Register only the public key.")
    kty = jwk.get("kty")
    if kty not in _REQUIRED:
        raise BadKey("The key type (kty) must be RSA, EC or OKP.")
    for name in _REQUIRED[kty]:
        if not isinstance(jwk.get(name), str) or not jwk[name]:
            raise BadKey(f"An {kty} key needs '{name}'.")
    for name in ("kid", "use", "alg"):
        if name in jwk and jwk[name] is not None and (not isinstance(jwk[name], str) or not jwk[name]):
            raise BadKey(f"'{name}' must be a non-empty string.")
    if jwk.get("kid") is not None and len(jwk["kid"]) > 255:
        raise BadKey("'kid' must be at most 255 characters.")
    if jwk.get("use") not in (None, "sig"):
        raise BadKey("A client's key is for signatures: 'use' must be 'sig'.")
    if jwk.get("alg") is not None and jwk["alg"] not in SIGNING_ALGS:
        raise BadKey(f"'alg' must be one of: {', '.join(SIGNING_ALGS)}.")
    if kty in _CURVES and jwk["crv"] not in _CURVES[kty]:
        raise BadKey(f"An {kty} key's curve must be one of: {', '.join(sorted(_CURVES[kty]))}.")
    public = {k: v for k, v in jwk.items() if k in _KEPT and v is not None}
    try:
        key = load(public)
    except (ValueError, TypeError, KeyError, IndexError, PyJWTError):
        raise BadKey("The key's parameters do not form a valid public key.") from None
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        raise BadKey(f"An RSA key must have at least {MIN_RSA_BITS} bits.")
    if public.get("alg") and not fits(public, public["alg"]):
        raise BadKey(f"'alg' {public['alg']} does not fit a {kty} key.")
    return public


def load(jwk: dict):
    """The `cryptography` public key of a (checked) JWK."""
    kty = jwk["kty"]
    algorithm = {"RSA": RSAAlgorithm, "EC": ECAlgorithm, "OKP": OKPAlgorithm}[kty]
    key = algorithm.from_jwk(json.dumps(jwk))
    public_types = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
    if not isinstance(key, public_types):
        raise ValueError("not a public key")
    return key


def fits(jwk: dict, alg: str) -> bool:
    """Whether `alg` can be verified with this key (and is the key's own `alg` when it names one)."""
    if alg not in SIGNING_ALGS or jwk.get("alg") not in (None, alg):
        return False
    kty = jwk["kty"]
    if alg.startswith(("RS", "PS")):
        return kty == "RSA"
    if alg.startswith("ES"):
        return kty == "EC" and jwk.get("crv") == _CURVE_OF_ALG[alg]
    return kty == "OKP"


def from_pem(text: str) -> dict:
    """A JWK from a PEM public key (SubjectPublicKeyInfo or PKCS#1), without `kid`."""
    try:
        key = serialization.load_pem_public_key(text.strip().encode())
    except (ValueError, TypeError):
        if "PRIVATE KEY" in text:
            raise BadKey("This is a private key. Paste only the public key.") from None
        raise BadKey("This is neither a JWK nor a PEM public key.") from None
    if isinstance(key, rsa.RSAPublicKey):
        jwk = RSAAlgorithm.to_jwk(key, as_dict=True)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        jwk = ECAlgorithm.to_jwk(key, as_dict=True)
    elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        jwk = OKPAlgorithm.to_jwk(key, as_dict=True)
    else:
        raise BadKey("Only RSA, EC and Ed25519/Ed448 public keys are supported.")
    return parse_jwk(jwk)


def parse_text(text: str) -> dict:
    """What a person pasted: a JWK (JSON) or a PEM public key."""
    text = text.strip()
    if text.startswith("{"):
        try:
            return parse_jwk(json.loads(text))
        except json.JSONDecodeError:
            raise BadKey("This is not valid JSON.") from None
    return from_pem(text)


def thumbprint(jwk: dict) -> str:
    """RFC 7638: the SHA-256 of the key's required members in lexical order, base64url."""
    members = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}[jwk["kty"]]
    canonical = json.dumps({k: jwk[k] for k in members}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


_LOOPBACK_HOSTS = {"localhost", "localhost.localdomain"}


def is_loopback(host: str) -> bool:
    import ipaddress

    host = host.strip("[]").lower().rstrip(".")
    if host in _LOOPBACK_HOSTS or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def jwks_uri_problem(uri: object) -> str | None:
    """Why Rotor will not fetch a client's keys from `uri`, or None: it must be https (keys fetched
    in the clear could be swapped on the way), and a loopback address only where
    ROTOR_JWKS_URI_ALLOW_LOOPBACK allows it (tests), so a registration cannot make Rotor call itself."""
    from urllib.parse import urlsplit

    from django.conf import settings

    if not isinstance(uri, str) or not uri or len(uri) > 1024 or not uri.isprintable() or " " in uri:
        return "The JWKS URI must be an absolute https URL."
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018  (ValueError for a bad port)
    except ValueError:
        return "The JWKS URI's host or port cannot be read."
    if not parts.hostname or parts.username or parts.password or parts.fragment:
        return "The JWKS URI must be an absolute https URL without user info or fragment."
    loopback = is_loopback(parts.hostname)
    if loopback and not settings.ROTOR_JWKS_URI_ALLOW_LOOPBACK:
        return "The JWKS URI must not point at this machine (loopback)."
    if parts.scheme != "https" and not (loopback and parts.scheme == "http"):
        return "The JWKS URI must use https."
    return None
