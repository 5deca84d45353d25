"""/api/v1/authorizationServers: servers, scopes, claims, policies and rules in Okta's shapes."""

import pytest

from accounts.services import create_api_token
from core.systemlog.models import Event
from tests.kit.api import assert_error, assert_okta_error
from tests.kit.oauth import introspection, tokens_for
from tokens.models import SigningKey
from tokens.servers.models import AuthorizationServer, Claim, Policy, PolicyRule, Scope

BASE = "/api/v1/authorizationServers"
pytestmark = pytest.mark.django_db


def server_body(**overrides):
    return {"name": "Payments", "description": "Payments API", "audiences": ["api://payments"]} | overrides


def policy_body(**overrides):
    return {
        "type": "OAUTH_AUTHORIZATION_POLICY",
        "name": "Payments apps",
        "description": "Apps that call the payments API",
        "priority": 1,
        "conditions": {"clients": {"include": ["ALL_CLIENTS"]}},
    } | overrides


def rule_body(token=None, **overrides):
    return {
        "type": "RESOURCE_ACCESS",
        "name": "Short tokens",
        "conditions": {
            "people": {"groups": {"include": ["EVERYONE"]}},
            "grantTypes": {"include": ["authorization_code", "refresh_token"]},
            "scopes": {"include": ["*"]},
        },
        "actions": {"token": token or {"accessTokenLifetimeMinutes": 15, "refreshTokenLifetimeMinutes": 0}},
    } | overrides


@pytest.fixture
def server(api_client):
    response = api_client.post(BASE, server_body())
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def policy(api_client, server):
    response = api_client.post(f"{BASE}/{server['id']}/policies", policy_body())
    assert response.status_code == 201, response.content
    return response.json()


def rules_url(server, policy):
    return f"{BASE}/{server['id']}/policies/{policy['id']}/rules"


# Servers --------------------------------------------------------------------------------------


def test_create_returns_okta_s_authorization_server(api_client, settings):
    response = api_client.post(BASE, server_body())
    assert response.status_code == 201
    body = response.json()
    sid = body["id"]
    assert sid.startswith("aus") and len(sid) == 20
    assert body["issuer"] == f"{settings.ROTOR_ISSUER}/oauth2/{sid}"
    assert (body["name"], body["description"], body["audiences"]) == ("Payments", "Payments API", ["api://payments"])
    assert (body["status"], body["issuerMode"]) == ("ACTIVE", "ORG_URL")
    active = SigningKey.objects.get(server=sid, status="ACTIVE")
    assert body["credentials"]["signing"]["kid"] == active.kid
    assert body["credentials"]["signing"]["rotationMode"] == "MANUAL"
    links = body["_links"]
    assert links["self"]["href"] == f"{settings.ROTOR_ISSUER}{BASE}/{sid}"
    assert links["deactivate"]["href"].endswith(f"/{sid}/lifecycle/deactivate") and "activate" not in links
    assert links["rotateKey"]["href"].endswith(f"/{sid}/credentials/lifecycle/keyRotate")
    assert [m["name"] for m in links["metadata"]] == ["oauth-authorization-server", "openid-configuration"]
    assert links["metadata"][1]["href"] == f"{settings.ROTOR_ISSUER}/oauth2/{sid}/.well-known/openid-configuration"
    assert body["created"].endswith("Z") and body["lastUpdated"].endswith("Z")
    assert Event.objects.get(event_type="oauth2.as.created").targets[0]["id"] == sid


def test_list_get_and_q(api_client, server):
    listed = api_client.get(BASE)
    assert listed.status_code == 200
    assert {s["id"] for s in listed.json()} == {"default", server["id"]}
    assert [s["id"] for s in api_client.get(BASE, {"q": "pay"}).json()] == [server["id"]]
    one = api_client.get(f"{BASE}/{server['id']}")
    assert one.status_code == 200 and one.json() == server | {"lastUpdated": one.json()["lastUpdated"]}
    default = api_client.get(f"{BASE}/default").json()
    assert default["audiences"] == ["api://default"]


