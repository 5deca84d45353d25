"""DPoP proofs at the token endpoint (RFC 9449 §4.3, tokens/oauth/dpop.py): each check failing on its own,
the server nonce (Okta's `use_dpop_nonce` round), every grant getting `token_type: DPoP` and a bound access
token, apps that require a proof, and a proof's `jti` replayed across the workers of a live server."""

import base64
import secrets
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest
import requests
import time_machine
from django.conf import settings

from core.crypto import hash_token
from core.models import SeenValue
from tests.kit.device import DEVICE_GRANT, device_authorize
from tests.kit.dpop import DPoPKey, token_url
from tests.kit.oauth import authorize_code, claims, exchange, form_post, token_request
from tokens.device import activation
from tokens.models import DeviceCode
from tokens.oauth import dpop


def url() -> str:
    """Client credentials are a custom server's grant (the org server has only the OIDC scopes)."""
    return token_url(settings.ROTOR_ISSUER, "default")


@pytest.fixture
def key():
    return DPoPKey("ES256")


@pytest.fixture
def service_app(make_app):
    app, secret = make_app(label="Reporting job", application_type="service", grant_types=["client_credentials"])
    app.plain_secret = secret
    return app


def cc(client, app, proof=None, **headers):
    """A client_credentials request of `app` with `proof` as its DPoP header."""
    if proof is not None:
        headers["HTTP_DPOP"] = proof
    data = {"grant_type": "client_credentials"}
    return form_post(client, "token", data, app=app, secret=app.plain_secret, server="default", **headers)


def good(key: DPoPKey, **kwargs) -> str:
    return key.proof(url(), nonce=dpop.current_nonce(), **kwargs)


def org_good(key: DPoPKey) -> str:
    """A good proof for the org server's token endpoint."""
    return key.proof(token_url(settings.ROTOR_ISSUER), nonce=dpop.current_nonce())


def assert_invalid(response, words: str):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "invalid_dpop_proof", body
    assert words in body["error_description"], body
    assert response["DPoP-Nonce"]  # a client can always build its next proof


def test_a_valid_proof_binds_the_access_token(client, service_app, key):
    response = cc(client, service_app, good(key))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "DPoP"
    assert claims(body["access_token"])["cnf"] == {"jkt": key.jkt}
    assert response["DPoP-Nonce"] == dpop.current_nonce()


def test_without_a_proof_the_token_is_a_bearer_token(client, service_app):
    body = cc(client, service_app).json()
    assert body["token_type"] == "Bearer" and "cnf" not in claims(body["access_token"])


@pytest.mark.parametrize("alg", ["ES256", "RS256", "PS256", "EdDSA"])
def test_the_advertised_algorithms_are_accepted(client, service_app, alg):
    key = DPoPKey(alg)
    response = cc(client, service_app, good(key))
    assert response.status_code == 200, response.content
    assert claims(response.json()["access_token"])["cnf"]["jkt"] == key.jkt


def test_the_nonce_round_as_okta_asks_for_it(client, service_app, key):
    """No nonce: 400 use_dpop_nonce with DPoP-Nonce; the same request with that nonce succeeds."""
    first = cc(client, service_app, key.proof(url()))
    assert first.status_code == 400
    assert first.json() == {
        "error": "use_dpop_nonce",
        "error_description": "Authorization server requires nonce in DPoP proof.",
    }
    nonce = first["DPoP-Nonce"]
    second = cc(client, service_app, key.proof(url(), nonce=nonce))
    assert second.status_code == 200, second.content


def test_a_wrong_or_stale_nonce_gets_a_fresh_one(client, service_app, key):
    wrong = cc(client, service_app, key.proof(url(), nonce="not-a-nonce"))
    assert wrong.status_code == 400 and wrong.json()["error"] == "use_dpop_nonce"
    assert "'nonce' is not current" in wrong.json()["error_description"]
    with time_machine.travel(time.time() - 3 * dpop.NONCE_STEP_SECONDS):
        old = dpop.current_nonce()
    stale = cc(client, service_app, key.proof(url(), nonce=old))
    assert stale.json()["error"] == "use_dpop_nonce" and stale["DPoP-Nonce"] != old


def test_the_previous_steps_nonce_is_still_accepted(client, service_app, key):
    with time_machine.travel(time.time() - dpop.NONCE_STEP_SECONDS):
        previous = dpop.current_nonce()
    assert cc(client, service_app, key.proof(url(), nonce=previous)).status_code == 200


def _unsigned(key: DPoPKey, alg: str, secret=None) -> str:
    body = {"jti": secrets.token_urlsafe(8), "htm": "POST", "htu": url(), "iat": int(time.time())}
    body["nonce"] = dpop.current_nonce()
    return jwt.encode(body, secret, algorithm=alg, headers={"typ": "dpop+jwt", "jwk": key.public_jwk})


