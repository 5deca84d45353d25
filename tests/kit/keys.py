"""Client key pairs for private_key_jwt tests: the private half signs assertions, the public JWK is registered."""

import json
import time
import uuid
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class ClientKey:
    private_key: object
    kid: str
    alg: str

    @property
    def public_jwk(self) -> dict:
        algorithm = RSAAlgorithm if self.alg.startswith(("RS", "PS")) else ECAlgorithm
        jwk = json.loads(algorithm.to_jwk(self.private_key.public_key()))
        return jwk | {"kid": self.kid, "use": "sig"}

    @property
    def private_jwk(self) -> dict:
        algorithm = RSAAlgorithm if self.alg.startswith(("RS", "PS")) else ECAlgorithm
        return json.loads(algorithm.to_jwk(self.private_key)) | {"kid": self.kid}

    @property
    def public_pem(self) -> str:
        return (
            self.private_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    @property
    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def assertion(self, client_id: str, audience: str, *, exp_in: int = 60, headers: dict | None = None, **claims):
        """A client assertion; `claims` override (None removes) the defaults."""
        now = int(time.time())
        jti = uuid.uuid4().hex
        body = {"iss": client_id, "sub": client_id, "aud": audience, "iat": now, "exp": now + exp_in, "jti": jti}
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, self.private_key, algorithm=self.alg, headers={"kid": self.kid, **(headers or {})})


def new_key(kind: str = "RSA", kid: str | None = None) -> ClientKey:
    kid = kid or uuid.uuid4().hex
    if kind in ("RSA", "PS"):
        alg = "RS256" if kind == "RSA" else "PS256"
        return ClientKey(rsa.generate_private_key(public_exponent=65537, key_size=2048), kid, alg)
    return ClientKey(ec.generate_private_key(ec.SECP256R1()), kid, "ES256")


def assertion_params(assertion: str, **extra) -> dict:
    return {"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion, **extra}