def test_list_pages_by_id_cursor(api_client, db):
    for n in range(3):
        api_client.post(BASE, server_body(name=f"S{n}"))
    seen, url = [], f"{BASE}?limit=2"
    for _ in range(4):
        response = api_client.get(url)
        seen += [s["id"] for s in response.json()]
        nxt = [part for part in response["Link"].split(", ") if 'rel="next"' in part]
        if not nxt:
            break
        url = nxt[0].split(";")[0].strip("<>").split("testserver")[-1].split("localhost:8000")[-1]
    assert sorted(seen) == sorted(AuthorizationServer.objects.values_list("id", flat=True))
    assert len(seen) == 4


def test_put_replaces_name_description_audiences(api_client, server):
    response = api_client.put(f"{BASE}/{server['id']}", server_body(name="Pay", audiences=["api://pay2"]))
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["audiences"]) == ("Pay", ["api://pay2"])
    assert AuthorizationServer.objects.get(pk=server["id"]).name == "Pay"
    assert Event.objects.filter(event_type="oauth2.as.updated").count() == 1


def test_put_of_a_fetched_server_with_read_only_members_works(api_client, server):
    fetched = api_client.get(f"{BASE}/{server['id']}").json()
    fetched["description"] = "Changed"
    response = api_client.put(f"{BASE}/{server['id']}", fetched)
    assert response.status_code == 200, response.content
    assert response.json()["description"] == "Changed"


def test_lifecycle_and_delete(api_client, server):
    sid = server["id"]
    response = api_client.delete(f"{BASE}/{sid}")
    assert_okta_error(response, 400, "E0000001")
    assert "deactivated before" in response.json()["errorCauses"][0]["errorSummary"]
    assert AuthorizationServer.objects.filter(pk=sid).exists()
    assert api_client.post(f"{BASE}/{sid}/lifecycle/deactivate").status_code == 204
    body = api_client.get(f"{BASE}/{sid}").json()
    assert body["status"] == "INACTIVE" and "activate" in body["_links"] and "deactivate" not in body["_links"]
    assert api_client.post(f"{BASE}/{sid}/lifecycle/activate").status_code == 204
    assert api_client.get(f"{BASE}/{sid}").json()["status"] == "ACTIVE"
    api_client.post(f"{BASE}/{sid}/lifecycle/deactivate")
    assert api_client.delete(f"{BASE}/{sid}").status_code == 204
    assert_error(api_client.get(f"{BASE}/{sid}"), 404, "E0000007")
    assert not Scope.objects.filter(server_id=sid).exists()
    types = list(
        Event.objects.filter(event_type__startswith="oauth2.as.").order_by("id").values_list("event_type", flat=True)
    )
    assert types == [
        "oauth2.as.created",
        "oauth2.as.deactivated",
        "oauth2.as.activated",
        "oauth2.as.deactivated",
        "oauth2.as.deleted",
    ]


def test_default_cannot_be_deleted(api_client, db):
    api_client.post(f"{BASE}/default/lifecycle/deactivate")
    response = api_client.delete(f"{BASE}/default")
    assert_okta_error(response, 400, "E0000001")
    assert response.json()["errorSummary"] == "Api validation failed: id"
    api_client.post(f"{BASE}/default/lifecycle/activate")
    assert AuthorizationServer.objects.filter(pk="default").exists()