def _with_private_jwk(key: DPoPKey) -> str:
    private = jwt.algorithms.ECAlgorithm.to_jwk(key.private, as_dict=True)
    return good(key, header={"jwk": private})


def _other_signature(key: DPoPKey) -> str:
    """A proof that carries `key`'s jwk but is signed by another key."""
    return good(DPoPKey("ES256"), header={"jwk": key.public_jwk})


# Each proof is right in all but one way, and the description names that one.
BROKEN = {
    "typ": (lambda k: good(k, header={"typ": "JWT"}), "'typ' must be 'dpop+jwt'"),
    "alg none": (lambda k: _unsigned(k, "none"), "'alg' must be an asymmetric algorithm"),
    "HS256": (lambda k: _unsigned(k, "HS256", "a shared secret of 32 bytes or more!"), "'alg' must be an asymmetric"),
    "private key in jwk": (_with_private_jwk, "'jwk' must not contain a private key"),
    "no jwk": (lambda k: good(k, header={"jwk": None}), "public key as 'jwk'"),
    "jwk of another key type": (lambda k: good(k, header={"jwk": DPoPKey("EdDSA").public_jwk}), "not a public EC key"),
    "signature": (_other_signature, "signature does not verify"),
    "htm": (lambda k: good(k, htm="GET"), "'htm' must be the request's method, 'POST'"),
    "htu other path": (lambda k: k.proof(url().replace("/token", "/revoke"), nonce=dpop.current_nonce()), "'htu'"),
    "htu other host": (lambda k: k.proof("https://evil.example/oauth2/v1/token", nonce=dpop.current_nonce()), "'htu'"),
    "stale iat": (lambda k: good(k, iat=time.time() - dpop.IAT_WINDOW_SECONDS - 5), "'iat' must be within 300"),
    "future iat": (lambda k: good(k, iat=time.time() + dpop.IAT_WINDOW_SECONDS + 5), "'iat' must be within 300"),
    "no iat": (lambda k: good(k, drop=("iat",)), "'iat'"),
    "no jti": (lambda k: good(k, drop=("jti",)), "must carry a 'jti'"),
    "two headers": (lambda k: f"{good(k)},{good(k)}", "exactly one DPoP header"),
    "not a JWT": (lambda k: "garbage", "not a well-formed JWT"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_each_check_fails_on_its_own(client, service_app, key, case):
    make, words = BROKEN[case]
    assert_invalid(cc(client, service_app, make(key)), words)
    assert not SeenValue.objects.exists()  # only a proof that passed every other check spends its jti


def test_htu_is_compared_without_query_fragment_default_port_or_case(client, service_app, key):
    issuer = settings.ROTOR_ISSUER
    loud = issuer.replace("http://", "HTTP://").upper().replace("HTTP://", "http://")
    for htu in (f"{url()}?x=1", f"{url()}#frag", f"{loud}/oauth2/default/v1/token"):
        response = cc(client, service_app, key.proof(htu, nonce=dpop.current_nonce()))
        assert response.status_code == 200, (htu, response.content)


def test_a_replayed_jti_is_refused(client, service_app, key):
    proof = good(key)
    assert cc(client, service_app, proof).status_code == 200
    assert_invalid(cc(client, service_app, proof), "'jti' was used before")
    assert_invalid(cc(client, service_app, good(key, jti=claims(proof)["jti"])), "'jti' was used before")


def test_the_jti_is_forgotten_after_its_window(client, service_app, key):
    jti = "kept-for-a-while"
    assert cc(client, service_app, good(key, jti=jti)).status_code == 200
    with time_machine.travel(time.time() + dpop.JTI_TTL_SECONDS + 1):
        assert cc(client, service_app, good(key, jti=jti)).status_code == 200


def test_every_grant_is_bound(client, make_app, public_app, end_user, tv_app, service_app, key):
    """authorization_code, refresh_token, device_code and client_credentials each answer DPoP with cnf.jkt."""
    client.force_login(end_user)
    grant = authorize_code(client, public_app)
    client.logout()
    body = {
        "grant_type": "authorization_code",
        "code": grant["code"],
        "redirect_uri": grant["redirect_uri"],
        "code_verifier": grant["verifier"],
        "client_id": public_app.client_id,
    }
    issued = form_post(client, "token", body, HTTP_DPOP=org_good(key))
    assert issued.status_code == 200, issued.content
    refreshed = form_post(
        client,
        "token",
        {"grant_type": "refresh_token", "refresh_token": issued.json()["refresh_token"]},
        app=public_app,
        HTTP_DPOP=org_good(key),
    )
    assert refreshed.status_code == 200, refreshed.content

    code = device_authorize(client, tv_app).json()
    row = DeviceCode.objects.select_related("client").get(device_code_hash=hash_token(code["device_code"]))
    assert activation.approve(row, end_user)
    polled = form_post(
        client,
        "token",
        {"grant_type": DEVICE_GRANT, "device_code": code["device_code"], "client_id": tv_app.client_id},
        HTTP_DPOP=org_good(key),
    )
    assert polled.status_code == 200, polled.content

    minted = cc(client, service_app, good(key))
    for response in (issued, refreshed, polled, minted):
        assert response.json()["token_type"] == "DPoP"
        assert claims(response.json()["access_token"])["cnf"] == {"jkt": key.jkt}


def test_an_app_that_requires_dpop_refuses_requests_without_a_proof(client, make_app, key):
    app, secret = make_app(
        label="Bound job", application_type="service", grant_types=["client_credentials"], dpop_bound_access_tokens=True
    )
    app.plain_secret = secret
    assert_invalid(cc(client, app), "The DPoP proof JWT header is missing.")
    assert cc(client, app, good(key)).status_code == 200
    assert_invalid(cc(client, app), "missing")  # also once the worker caches the app (client_cache.py)


def test_an_app_that_requires_dpop_refuses_a_code_exchange_without_a_proof(client, make_app, end_user):
    app, secret = make_app(
        label="Bound web", grant_types=["authorization_code", "refresh_token"], dpop_bound_access_tokens=True
    )
    client.force_login(end_user)
    grant = authorize_code(client, app)
    client.logout()
    assert_invalid(exchange(client, app, grant, secret=secret), "missing")


def test_a_bad_proof_is_refused_before_the_client_is_even_authenticated(client, service_app, key):
    response = token_request(
        client, {"grant_type": "client_credentials"}, app=service_app, secret="wrong secret of some length"
    )
    assert response.status_code == 401
    bad = form_post(
        client,
        "token",
        {"grant_type": "client_credentials"},
        app=service_app,
        secret="wrong secret of some length",
        HTTP_DPOP="garbage",
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_dpop_proof"


# Live: one store for every worker ------------------------------------------------------------------------


@pytest.mark.live
def test_a_jti_replayed_across_the_workers_of_a_live_server_works_once(live, live_db):
    from clients.services import create_app

    app, secret = create_app(
        {
            "label": f"dpop-live-{uuid.uuid4().hex[:8]}",
            "application_type": "service",
            "grant_types": ["client_credentials"],
        }
    )
    key = DPoPKey("ES256")
    endpoint = token_url(live.url, "default")

    def send(proof):
        return requests.post(
            endpoint,
            data={"grant_type": "client_credentials"},
            auth=(app.client_id, secret),
            headers={"DPoP": proof},
            timeout=30,
        )

    nonce = send(key.proof(endpoint))
    assert nonce.status_code == 400 and nonce.json()["error"] == "use_dpop_nonce"
    proof = key.proof(endpoint, nonce=nonce.headers["DPoP-Nonce"])
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(send, [proof] * 8))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [400] * 7, [a.text for a in answers]
    assert all("'jti' was used before" in a.json()["error_description"] for a in answers if a.status_code == 400)
    # the same proof sent again later, to whichever worker takes it, is refused too
    assert "'jti' was used before" in send(proof).json()["error_description"]


def _signed(key: DPoPKey, claims_: dict) -> str:
    return jwt.encode(claims_, key.private, algorithm="ES256", headers={"typ": "dpop+jwt", "jwk": key.public_jwk})


def test_odd_input_is_a_400_never_a_500(client, service_app, key):
    """NaN as `iat` (Python's JSON reads it), a non-ASCII nonce, JSON nested past the recursion limit."""
    base = {"jti": "odd", "htm": "POST", "htu": url(), "nonce": dpop.current_nonce()}
    assert_invalid(cc(client, service_app, _signed(key, base | {"iat": float("nan")})), "'iat'")
    non_ascii = cc(client, service_app, key.proof(url(), nonce="nonce-ü"))
    assert non_ascii.status_code == 400 and non_ascii.json()["error"] == "use_dpop_nonce"
    nested = base64.urlsafe_b64encode(b"[" * 2500 + b"]" * 2500).rstrip(b"=").decode()
    assert_invalid(cc(client, service_app, f"{nested}.e30.c2ln"), "not a well-formed JWT")
    assert_invalid(cc(client, service_app, "e30.bm90IGpzb24.c2ln"), "not a well-formed JWT")
