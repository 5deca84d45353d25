"""Minting RS256 access and ID tokens into a token response, and verifying the ones we minted.

Access tokens are RFC 9068 JWTs that resource servers verify offline. Their `jti` names the
family they came from (`AT.<random>.<family id>`), so revoking a family revokes them without
a row per token; tokens revoked one by one go on a small list (RevokedAccessToken); and `uid`,
`cid` and `iat` let introspection refuse what a deactivation or a "revoke all" ended.
"""

import secrets
import time
from dataclasses import dataclass

import jwt
from django.conf import settings

from core.crypto import half_hash
from tokens.lifecycle.revocation import is_access_token_revoked
from tokens.servers import keys
from tokens.servers.policies import Lifetimes
from tokens.servers.registry import AuthServer
from tokens.servers.scopes import custom_claims, user_claims


@dataclass
class MintedAccess:
    token: str
    jti: str
    expires_at: int


def access_jti(family_id: str | None) -> str:
    jti = "AT." + secrets.token_urlsafe(16)
    return f"{jti}.{family_id}" if family_id else jti


def access_minutes() -> int:
    """The org server's access-token lifetime; custom servers' come from their policy rules."""
    return settings.ROTOR_ACCESS_TOKEN_MINUTES


def access_token_claims(
    server: AuthServer,
    *,
    client_id: str,
    scopes: list[str],
    user=None,
    jti: str,
    now: int,
    minutes: int,
) -> dict:
    """The access token's claims (RFC 9068 plus Okta's `cid`, `uid`, `scp` and the server's RESOURCE claims)."""
    claims = {
        "ver": 1,
        "jti": jti,
        "iss": server.issuer,
        "aud": server.audience,
        "iat": now,
        "exp": now + minutes * 60,
        "cid": client_id,
        "scp": scopes,
        "sub": user.username if user is not None else client_id,
    }
    if user is not None:
        claims["uid"] = user.uid
    return claims | custom_claims(server, "RESOURCE", user, scopes)


def id_token_claims(
    server: AuthServer,
    *,
    client_id: str,
    user,
    scopes: list[str],
    auth_time: int,
    now: int,
    minutes: int,
    nonce: str | None = None,
    access_token: str | None = None,
) -> dict:
    """The ID token's claims: OIDC's, those the scopes release, and the server's IDENTITY claims."""
    claims = {
        "sub": user.uid,
        "ver": 1,
        "iss": server.issuer,
        "aud": client_id,
        "iat": now,
        "exp": now + minutes * 60,
        "jti": "ID." + secrets.token_urlsafe(16),
        "amr": ["pwd"],
        "idp": server.issuer,
        "auth_time": auth_time,
    }
    if nonce:
        claims["nonce"] = nonce
    if access_token:
        claims["at_hash"] = half_hash(access_token)
    claims.update(user_claims(user, scopes))
    custom = custom_claims(server, "IDENTITY", user, scopes)
    return claims | {name: value for name, value in custom.items() if name not in claims}  # standard ones win


def mint_access_token(
    server: AuthServer,
    *,
    client_id: str,
    scopes: list[str],
    user=None,
    family_id: str | None = None,
    now: int | None = None,
    jti: str | None = None,
    minutes: int | None = None,
    jkt: str | None = None,
) -> MintedAccess:
    now = now or int(time.time())
    key = keys.signing_key(server.id)
    jti = jti or access_jti(family_id)
    claims = access_token_claims(
        server, client_id=client_id, scopes=scopes, user=user, jti=jti, now=now, minutes=minutes or access_minutes()
    )
    if jkt:
        claims["cnf"] = {"jkt": jkt}  # DPoP-bound (RFC 9449 §6): only a proof by that key can use it
    token = jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid, "typ": "at+jwt"})
    return MintedAccess(token, jti, claims["exp"])


def mint_id_token(
    server: AuthServer,
    *,
    client_id: str,
    user,
    scopes: list[str],
    auth_time: int,
    nonce: str | None = None,
    access_token: str | None = None,
    now: int | None = None,
    minutes: int | None = None,
) -> str:
    now = now or int(time.time())
    key = keys.signing_key(server.id)
    claims = id_token_claims(
        server,
        client_id=client_id,
        user=user,
        scopes=scopes,
        auth_time=auth_time,
        now=now,
        minutes=minutes or settings.ROTOR_ID_TOKEN_MINUTES,
        nonce=nonce,
        access_token=access_token,
    )
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and len(token) < 8192


def verify(server: AuthServer, token: str, *, audience: str | None = None, verify_exp: bool = True) -> dict | None:
    """The claims of a token this server signed with a published key, or None."""
    try:
        header = jwt.get_unverified_header(token)
        public = keys.public_key(server.id, header.get("kid", ""))
        if public is None:
            return None
        return jwt.decode(
            token,
            public,
            algorithms=["RS256"],
            issuer=server.issuer,
            audience=audience,
            options={"verify_aud": audience is not None, "verify_exp": verify_exp},
            leeway=0 if verify_exp else 10**9,
        )
    except (jwt.PyJWTError, ValueError, TypeError, KeyError):
        return None


def access_claims(server: AuthServer, token: str) -> dict | None:
    """Claims of an unexpired access token signed by `server` (revoked or not)."""
    if not looks_like_jwt(token):
        return None
    claims = verify(server, token)
    if claims is None or "cid" not in claims or not str(claims.get("jti", "")).startswith("AT."):
        return None
    return claims


def live_access_claims(server: AuthServer, token: str) -> dict | None:
    """Claims of an unexpired access token signed by `server` that nothing has revoked: not the token,
    its family, its app or its user (tokens/lifecycle/revocation.py); one query."""
    claims = access_claims(server, token)
    if claims is None or is_access_token_revoked(claims):
        return None
    return claims


def issue(
    server: AuthServer,
    app,
    *,
    user,
    granted: list[str],
    lifetimes: Lifetimes | None = None,
    family=None,
    refresh_token: str | None = None,
    auth_time: int | None = None,
    nonce: str | None = None,
    jti: str | None = None,
    jkt: str | None = None,
) -> dict:
    """Sign the access token (and ID token for `openid`) and build the token response.

    The access token lives as long as the family was granted (`family.access_minutes`), else as
    `lifetimes` (the policy decision of this grant) says, else the org server's fixed lifetime. With
    `jkt`, the thumbprint of the request's DPoP proof, it is bound to that key (`token_type: DPoP`)."""
    now = int(time.time())
    minutes = family.access_minutes if family is not None else (lifetimes.access_minutes if lifetimes else None)
    access = mint_access_token(
        server,
        client_id=app.client_id,
        scopes=granted,
        user=user,
        family_id=family.public_id if family else None,
        now=now,
        jti=jti,
        minutes=minutes,
        jkt=jkt,
    )
    body = {
        "token_type": "DPoP" if jkt else "Bearer",
        "expires_in": access.expires_at - now,
        "access_token": access.token,
        "scope": " ".join(granted),
    }
    if refresh_token:
        body["refresh_token"] = refresh_token
    if user is not None and "openid" in granted:
        body["id_token"] = mint_id_token(
            server,
            client_id=app.client_id,
            user=user,
            scopes=granted,
            auth_time=auth_time or now,
            nonce=nonce,
            access_token=access.token,
            now=now,
            minutes=lifetimes.id_minutes if lifetimes else None,
        )
    return body