def test_deactivation_revokes_the_server_s_families(api_client, client, confidential_app, end_user):
    issued = tokens_for(client, confidential_app, end_user, secret=confidential_app.plain_secret, server="default")
    assert introspection(
        client, confidential_app, issued["refresh_token"], confidential_app.plain_secret, server="default"
    )["active"]
    assert api_client.post(f"{BASE}/default/lifecycle/deactivate").status_code == 204
    api_client.post(f"{BASE}/default/lifecycle/activate")
    for token in (issued["refresh_token"], issued["access_token"]):
        result = introspection(client, confidential_app, token, confidential_app.plain_secret, server="default")
        assert result == {"active": False}
    assert Event.objects.filter(event_type="app.oauth2.as.token.revoke").count() == 1


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (server_body(name=""), "name"),
        (server_body(name="x" * 101), "name"),
        (server_body(audiences=[]), "audiences"),
        (server_body(audiences=["a", "b"]), "audiences"),
        (server_body(audiences="api://x"), "audiences"),
        (server_body(name=7), "name"),
        (server_body(description=["x"]), "description"),
        ({"description": "no name"}, "name"),
    ],
)
def test_bad_server_bodies_name_the_field_and_write_nothing(api_client, db, body, path):
    response = api_client.post(BASE, body)
    assert_okta_error(response, 400, "E0000001")
    assert response.json()["errorSummary"] == f"Api validation failed: {path}"
    assert list(AuthorizationServer.objects.values_list("id", flat=True)) == ["default"]
    assert not Event.objects.filter(event_type__startswith="oauth2.").exists()


