"""Rotor as a resource server for DPoP-bound tokens (RFC 9449 §7): userinfo takes `Authorization: DPoP`
with a proof by the token's key that hashes it as `ath`, and refuses the bound token as Bearer;
introspection tells `token_type: DPoP` and `cnf.jkt`; CORS lets a browser send `DPoP` and read
`DPoP-Nonce`; discovery lists the proof algorithms."""

import pytest

from tests.kit.dpop import DPoPKey, dpop_tokens, proof_for
from tests.kit.oauth import claims, introspection, tokens_for

USERINFO = "/oauth2/v1/userinfo"
TRUSTED = "https://spa.example.com"


@pytest.fixture
def key():
    return DPoPKey("ES256")


@pytest.fixture
def bound(client, public_app, end_user, key) -> dict:
    response = dpop_tokens(client, public_app, end_user, key)
    assert response.status_code == 200, response.content
    return response.json()


def userinfo(client, token, *, scheme="DPoP", proof=None, method="get"):
    headers = {"HTTP_AUTHORIZATION": f"{scheme} {token}"}
    if proof is not None:
        headers["HTTP_DPOP"] = proof
    return getattr(client, method)(USERINFO, **headers)


def ui_proof(key, token, *, htm="GET", **kwargs):
    """A proof for userinfo that carries `ath`; the resource side asks for no nonce."""
    kwargs.setdefault("nonce", None)
    return proof_for(key, "userinfo", htm=htm, access_token=token, **kwargs)


def test_userinfo_with_a_dpop_token_and_its_proof(client, bound, key, end_user):
    token = bound["access_token"]
    response = userinfo(client, token, proof=ui_proof(key, token))
    assert response.status_code == 200, response.content
    assert response.json()["sub"] == end_user.uid


def test_userinfo_by_post_needs_a_post_proof(client, bound, key):
    token = bound["access_token"]
    assert userinfo(client, token, proof=ui_proof(key, token), method="post").status_code == 401
    post = proof_for(key, "userinfo", htm="POST", access_token=token, nonce=None)
    assert userinfo(client, token, proof=post, method="post").status_code == 200


def test_a_bound_token_presented_as_bearer_is_refused(client, bound):
    response = userinfo(client, bound["access_token"], scheme="Bearer")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith("DPoP ") and 'error="invalid_token"' in challenge and "ES256" in challenge


def refused(response, error="invalid_dpop_proof", words=""):
    assert response.status_code == 401, response.content
    assert response.json()["error"] == error and words in response.json()["error_description"]
    assert response["WWW-Authenticate"].startswith("DPoP ") and f'error="{error}"' in response["WWW-Authenticate"]


def test_userinfo_refuses_a_missing_or_wrong_proof(client, bound, key):
    token = bound["access_token"]
    refused(userinfo(client, token), words="missing")
    refused(userinfo(client, token, proof=proof_for(key, "userinfo", htm="GET", nonce=None)), words="'ath'")
    refused(userinfo(client, token, proof=ui_proof(key, token + "x")), words="'ath'")
    refused(userinfo(client, token, proof=ui_proof(DPoPKey(), token)), words="not signed by the key")
    refused(userinfo(client, token, proof=ui_proof(key, token, htm="POST")), words="'htm'")
    refused(userinfo(client, token, proof=proof_for(key, "token", htm="GET", access_token=token)), words="'htu'")


def test_userinfo_refuses_a_replayed_proof(client, bound, key):
    token = bound["access_token"]
    proof = ui_proof(key, token)
    assert userinfo(client, token, proof=proof).status_code == 200
    refused(userinfo(client, token, proof=proof), words="'jti' was used before")


def test_an_unbound_token_sent_as_dpop_is_refused_and_works_as_bearer(client, issued, key):
    token = issued["access_token"]
    refused(userinfo(client, token, proof=ui_proof(key, token)), error="invalid_token", words="not DPoP-bound")
    assert userinfo(client, token, scheme="Bearer").status_code == 200


def test_introspection_tells_the_binding(client, public_app, bound, key):
    body = introspection(client, public_app, bound["access_token"])
    assert body["active"] is True and body["token_type"] == "DPoP" and body["cnf"] == {"jkt": key.jkt}
    assert claims(bound["access_token"])["cnf"] == {"jkt": key.jkt}


def test_introspection_of_a_bearer_token_has_no_cnf(client, confidential_app, end_user):
    issued = tokens_for(client, confidential_app, end_user, secret=confidential_app.plain_secret)
    body = introspection(client, confidential_app, issued["access_token"], confidential_app.plain_secret)
    assert body["token_type"] == "Bearer" and "cnf" not in body


def test_cors_lets_a_browser_send_dpop_and_read_the_nonce(client, public_app, key):
    preflight = client.options(
        "/oauth2/v1/token",
        HTTP_ORIGIN=TRUSTED,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert "dpop" in {h.strip().lower() for h in preflight["Access-Control-Allow-Headers"].split(",")}
    response = client.post(
        "/oauth2/v1/token",
        "grant_type=client_credentials",
        content_type="application/x-www-form-urlencoded",
        HTTP_ORIGIN=TRUSTED,
        HTTP_DPOP=key.proof("http://nowhere.example/token"),
    )
    assert response.status_code == 400 and response["DPoP-Nonce"]
    exposed = {h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert {"dpop-nonce", "www-authenticate"} <= exposed


def test_an_untrusted_origin_gets_no_exposed_headers(client, public_app):
    response = client.get(USERINFO, HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Expose-Headers" not in response


@pytest.mark.parametrize(
    "path", ["/.well-known/openid-configuration", "/oauth2/default/.well-known/oauth-authorization-server"]
)
def test_discovery_lists_the_proof_algorithms(client, db, path):
    algs = client.get(path).json()["dpop_signing_alg_values_supported"]
    assert {"ES256", "RS256", "PS256", "EdDSA"} <= set(algs)
    assert not {"none", "HS256"} & set(algs)
