"""A DPoP client's side (RFC 9449): a key pair, its public JWK and RFC 7638 thumbprint, and the proofs
it signs, correct unless a test asks for one wrong thing.

The thumbprint is computed here from the RFC's rules, not by tokens/oauth/dpop.py, so the tests check
the server's binding against an independent value.
"""

import base64
import hashlib
import json
import secrets
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

ISSUER_PREFIX = {"org": "/oauth2/v1", "default": "/oauth2/default/v1"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class DPoPKey:
    """A client's DPoP key for `alg` (ES256, RS256, PS256 or EdDSA)."""

    def __init__(self, alg: str = "ES256"):
        self.alg = alg
        if alg.startswith("ES"):
            self.private = ec.generate_private_key(ec.SECP256R1())
            jwk = ECAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        elif alg == "EdDSA":
            self.private = ed25519.Ed25519PrivateKey.generate()
            jwk = OKPAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        else:
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            jwk = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        self.public_jwk = {k: v for k, v in jwk.items() if k in ("kty", "crv", "x", "y", "n", "e")}

    @property
    def jkt(self) -> str:
        members = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n"), "OKP": ("crv", "kty", "x")}
        required = {m: self.public_jwk[m] for m in members[self.public_jwk["kty"]]}
        return b64url(hashlib.sha256(json.dumps(required, separators=(",", ":"), sort_keys=True).encode()).digest())

    def proof(
        self,
        htu: str,
        *,
        htm: str = "POST",
        nonce: str | None = None,
        access_token: str | None = None,
        iat: float | None = None,
        jti: str | None = None,
        header: dict | None = None,
        drop: tuple[str, ...] = (),
    ) -> str:
        """A signed proof for a `htm` request to `htu`; `header` overrides JOSE members, `drop` removes claims."""
        claims = {"jti": jti or secrets.token_urlsafe(16), "htm": htm, "htu": htu, "iat": int(iat or time.time())}
        if nonce is not None:
            claims["nonce"] = nonce
        if access_token is not None:
            claims["ath"] = b64url(hashlib.sha256(access_token.encode()).digest())
        for name in drop:
            claims.pop(name, None)
        headers = {"typ": "dpop+jwt", "jwk": self.public_jwk} | (header or {})
        return jwt.encode(claims, self.private, algorithm=self.alg, headers=headers)


def token_url(base: str, server: str = "org") -> str:
    return f"{base}{ISSUER_PREFIX[server]}/token"


def userinfo_url(base: str, server: str = "org") -> str:
    return f"{base}{ISSUER_PREFIX[server]}/userinfo"


# In-process requests (Django's test client), each with a fresh proof carrying the server's current nonce.


def proof_for(key: DPoPKey, endpoint: str = "token", *, server: str = "org", htm: str = "POST", **kwargs) -> str:
    from django.conf import settings

    from tokens.oauth.dpop import current_nonce

    kwargs.setdefault("nonce", current_nonce())
    return key.proof(f"{settings.ROTOR_ISSUER}{ISSUER_PREFIX[server]}/{endpoint}", htm=htm, **kwargs)


def dpop_tokens(client, app, user, key: DPoPKey | None, *, secret=None, server="org", **authorize_extra):
    """A code flow of `user` with `app` whose exchange carries a proof by `key` (none when None); the response."""
    from tests.kit.oauth import authorize_code, form_post

    client.force_login(user)
    grant = authorize_code(client, app, server=server, **authorize_extra)
    client.logout()
    data = {
        "grant_type": "authorization_code",
        "code": grant["code"],
        "redirect_uri": grant["redirect_uri"],
        "code_verifier": grant["verifier"],
    }
    headers = {"HTTP_DPOP": proof_for(key, server=server)} if key else {}
    return form_post(client, "token", data, app=app, secret=secret, server=server, **headers)


def dpop_refresh(client, app, token: str, key: DPoPKey | None, *, secret=None, server="org"):
    """A refresh of `token` as `app`, with a proof by `key` (none when None); the response."""
    from tests.kit.oauth import form_post

    headers = {"HTTP_DPOP": proof_for(key, server=server)} if key else {}
    data = {"grant_type": "refresh_token", "refresh_token": token}
    return form_post(client, "token", data, app=app, secret=secret, server=server, **headers)