@pytest.mark.parametrize("raw", [b"{", b"[]", b'"x"', b"null", b'{"name": NaN}'])
def test_malformed_json_is_an_okta_error(api_client, db, raw):
    response = api_client.generic("POST", BASE, raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errorCode"] in ("E0000001", "E0000003")
    assert AuthorizationServer.objects.count() == 1


def test_unknown_members_are_ignored_as_elsewhere_in_the_api(api_client, db):
    response = api_client.post(BASE, server_body(shiny=True, id="ausMINE"))
    assert response.status_code == 201
    assert response.json()["id"] != "ausMINE"


def test_unknown_ids_are_404(api_client, db):
    for url in (
        f"{BASE}/ausnothere",
        f"{BASE}/default/scopes/scpnothere",
        f"{BASE}/default/claims/oclnothere",
        f"{BASE}/default/policies/00pnothere",
        f"{BASE}/default/policies/00pnothere/rules/0prnothere",
        f"{BASE}/org",
    ):
        assert_okta_error(api_client.get(url), 404, "E0000007")


def test_a_policy_of_another_server_is_404(api_client, server):
    other = Policy.objects.get(server_id="default")
    assert_error(api_client.get(f"{BASE}/{server['id']}/policies/{other.id}"), 404, "E0000007")
    assert_error(api_client.get(f"{BASE}/{server['id']}/policies/{other.id}/rules"), 404, "E0000007")


# Outsiders ------------------------------------------------------------------------------------

OPERATIONS = [
    ("get", BASE),
    ("post", BASE),
    ("get", f"{BASE}/default"),
    ("put", f"{BASE}/default"),
    ("delete", f"{BASE}/default"),
    ("post", f"{BASE}/default/lifecycle/deactivate"),
    ("get", f"{BASE}/default/scopes"),
    ("post", f"{BASE}/default/claims"),
    ("get", f"{BASE}/default/policies"),
    ("post", f"{BASE}/default/policies"),
]


@pytest.mark.parametrize(("method", "url"), OPERATIONS)
def test_no_token_is_401_and_a_non_admin_is_403(client, other_user, method, url):
    before = AuthorizationServer.objects.get(pk="default").last_updated
    assert_okta_error(getattr(client, method)(url, {}, content_type="application/json"), 401, "E0000011")
    _, plain = create_api_token(other_user, "mallory")
    response = getattr(client, method)(url, {}, content_type="application/json", HTTP_AUTHORIZATION=f"SSWS {plain}")
    assert_okta_error(response, 403, "E0000006")
    assert AuthorizationServer.objects.get(pk="default").last_updated == before
    assert AuthorizationServer.objects.get(pk="default").status == "ACTIVE"


def test_the_rate_limit_applies(api_client, db, settings):
    response = api_client.get(BASE)
    assert response["X-Rate-Limit-Limit"]


# Scopes ---------------------------------------------------------------------------------------


def test_scope_crud(api_client, server, settings):
    url = f"{BASE}/{server['id']}/scopes"
    listed = api_client.get(url).json()
    assert {s["name"] for s in listed if s["system"]} == {
        "openid",
        "profile",
        "email",
        "address",
        "phone",
        "offline_access",
    }
    response = api_client.post(
        url, {"name": "pay:read", "description": "Read", "consent": "REQUIRED", "metadataPublish": "ALL_CLIENTS"}
    )
    assert response.status_code == 201, response.content
    scope = response.json()
    assert scope["id"].startswith("scp")
    assert {k: scope[k] for k in ("name", "displayName", "consent", "metadataPublish", "default", "system")} == {
        "name": "pay:read",
        "displayName": "",
        "consent": "REQUIRED",
        "metadataPublish": "ALL_CLIENTS",
        "default": False,
        "system": False,
    }
    assert scope["_links"]["self"]["href"] == f"{settings.ROTOR_ISSUER}{url}/{scope['id']}"
    assert api_client.get(f"{url}/{scope['id']}").json() == scope
    put = api_client.put(f"{url}/{scope['id']}", {"name": "pay:read", "default": True, "displayName": "Read"})
    assert put.status_code == 200 and put.json()["default"] is True and put.json()["displayName"] == "Read"
    assert [s["name"] for s in api_client.get(url, {"q": "pay"}).json()] == ["pay:read"]
    assert api_client.delete(f"{url}/{scope['id']}").status_code == 204
    assert not Scope.objects.filter(pk=scope["id"]).exists()
    types = (
        Event.objects.filter(event_type__startswith="oauth2.scope.").order_by("id").values_list("event_type", flat=True)
    )
    assert list(types) == ["oauth2.scope.created", "oauth2.scope.updated", "oauth2.scope.deleted"]
    assert Event.objects.filter(event_type="oauth2.scope.created").get().targets[1]["id"] == scope["id"]


def test_system_scopes_are_not_deleted_or_renamed(api_client, server):
    openid = Scope.objects.get(server_id=server["id"], name="openid")
    url = f"{BASE}/{server['id']}/scopes/{openid.id}"
    response = api_client.delete(url)
    assert_okta_error(response, 400, "E0000001")
    assert "system scope" in response.json()["errorCauses"][0]["errorSummary"]
    assert_okta_error(api_client.put(url, {"name": "openid2"}), 400, "E0000001")
    assert Scope.objects.get(pk=openid.id).name == "openid"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"name": "has space"}, "name"),
        ({"name": ""}, "name"),
        ({"name": "openid"}, "name"),
        ({"name": "x", "consent": "MAYBE"}, "consent"),
        ({"name": "x", "metadataPublish": "SOME"}, "metadataPublish"),
        ({"name": "x", "default": "true"}, "default"),
    ],
)
def test_bad_scopes_name_the_field(api_client, server, body, path):
    response = api_client.post(f"{BASE}/{server['id']}/scopes", body)
    assert_okta_error(response, 400, "E0000001")
    assert response.json()["errorSummary"] == f"Api validation failed: {path}"
    assert Scope.objects.filter(server_id=server["id"]).count() == 6


# Claims ---------------------------------------------------------------------------------------


