"""DPoP binding (RFC 9449 §5, §10): a public client's family is bound to the key of its first token request;
every refresh needs a proof by that key, or gets `invalid_grant` with the family untouched (not a replay).
Rotation, grace and reuse detection work as before; confidential clients stay bound by their secret;
`dpop_jkt` at /authorize binds the code. The statement counts are in tests/tokens/test_refresh_queries.py."""

import datetime as dt
import os

import pytest
import time_machine

from core.models import Event
from tests.kit.dpop import DPoPKey, dpop_refresh, dpop_tokens
from tests.kit.oauth import INVALID_REFRESH, authorize_code, claims, introspection
from tokens.models import AuthorizationCode, RefreshToken, TokenFamily

SQL_PATHS = [True, False] if os.environ.get("DATABASE_URL", "").startswith("postgres") else [False]
BOUND = {
    "error": "invalid_grant",
    "error_description": "The refresh token is bound to a DPoP key; the request must carry a DPoP proof signed by "
    "that key.",
}


@pytest.fixture(autouse=True, params=SQL_PATHS, ids=lambda fast: "fast-sql" if fast else "orm")
def refresh_path(request, settings):
    settings.ROTOR_FAST_SQL = request.param
    return request.param


@pytest.fixture
def key():
    return DPoPKey("ES256")


@pytest.fixture
def thief():
    return DPoPKey("ES256")


def sign_in(client, app, user, key, **kwargs) -> dict:
    response = dpop_tokens(client, app, user, key, **kwargs)
    assert response.status_code == 200, response.content
    return response.json()


def family_state() -> list[tuple]:
    """What a refused refresh must leave as it was: the families, their tokens and the event count."""
    families = list(TokenFamily.objects.values_list("public_id", "status", "dpop_jkt"))
    tokens = list(RefreshToken.objects.order_by("pk").values_list("pk", "rotated_at", "last_used"))
    return [families, tokens, Event.objects.count()]


def test_a_public_clients_family_is_bound_to_the_key_of_its_sign_in(client, rotating_app, end_user, key):
    issued = sign_in(client, rotating_app, end_user, key)
    assert issued["token_type"] == "DPoP" and claims(issued["access_token"])["cnf"] == {"jkt": key.jkt}
    assert TokenFamily.objects.get().dpop_jkt == key.jkt
    assert introspection(client, rotating_app, issued["refresh_token"])["cnf"] == {"jkt": key.jkt}


def test_the_right_key_refreshes_and_rotates(client, rotating_app, end_user, key):
    first = sign_in(client, rotating_app, end_user, key)["refresh_token"]
    response = dpop_refresh(client, rotating_app, first, key)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "DPoP" and body["refresh_token"] != first
    assert claims(body["access_token"])["cnf"] == {"jkt": key.jkt}
    assert RefreshToken.objects.filter(rotated_at__isnull=False).count() == 1
    assert dpop_refresh(client, rotating_app, body["refresh_token"], key).status_code == 200


@pytest.mark.parametrize("presented_by", ["another key", "no proof"])
def test_another_key_or_no_proof_is_invalid_grant_and_leaves_the_family_untouched(
    client, rotating_app, end_user, key, thief, presented_by
):
    first = sign_in(client, rotating_app, end_user, key)["refresh_token"]
    before = family_state()
    response = dpop_refresh(client, rotating_app, first, thief if presented_by == "another key" else None)
    assert response.status_code == 400 and response.json() == BOUND
    assert family_state() == before  # not rotated, not revoked, nothing logged
    assert dpop_refresh(client, rotating_app, first, key).status_code == 200  # the owner carries on


def test_grace_on_a_bound_family_needs_the_key_too(client, rotating_app, end_user, key, thief):
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        first = sign_in(client, rotating_app, end_user, key)["refresh_token"]
        second = dpop_refresh(client, rotating_app, first, key).json()["refresh_token"]
        clock.shift(10)
        assert dpop_refresh(client, rotating_app, first, thief).json() == BOUND  # inside the grace period
        retry = dpop_refresh(client, rotating_app, first, key)
        assert retry.status_code == 200, retry.content
        assert retry.json()["refresh_token"] not in (first, second)
        assert retry.json()["token_type"] == "DPoP"
    assert TokenFamily.objects.get().status == "ACTIVE"
    origins = list(RefreshToken.objects.order_by("created", "pk").values_list("origin", flat=True))
    assert origins == ["issued", "rotation", "grace"]


def test_reuse_on_a_bound_family_revokes_it_but_a_thiefs_replay_does_not(client, rotating_app, end_user, key, thief):
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        first = sign_in(client, rotating_app, end_user, key)["refresh_token"]
        second = dpop_refresh(client, rotating_app, first, key).json()["refresh_token"]
        clock.shift(rotating_app.leeway + 1)
        assert dpop_refresh(client, rotating_app, first, thief).json() == BOUND
        assert TokenFamily.objects.get().status == "ACTIVE"  # without the key, a stolen token is no replay
        replay = dpop_refresh(client, rotating_app, first, key)
        assert replay.status_code == 400 and replay.json() == INVALID_REFRESH
        assert dpop_refresh(client, rotating_app, second, key).json() == INVALID_REFRESH
    family = TokenFamily.objects.get()
    assert (family.status, family.revoked_reason) == ("REVOKED", "reuse_detected")
    assert Event.objects.filter(event_type="app.oauth2.token.detect_reuse").count() == 1


