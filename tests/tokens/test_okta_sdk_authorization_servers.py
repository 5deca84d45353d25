"""Okta's Python SDK, unchanged, drives /api/v1/authorizationServers against the live server: a server, a
scope, a policy for one client and a rule with lifetimes, read back; then a sign-in through that server
whose tokens carry the rule's lifetimes."""

import asyncio
import time
import uuid

import jwt
import pytest
import requests

from accounts.models import User
from accounts.services import create_api_token
from clients.services import create_app
from tests.kit.oauth import live_sign_in
from tokens.models import TokenFamily

pytestmark = [pytest.mark.live]


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture
def sdk(live, live_db, monkeypatch):
    from okta.client import Client

    name = f"sdk-as-{uuid.uuid4().hex[:8]}@example.com"
    admin = User.objects.create_user(name, name, "admin password 123", is_staff=True)
    monkeypatch.setenv("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "true")  # a plain-http org URL
    return Client({"orgUrl": live.url, "token": create_api_token(admin, "sdk")[1]})


@pytest.fixture
def signer(live_db):
    """A web app and a user, committed so the live server sees them."""
    suffix = uuid.uuid4().hex[:8]
    user = User.objects.create_user(f"as-{suffix}@example.com", f"as-{suffix}@example.com", "as password 123")
    app, secret = create_app(
        {
            "label": f"AS app {suffix}",
            "application_type": "web",
            "grant_types": ["authorization_code", "refresh_token"],
            "redirect_uris": ["https://app.example.com/callback"],
        }
    )
    return {"user": user, "password": "as password 123", "app": app, "secret": secret}


def test_okta_sdk_configures_a_server_and_a_sign_in_gets_the_rule_s_lifetimes(sdk, signer, live):
    from okta import models

    suffix = uuid.uuid4().hex[:8]
    audience = f"api://sdk-{suffix}"
    server, _, err = run(
        sdk.create_authorization_server(
            models.AuthorizationServer(name=f"SDK {suffix}", description="Made by the SDK", audiences=[audience])
        )
    )
    assert err is None, err
    assert server.id.startswith("aus") and server.issuer == f"{live.url}/oauth2/{server.id}"

    scope, _, err = run(
        sdk.create_o_auth2_scope(
            server.id,
            models.OAuth2Scope(name=f"sdk:{suffix}", description="SDK scope", metadata_publish="ALL_CLIENTS"),
        )
    )
    assert err is None, err
    assert scope.name == f"sdk:{suffix}" and scope.system is False

    policy, _, err = run(
        sdk.create_authorization_server_policy(
            server.id,
            models.AuthorizationServerPolicy(
                type="OAUTH_AUTHORIZATION_POLICY",
                name="One client",
                description="Only the SDK test's app",
                priority=1,
                conditions=models.AuthorizationServerPolicyConditions(
                    clients=models.ClientPolicyCondition(include=[signer["app"].client_id])
                ),
            ),
        )
    )
    assert err is None, err
    assert policy.conditions.clients.include == [signer["app"].client_id]

    rule, _, err = run(
        sdk.create_authorization_server_policy_rule(
            server.id,
            policy.id,
            models.AuthorizationServerPolicyRuleRequest(
                type="RESOURCE_ACCESS",
                name="Short-lived",
                priority=1,
                conditions=models.AuthorizationServerPolicyRuleConditions(
                    grant_types=models.GrantTypePolicyRuleCondition(include=["authorization_code", "refresh_token"]),
                    scopes=models.OAuth2ScopesMediationPolicyRuleCondition(include=["*"]),
                    people=models.AuthorizationServerPolicyPeopleCondition(
                        groups=models.AuthorizationServerPolicyRuleGroupCondition(include=["EVERYONE"])
                    ),
                ),
                actions=models.AuthorizationServerPolicyRuleActions(
                    token=models.TokenAuthorizationServerPolicyRuleAction(
                        access_token_lifetime_minutes=15,
                        refresh_token_lifetime_minutes=120,
                        refresh_token_window_minutes=30,
                    )
                ),
            ),
        )
    )
    assert err is None, err
    assert rule.actions.token.access_token_lifetime_minutes == 15

    # Read everything back.
    fetched, _, err = run(sdk.get_authorization_server(server.id))
    assert err is None, err
    assert (fetched.name, fetched.audiences) == (f"SDK {suffix}", [audience])
    scopes, _, err = run(sdk.list_o_auth2_scopes(server.id))
    assert err is None, err
    assert f"sdk:{suffix}" in {s.name for s in scopes} and "openid" in {s.name for s in scopes}
    policies, _, err = run(sdk.list_authorization_server_policies(server.id))
    assert err is None, err
    assert [p.id for p in policies] == [policy.id]
    rules, _, err = run(sdk.list_authorization_server_policy_rules(server.id, policy.id))
    assert err is None, err
    token = rules[0].actions.token
    assert (token.access_token_lifetime_minutes, token.refresh_token_lifetime_minutes) == (15, 120)
    assert token.refresh_token_window_minutes == 30
    assert rules[0].conditions.grant_types.include == ["authorization_code", "refresh_token"]
    keys, _, err = run(sdk.list_authorization_server_keys(server.id))
    assert err is None, err
    assert sorted(k.status for k in keys) == ["ACTIVE", "NEXT"]

    # A sign-in through the new server gets the rule's lifetimes.
    app = signer["app"]
    grant = live_sign_in(
        live.url,
        app.client_id,
        "https://app.example.com/callback",
        signer["user"].username,
        signer["password"],
        server=server.id,
        scope=f"openid offline_access sdk:{suffix}",
    )
    response = requests.post(
        f"{live.url}/oauth2/{server.id}/v1/token",
        data={
            "grant_type": "authorization_code",
            "code": grant["code"],
            "redirect_uri": grant["redirect_uri"],
            "code_verifier": grant["verifier"],
        },
        auth=(app.client_id, signer["secret"]),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["expires_in"] == 15 * 60
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert (claims["iss"], claims["aud"]) == (f"{live.url}/oauth2/{server.id}", audience)
    assert f"sdk:{suffix}" in claims["scp"]
    jwks = requests.get(f"{live.url}/oauth2/{server.id}/v1/keys", timeout=10).json()
    assert jwt.get_unverified_header(body["access_token"])["kid"] in {k["kid"] for k in jwks["keys"]}
    assert jwt.get_unverified_header(body["access_token"])["kid"] in {k.kid for k in keys}
    family = TokenFamily.objects.get(client=app, server=server.id)
    assert round((family.expires_at - family.created).total_seconds() / 60) == 120
    assert family.idle_minutes == 30

    # Deactivating through the SDK revokes that family; then the server can be deleted.
    _, _, err = run(sdk.deactivate_authorization_server(server.id))
    assert err is None, err
    family.refresh_from_db()
    assert family.status == "REVOKED"
    # Every worker sees the deactivation within ROTOR_SERVER_CACHE_SECONDS (tokens/servers/registry.py).
    deadline = time.monotonic() + 15
    while requests.get(f"{live.url}/oauth2/{server.id}/v1/keys", timeout=10).status_code != 404:
        assert time.monotonic() < deadline, "the deactivated server still answers"
        time.sleep(0.5)
    _, _, err = run(sdk.delete_authorization_server(server.id))
    assert err is None, err
    _, response, err = run(sdk.get_authorization_server(server.id))
    assert response.status == 404 and "E0000007" in str(err)