def test_claim_crud(api_client, server):
    url = f"{BASE}/{server['id']}/claims"
    body = {
        "name": "tier",
        "status": "ACTIVE",
        "claimType": "RESOURCE",
        "valueType": "EXPRESSION",
        "value": '"gold"',
        "alwaysIncludeInToken": True,
        "conditions": {"scopes": ["profile"]},
    }
    response = api_client.post(url, body)
    assert response.status_code == 201, response.content
    claim = response.json()
    assert claim["id"].startswith("ocl")
    assert {k: claim[k] for k in body} == body
    assert claim["system"] is False and claim["_links"]["self"]["href"].endswith(f"/claims/{claim['id']}")
    assert api_client.get(url).json() == [claim]
    put = api_client.put(f"{url}/{claim['id']}", body | {"value": "user.email", "claimType": "IDENTITY"})
    assert put.status_code == 200, put.content
    assert (put.json()["value"], put.json()["claimType"]) == ("user.email", "IDENTITY")
    assert api_client.delete(f"{url}/{claim['id']}").status_code == 204
    assert not Claim.objects.exists()
    types = (
        Event.objects.filter(event_type__startswith="oauth2.claim.").order_by("id").values_list("event_type", flat=True)
    )
    assert list(types) == ["oauth2.claim.created", "oauth2.claim.updated", "oauth2.claim.deleted"]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"name": "sub"}, "name"),
        ({"name": "scp"}, "name"),
        ({"value": "gold"}, "value"),
        ({"value": "user"}, "value"),
        ({"claimType": "BOTH"}, "claimType"),
        ({"valueType": "NUMBER"}, "valueType"),
        ({"valueType": "GROUPS"}, "group_filter_type"),  # Okta's groups claim needs its filter
        ({"conditions": {"scopes": ["nope"]}}, "conditions.scopes"),
        ({"alwaysIncludeInToken": 1}, "alwaysIncludeInToken"),
    ],
)
def test_bad_claims_name_the_field(api_client, server, change, path):
    body = {"name": "tier", "claimType": "RESOURCE", "valueType": "EXPRESSION", "value": '"gold"'} | change
    response = api_client.post(f"{BASE}/{server['id']}/claims", body)
    assert_okta_error(response, 400, "E0000001")
    assert response.json()["errorSummary"] == f"Api validation failed: {path}"
    assert not Claim.objects.exists()


def test_a_bad_claim_value_names_the_supported_forms(api_client, server):
    body = {"name": "tier", "claimType": "RESOURCE", "value": "appuser.x"}
    cause = api_client.post(f"{BASE}/{server['id']}/claims", body).json()["errorCauses"][0]["errorSummary"]
    assert "user.<profile attribute>" in cause and "string literal in quotes" in cause


# Policies -------------------------------------------------------------------------------------


def test_policy_crud_and_lifecycle(api_client, server, confidential_app, settings):
    url = f"{BASE}/{server['id']}/policies"
    body = policy_body(conditions={"clients": {"include": [confidential_app.client_id]}})
    response = api_client.post(url, body)
    assert response.status_code == 201, response.content
    policy = response.json()
    pid = policy["id"]
    assert pid.startswith("00p")
    assert policy["type"] == "OAUTH_AUTHORIZATION_POLICY" and policy["status"] == "ACTIVE"
    assert policy["conditions"] == {"clients": {"include": [confidential_app.client_id]}}
    assert (policy["priority"], policy["system"]) == (1, False)
    assert policy["_links"]["rules"]["href"] == f"{settings.ROTOR_ISSUER}{url}/{pid}/rules"
    assert policy["_links"]["deactivate"]["href"].endswith(f"{pid}/lifecycle/deactivate")
    assert api_client.get(url).json() == [policy]
    put = api_client.put(f"{url}/{pid}", body | {"name": "Renamed"})
    assert put.status_code == 200 and put.json()["name"] == "Renamed"
    assert api_client.post(f"{url}/{pid}/lifecycle/deactivate").status_code == 204
    assert api_client.get(f"{url}/{pid}").json()["status"] == "INACTIVE"
    assert api_client.post(f"{url}/{pid}/lifecycle/activate").status_code == 204
    assert api_client.delete(f"{url}/{pid}").status_code == 204
    assert not Policy.objects.filter(pk=pid).exists()
    types = Event.objects.filter(event_type__startswith="policy.lifecycle.").order_by("id")
    assert list(types.values_list("event_type", flat=True)) == [
        "policy.lifecycle.create",
        "policy.lifecycle.update",
        "policy.lifecycle.deactivate",
        "policy.lifecycle.activate",
        "policy.lifecycle.delete",
    ]
    assert [t["type"] for t in types.first().targets] == ["AuthorizationServer", "PolicyEntity"]