def test_a_public_family_signed_in_without_a_proof_is_not_bound(client, rotating_app, end_user, key):
    first = sign_in(client, rotating_app, end_user, None)["refresh_token"]
    assert TokenFamily.objects.get().dpop_jkt == ""
    plain = dpop_refresh(client, rotating_app, first, None).json()
    assert plain["token_type"] == "Bearer"
    bound_access = dpop_refresh(client, rotating_app, plain["refresh_token"], key).json()
    assert bound_access["token_type"] == "DPoP"  # the access token is bound; the family stays as it was
    assert TokenFamily.objects.get().dpop_jkt == ""


def test_a_confidential_clients_family_is_bound_by_its_secret_not_the_key(
    client, confidential_app, end_user, key, thief
):
    secret = confidential_app.plain_secret
    first = sign_in(client, confidential_app, end_user, key, secret=secret)["refresh_token"]
    assert TokenFamily.objects.get().dpop_jkt == ""
    without = dpop_refresh(client, confidential_app, first, None, secret=secret)
    assert without.status_code == 200 and without.json()["token_type"] == "Bearer"
    other = dpop_refresh(client, confidential_app, first, thief, secret=secret)
    assert other.status_code == 200 and claims(other.json()["access_token"])["cnf"] == {"jkt": thief.jkt}


def test_a_public_static_app_that_requires_dpop_keeps_its_token_bound(client, make_app, end_user, key, thief):
    """The smart TV's case: a persistent refresh token, useless without the device's key."""
    app, _ = make_app(
        label="TV",
        application_type="native",
        grant_types=["authorization_code", "refresh_token"],
        redirect_uris=["com.example.app:/callback"],
        rotation_type="STATIC",
        dpop_bound_access_tokens=True,
    )
    token = sign_in(client, app, end_user, key)["refresh_token"]
    again = dpop_refresh(client, app, token, key)
    assert again.status_code == 200 and again.json()["refresh_token"] == token
    assert dpop_refresh(client, app, token, thief).json() == BOUND
    refused = dpop_refresh(client, app, token, None)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_dpop_proof"


def test_the_device_grant_binds_a_tvs_family(client, tv_app, end_user, key):
    from core.crypto import hash_token
    from tests.kit.device import DEVICE_GRANT, device_authorize
    from tests.kit.dpop import proof_for
    from tests.kit.oauth import form_post
    from tokens.device import activation
    from tokens.models import DeviceCode

    code = device_authorize(client, tv_app).json()
    row = DeviceCode.objects.select_related("client").get(device_code_hash=hash_token(code["device_code"]))
    assert activation.approve(row, end_user)
    data = {"grant_type": DEVICE_GRANT, "device_code": code["device_code"], "client_id": tv_app.client_id}
    issued = form_post(client, "token", data, HTTP_DPOP=proof_for(key))
    assert issued.status_code == 200, issued.content
    assert TokenFamily.objects.get().dpop_jkt == key.jkt
    assert dpop_refresh(client, tv_app, issued.json()["refresh_token"], None).json() == BOUND


# dpop_jkt at /authorize (RFC 9449 §10) --------------------------------------------------------------------


def test_dpop_jkt_binds_the_code_to_that_key(client, rotating_app, end_user, key, thief):
    client.force_login(end_user)
    grant = authorize_code(client, rotating_app, dpop_jkt=key.jkt)
    client.logout()
    assert AuthorizationCode.objects.get().dpop_jkt == key.jkt
    from tests.kit.dpop import proof_for
    from tests.kit.oauth import form_post

    data = {
        "grant_type": "authorization_code",
        "code": grant["code"],
        "redirect_uri": grant["redirect_uri"],
        "code_verifier": grant["verifier"],
    }
    for wrong in ({"HTTP_DPOP": proof_for(thief)}, {}):
        response = form_post(client, "token", data, app=rotating_app, **wrong)
        assert response.status_code == 400 and response.json()["error"] == "invalid_grant", response.content
        assert "dpop_jkt" in response.json()["error_description"]
    assert AuthorizationCode.objects.get().redeemed_at is None  # still unused: a wrong key spends nothing
    right = form_post(client, "token", data, app=rotating_app, HTTP_DPOP=proof_for(key))
    assert right.status_code == 200, right.content
    assert TokenFamily.objects.get().dpop_jkt == key.jkt


def test_a_malformed_dpop_jkt_is_refused_at_authorize(client, rotating_app, end_user):
    from tests.kit.oauth import authorize_params, pkce_pair

    client.force_login(end_user)
    _, challenge = pkce_pair()
    response = client.get("/oauth2/v1/authorize", authorize_params(rotating_app, challenge=challenge, dpop_jkt="x"))
    assert response.status_code == 302
    assert "error=invalid_request" in response["Location"] and "dpop_jkt" in response["Location"]
    assert not AuthorizationCode.objects.exists()