def test_policy_priority_moves_the_others(api_client, server):
    url = f"{BASE}/{server['id']}/policies"
    first = api_client.post(url, policy_body(name="first")).json()
    second = api_client.post(url, policy_body(name="second", priority=1)).json()
    assert [p["name"] for p in api_client.get(url).json()] == ["second", "first"]
    api_client.put(f"{url}/{second['id']}", policy_body(name="second", priority=2))
    assert [(p["name"], p["priority"]) for p in api_client.get(url).json()] == [("first", 1), ("second", 2)]
    assert first["id"] != second["id"]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"conditions": {"clients": {"include": ["no-such-client"]}}}, "conditions.clients.include"),
        ({"conditions": {"clients": {"include": []}}}, "conditions.clients.include"),
        ({"conditions": {"clients": {"include": ["ALL_CLIENTS", "x"]}}}, "conditions.clients.include"),
        ({"priority": 0}, "priority"),
        ({"priority": "1"}, "priority"),
        ({"status": "ON"}, "status"),
        ({"name": ""}, "name"),
        ({"type": "OKTA_SIGN_ON"}, "type"),
    ],
)
def test_bad_policies_name_the_field(api_client, server, change, path):
    response = api_client.post(f"{BASE}/{server['id']}/policies", policy_body(**change))
    assert_okta_error(response, 400, "E0000001")
    assert response.json()["errorSummary"] == f"Api validation failed: {path}"
    assert not Policy.objects.filter(server_id=server["id"]).exists()


# Rules ----------------------------------------------------------------------------------------


def test_rule_crud_and_lifecycle(api_client, server, policy, settings):
    url = rules_url(server, policy)
    token = {"accessTokenLifetimeMinutes": 15, "refreshTokenLifetimeMinutes": 120, "refreshTokenWindowMinutes": 30}
    response = api_client.post(url, rule_body(token))
    assert response.status_code == 201, response.content
    rule = response.json()
    rid = rule["id"]
    assert rid.startswith("0pr") and rule["type"] == "RESOURCE_ACCESS"
    assert rule["actions"] == {"token": token}
    assert rule["conditions"] == {
        "people": {"users": {"include": [], "exclude": []}, "groups": {"include": ["EVERYONE"], "exclude": []}},
        "grantTypes": {"include": ["authorization_code", "refresh_token"]},
        "scopes": {"include": ["*"]},
    }
    assert rule["_links"]["self"]["href"] == f"{settings.ROTOR_ISSUER}{url}/{rid}"
    assert api_client.get(url).json() == [rule]
    put = api_client.put(f"{url}/{rid}", rule_body({"accessTokenLifetimeMinutes": 30}))
    assert put.status_code == 200, put.content
    assert put.json()["actions"]["token"] == {
        "accessTokenLifetimeMinutes": 30,
        "refreshTokenLifetimeMinutes": 120,
        "refreshTokenWindowMinutes": 30,
    }
    assert api_client.post(f"{url}/{rid}/lifecycle/deactivate").status_code == 204
    assert PolicyRule.objects.get(pk=rid).status == "INACTIVE"
    assert api_client.post(f"{url}/{rid}/lifecycle/activate").status_code == 204
    assert api_client.delete(f"{url}/{rid}").status_code == 204
    assert_error(api_client.get(f"{url}/{rid}"), 404, "E0000007")
    events = Event.objects.filter(event_type__startswith="policy.rule.").order_by("id")
    assert list(events.values_list("event_type", flat=True)) == [
        "policy.rule.add",
        "policy.rule.update",
        "policy.rule.deactivate",
        "policy.rule.activate",
        "policy.rule.delete",
    ]
    assert [t["type"] for t in events.first().targets] == ["AuthorizationServer", "PolicyEntity", "PolicyRule"]
    assert events.first().debug_data["refreshTokenWindowMinutes"] == 30


def test_rule_people_and_scopes(api_client, server, policy, end_user):
    body = rule_body()
    body["conditions"]["people"] = {"users": {"include": [end_user.uid]}}
    body["conditions"]["scopes"] = {"include": ["openid", "offline_access"]}
    response = api_client.post(rules_url(server, policy), body)
    assert response.status_code == 201, response.content
    assert response.json()["conditions"]["people"]["users"]["include"] == [end_user.uid]
    assert PolicyRule.objects.get(policy_id=policy["id"]).scopes == ["openid", "offline_access"]


LIMITS = [
    ("accessTokenLifetimeMinutes", 4, False),
    ("accessTokenLifetimeMinutes", 5, True),
    ("accessTokenLifetimeMinutes", 1440, True),
    ("accessTokenLifetimeMinutes", 1441, False),
    ("refreshTokenLifetimeMinutes", 0, True),
    ("refreshTokenLifetimeMinutes", 59, False),
    ("refreshTokenLifetimeMinutes", 60, True),
    ("refreshTokenLifetimeMinutes", 2_628_000, True),
    ("refreshTokenLifetimeMinutes", 2_628_001, False),
    ("refreshTokenWindowMinutes", 9, False),
    ("refreshTokenWindowMinutes", 10, True),
    ("refreshTokenWindowMinutes", 2_628_000, True),
    ("refreshTokenWindowMinutes", 2_628_001, False),
]


@pytest.mark.parametrize(("field", "value", "ok"), LIMITS)
def test_each_lifetime_limit(api_client, server, policy, field, value, ok):
    token = {"accessTokenLifetimeMinutes": 60, "refreshTokenWindowMinutes": 10, field: value}
    response = api_client.post(rules_url(server, policy), rule_body(token))
    if ok:
        assert response.status_code == 201, response.content
        assert response.json()["actions"]["token"][field] == value
    else:
        assert_okta_error(response, 400, "E0000001")
        assert response.json()["errorSummary"] == f"Api validation failed: actions.token.{field}"
        assert not PolicyRule.objects.filter(policy_id=policy["id"]).exists()


def test_window_longer_than_the_refresh_lifetime_is_refused(api_client, server, policy):
    token = {"accessTokenLifetimeMinutes": 60, "refreshTokenLifetimeMinutes": 90, "refreshTokenWindowMinutes": 91}
    response = api_client.post(rules_url(server, policy), rule_body(token))
    assert_okta_error(response, 400, "E0000001")
    assert response.json()["errorCauses"] == [
        {
            "errorSummary": "actions.token.refreshTokenWindowMinutes: "
            "The refresh token window must not be longer than its lifetime."
        }
    ]


def test_a_put_out_of_range_leaves_the_rule_as_it_was(api_client, server, policy):
    rule = api_client.post(rules_url(server, policy), rule_body()).json()
    stamp = AuthorizationServer.objects.get(pk=server["id"]).last_updated
    response = api_client.put(f"{rules_url(server, policy)}/{rule['id']}", rule_body({"accessTokenLifetimeMinutes": 2}))
    assert_okta_error(response, 400, "E0000001")
    assert PolicyRule.objects.get(pk=rule["id"]).access_token_lifetime_minutes == 15
    assert AuthorizationServer.objects.get(pk=server["id"]).last_updated == stamp


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda b: b["conditions"].update(grantTypes={"include": ["password"]}), "conditions.grantTypes.include"),
        (lambda b: b["conditions"].update(grantTypes={"include": []}), "conditions.grantTypes.include"),
        (lambda b: b["conditions"].pop("grantTypes"), "conditions.grantTypes"),
        (lambda b: b["conditions"].update(scopes={"include": ["nope"]}), "conditions.scopes.include"),
        (
            lambda b: b["conditions"].update(people={"users": {"include": ["00unobody"]}}),
            "conditions.people.users.include",
        ),
        (
            lambda b: b["actions"]["token"].update(accessTokenLifetimeMinutes="60"),
            "actions.token.accessTokenLifetimeMinutes",
        ),
        (
            lambda b: b["actions"]["token"].update(accessTokenLifetimeMinutes=True),
            "actions.token.accessTokenLifetimeMinutes",
        ),
        (lambda b: b.update(conditions=[]), "conditions"),
    ],
)
def test_bad_rules_name_the_field(api_client, server, policy, mutate, path):
    body = rule_body()
    mutate(body)
    response = api_client.post(rules_url(server, policy), body)
    assert_okta_error(response, 400, "E0000001")
    assert response.json()["errorSummary"] == f"Api validation failed: {path}"
    assert not PolicyRule.objects.filter(policy_id=policy["id"]).exists()


# Keys -----------------------------------------------------------------------------------------


def test_a_new_server_s_keys_are_its_own(api_client, server):
    keys = api_client.get(f"{BASE}/{server['id']}/credentials/keys")
    assert keys.status_code == 200
    assert [k["status"] for k in keys.json()] == ["ACTIVE", "NEXT"]
    default = {k["kid"] for k in api_client.get(f"{BASE}/default/credentials/keys").json()}
    assert not default & {k["kid"] for k in keys.json()}


def test_a_custom_server_s_keys_rotate_on_their_own(api_client, server):
    url = f"{BASE}/{server['id']}/credentials"
    before = {k["status"]: k["kid"] for k in api_client.get(f"{url}/keys").json()}
    default_before = {k["kid"] for k in api_client.get(f"{BASE}/default/credentials/keys").json()}
    response = api_client.post(f"{url}/lifecycle/keyRotate", {"use": "sig"})
    assert response.status_code == 200, response.content
    after = {k["status"]: k["kid"] for k in response.json()}
    assert (after["ACTIVE"], after["EXPIRED"]) == (before["NEXT"], before["ACTIVE"])
    assert {k["kid"] for k in api_client.get(f"{BASE}/default/credentials/keys").json()} == default_before
    one = api_client.get(f"{url}/keys/{after['ACTIVE']}")
    assert one.status_code == 200 and one.json()["status"] == "ACTIVE"
    assert one.json()["_links"]["self"]["href"].endswith(f"/credentials/keys/{after['ACTIVE']}")
    assert_error(api_client.get(f"{BASE}/default/credentials/keys/{after['ACTIVE']}"), 404, "E0000007")
    assert api_client.get(f"{BASE}/{server['id']}").json()["credentials"]["signing"]["kid"] == after["ACTIVE"]
    assert Event.objects.filter(event_type="app.oauth2.as.key.rollover").count() == 1


OPERATIONS_IN_THE_DOCUMENT = {
    f"{verb}{noun}"
    for noun, verbs in {
        "AuthorizationServer": ("create", "get", "replace", "delete", "activate", "deactivate"),
        "OAuth2Scope": ("create", "get", "replace", "delete"),
        "OAuth2Claim": ("create", "get", "replace", "delete"),
        "AuthorizationServerPolicy": ("create", "get", "replace", "delete", "activate", "deactivate"),
        "AuthorizationServerPolicyRule": ("create", "get", "replace", "delete", "activate", "deactivate"),
        "AuthorizationServerKey": ("get",),
    }.items()
    for verb in verbs
} | {
    "listAuthorizationServers",
    "listOAuth2Scopes",
    "listOAuth2Claims",
    "listAuthorizationServerPolicies",
    "listAuthorizationServerPolicyRules",
    "listAuthorizationServerKeys",
    "rotateAuthorizationServerKeys",
}


def test_every_operation_is_in_the_openapi_document(client, db):
    document = client.get("/api/v1/schema").json()
    ids = {op["operationId"] for item in document["paths"].values() for op in item.values()}
    assert ids >= OPERATIONS_IN_THE_DOCUMENT
    create = document["paths"]["/api/v1/authorizationServers"]["post"]
    assert {"201", "400", "401", "403", "429"} <= set(create["responses"])
    schemas = document["components"]["schemas"]
    action = next(schemas[name] for name in schemas if name.startswith("TokenAction") and "Out" not in name)
    rule = action["properties"]["accessTokenLifetimeMinutes"]
    assert (rule["minimum"], rule["maximum"]) == (5, 1440)
