"""The management API against its own OpenAPI document (schemathesis) and against Okta's Python SDK.

Both run against the live gunicorn server, over real HTTP, as automation would.
"""

import asyncio
import time
import uuid

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode, checks

from accounts.models import User
from accounts.services import create_api_token
from clients.models import Application
from clients.services import create_app
from tests.kit.keys import new_key
from tokens.lifecycle.families import start_family
from tokens.servers.registry import get_server


def test_schema_documents_every_management_endpoint(client, db):
    response = client.get("/api/v1/schema")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) >= {
        "/api/v1/apps",
        "/api/v1/apps/{app_id}",
        "/api/v1/apps/{app_id}/lifecycle/activate",
        "/api/v1/apps/{app_id}/lifecycle/deactivate",
        "/api/v1/apps/{app_id}/credentials/secrets",
        "/api/v1/apps/{app_id}/tokens",
        "/api/v1/apps/{app_id}/tokens/{token_id}",
        "/api/v1/users",
        "/api/v1/users/{user_id}",
        "/api/v1/users/{user_id}/lifecycle/deactivate",
        "/api/v1/users/{user_id}/clients",
        "/api/v1/users/{user_id}/clients/{client_id}/tokens",
        "/api/v1/users/{user_id}/clients/{client_id}/tokens/{token_id}",
        "/api/v1/authorizationServers",
        "/api/v1/authorizationServers/{server_id}",
        "/api/v1/authorizationServers/{server_id}/lifecycle/activate",
        "/api/v1/authorizationServers/{server_id}/lifecycle/deactivate",
        "/api/v1/authorizationServers/{server_id}/scopes",
        "/api/v1/authorizationServers/{server_id}/scopes/{scope_id}",
        "/api/v1/authorizationServers/{server_id}/claims",
        "/api/v1/authorizationServers/{server_id}/claims/{claim_id}",
        "/api/v1/authorizationServers/{server_id}/policies",
        "/api/v1/authorizationServers/{server_id}/policies/{policy_id}",
        "/api/v1/authorizationServers/{server_id}/policies/{policy_id}/lifecycle/activate",
        "/api/v1/authorizationServers/{server_id}/policies/{policy_id}/lifecycle/deactivate",
        "/api/v1/authorizationServers/{server_id}/policies/{policy_id}/rules",
        "/api/v1/authorizationServers/{server_id}/policies/{policy_id}/rules/{rule_id}",
        "/api/v1/authorizationServers/{server_id}/policies/{policy_id}/rules/{rule_id}/lifecycle/activate",
        "/api/v1/authorizationServers/{server_id}/policies/{policy_id}/rules/{rule_id}/lifecycle/deactivate",
        "/api/v1/authorizationServers/{server_id}/credentials/keys",
        "/api/v1/authorizationServers/{server_id}/credentials/lifecycle/keyRotate",
        "/api/v1/logs",
        "/api/v1/groups",
        "/api/v1/groups/{group_id}",
        "/api/v1/groups/{group_id}/users",
        "/api/v1/groups/{group_id}/users/{user_id}",
        "/api/v1/users/{user_id}/groups",
        "/api/v1/apps/{app_id}/groups",
        "/api/v1/apps/{app_id}/groups/{group_id}",
        "/api/v1/apps/{app_id}/users",
        "/api/v1/apps/{app_id}/users/{user_id}",
        "/api/v1/groups/{group_id}/apps",
    }
    assert not any(path.startswith("/oauth2") for path in document["paths"])
    assert document["components"]["securitySchemes"]["SSWS"]["in"] == "header"
    create = document["paths"]["/api/v1/apps"]["post"]
    assert {"200", "400", "401", "403", "429"} <= set(create["responses"])


# schemathesis ---------------------------------------------------------------------------------


@pytest.fixture
def live_admin_token(live, live_db):
    """An admin and an API token in the live server's database (committed; unique names)."""
    name = f"api-admin-{uuid.uuid4().hex[:8]}@example.com"
    admin = User.objects.create_user(name, name, "admin password 123", is_staff=True)
    return create_api_token(admin, "contract")[1]


EXAMPLES = 10  # per operation; bounded so the run takes seconds, not minutes
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@pytest.mark.live
def test_live_api_matches_its_schema(live, live_admin_token):
    """No 500 and no response that strays from the document, for generated input on every operation.

    schemathesis' Python API, one Hypothesis run per operation with a fixed seed, instead of its
    lazy pytest fixture (which pytest 9 no longer supports).
    """
    schema = schemathesis.openapi.from_url(f"{live.url}/api/v1/schema")
    headers = {"Authorization": f"SSWS {live_admin_token}"}
    failures, operations = [], 0

    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if mode is GenerationMode.POSITIVE and operation.path.endswith("/keyRotate"):
                # Valid input rotates the shared live server's keys; rotating them a dozen times in a
                # few seconds would outrun the workers' key cache for the live tests after this one.
                continue

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                derandomize=True,  # a fixed seed: the same examples every run
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
                database=None,
            )
            def check(case):
                case.call_and_validate(base_url=live.url, headers=headers, checks=CHECKS)

            try:
                check()
            except Exception as exc:  # collect every operation's failure, then report them together
                failures.append(f"{mode.value} {operation.method.upper()} {operation.path}: {exc}"[:2000])
    assert operations >= 20
    assert not failures, "\n\n".join(failures)


# Rules that depend on stored state: ids and logins already taken, what a PUT may not change, no
# secret for a public app, and Django's list of common passwords. No schema can say them; the
# operations' descriptions do. A 400 that names one is the server keeping its word (the per-type
# rules of an app are in the document).
STATE_RULES = (
    "already exists",
    "cannot be changed",
    "to change the secret",
    "has no secret",
    "This password is too common",
    # authorization servers (tokens/servers/validation.py): what exists, what may be deleted, and the
    # rules between fields (a rule's lifetimes)
    "must be deactivated before",
    "cannot be deleted",
    "system scope",
    "is not a scope of this authorization server",
    "is not the client ID of an app",
    "is not the id of a user",
    "is not the id of a group",  # groups (accounts/groups.py), rule conditions and claims
    "EVERYONE cannot be excluded",
    "needs a filter",
    "regular expression does not compile",
    "reserved",
    "alone",
    "stands for every scope",
    "at least the access token lifetime",
    "must not be longer than its lifetime",
    "no longer exists",
    # an app's credentials: two secrets at most, the last active one stays, only inactive ones go
    "at most 2 client secrets",
    "only active client secret",
    "before deleting it",
    # public keys: whether the numbers form a key, and the app's other keys (addJwk's description)
    "do not form a valid public key",
    "key needs",
    "curve must be one of",
    "does not fit",
    "at least 2048 bits",
    "must be a non-empty string",
    "already has a key with kid",
    "already registered",
    "come from its JWKS URI",
    "has no keys",
    "only active public key",
    # private_key_jwt needs its keys somewhere, and no secret is made for it (the app request's description)
    "needs a public key or a JWKS URI",
    "not both",
    "is created without a secret",
    "loopback",
)


def accepts_valid_data(ctx, response, case):
    """What the document calls valid is accepted: a 400 must name a state rule."""
    if response.status_code != 400:
        return None
    body = response.json()
    causes = [cause["errorSummary"] for cause in body.get("errorCauses", [])]
    if not any(rule in cause for cause in causes for rule in STATE_RULES):
        raise AssertionError(f"Valid by the document, refused: {case.method} {case.formatted_path}: {body}")
    return None


# The link walk --------------------------------------------------------------------------------
# Every link of the document, walked in a fixed order: for each operation with links, a fresh object
# is made through its chain (a root create, then the links down to it), then each of its links is
# followed on it, reads first and deletes last. No randomness: the same calls every run, so the test
# says which link broke, and a link nobody can walk fails it instead of going unnoticed.


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _rule_body() -> dict:
    return {
        "name": _unique("rule"),
        "conditions": {
            "people": {"groups": {"include": ["EVERYONE"]}},
            "grantTypes": {"include": ["authorization_code", "refresh_token"]},
            "scopes": {"include": ["*"]},
        },
        "actions": {"token": {"accessTokenLifetimeMinutes": 15, "refreshTokenLifetimeMinutes": 0}},
    }


def _app_body() -> dict:
    return {
        "name": "oidc_client",
        "label": _unique("walk"),
        "signOnMode": "OPENID_CONNECT",
        "settings": {
            "oauthClient": {
                "application_type": "web",
                "grant_types": ["authorization_code", "refresh_token"],
                "redirect_uris": ["https://walk.example.com/cb"],
            }
        },
    }


def _user_body() -> dict:
    login = f"{_unique('walk')}@example.com"
    return {"profile": {"login": login, "email": login, "firstName": "Walk", "lastName": "Er"}}


# The bodies the walk sends (a PUT sends its create's body): valid, so each create gives its links a target.
BODIES = {
    "createApplication": _app_body,
    "replaceApplication": _app_body,
    "createUser": _user_body,
    "addGroup": lambda: {"profile": {"name": _unique("walkers"), "description": "Link walk"}},
    "replaceGroup": lambda: {"profile": {"name": _unique("walkers"), "description": "Renamed"}},
    "createAuthorizationServer": lambda: {"name": _unique("walk"), "audiences": ["api://walk"]},
    "replaceAuthorizationServer": lambda: {"name": _unique("walk"), "audiences": ["api://walk2"]},
    "createOAuth2Scope": lambda: {"name": _unique("walk:read"), "consent": "REQUIRED"},
    "replaceOAuth2Scope": lambda: {"name": _unique("walk:write"), "default": True},
    "createOAuth2Claim": lambda: {
        "name": _unique("tier"),
        "claimType": "RESOURCE",
        "valueType": "EXPRESSION",
        "value": '"gold"',
    },
    "replaceOAuth2Claim": lambda: {
        "name": _unique("tier"),
        "claimType": "IDENTITY",
        "valueType": "EXPRESSION",
        "value": "user.email",
    },
    "createAuthorizationServerPolicy": lambda: {
        "name": _unique("policy"),
        "conditions": {"clients": {"include": ["ALL_CLIENTS"]}},
    },
    "replaceAuthorizationServerPolicy": lambda: {
        "name": _unique("policy"),
        "conditions": {"clients": {"include": ["ALL_CLIENTS"]}},
    },
    "createAuthorizationServerPolicyRule": _rule_body,
    "replaceAuthorizationServerPolicyRule": _rule_body,
    "addJwk": lambda: new_key("RSA").public_jwk,
    "createOAuth2ClientSecret": dict,  # a generated secret
}
APP = {"app_id": "$response.body#/id"}
# How the walk reaches each operation with links: a root (no path parameters), or its parent operation
# and the parameters taken from the parent's response (the document's link, or these for operations no
# link leads to).
PARENTS = {
    "getApplication": ("createApplication", APP),
    "replaceApplication": ("createApplication", APP),
    "createOAuth2ClientSecret": ("createApplication", APP),
    "listOAuth2ClientSecrets": ("createApplication", APP),
    "addJwk": ("createApplication", APP),
    "listJwk": ("addJwk", {"app_id": "$request.path.app_id"}),
    "listApplicationGroupAssignments": ("createApplication", APP),  # a new app is assigned to Everyone
    "listOAuth2TokensForApplication": ("createApplication", APP),  # the walk signs its apps' user in
    "getUser": ("createUser", {"user_id": "$response.body#/id"}),
    "listUserClients": ("createUser", {"user_id": "$response.body#/id"}),  # ... and its users into the seed app
    "listRefreshTokensForUserAndClient": ("listUserClients", None),
    "getGroup": ("addGroup", {"group_id": "$response.body#/id"}),
    "createOAuth2Scope": ("createAuthorizationServer", None),
    "createOAuth2Claim": ("createAuthorizationServer", None),
    "createAuthorizationServerPolicy": ("createAuthorizationServer", None),
    "createAuthorizationServerPolicyRule": ("createAuthorizationServerPolicy", None),
}
# Followed in this order on one object: reads, writes, lifecycle, then what ends it.
PHASES = ("get", "list", "replace", "create", "add", "assign", "activate", "deactivate", "revoke", "unassign", "delete")


def _phase(operation_id: str) -> int:
    return next((i for i, prefix in enumerate(PHASES) if operation_id.startswith(prefix)), 0)


def _resolve(expression: str, path: dict, body) -> str | None:
    """An OpenAPI runtime expression of the forms the document uses: `$request.path.x`, `$response.body#/a/0`."""
    if expression.startswith("$request.path."):
        return path.get(expression.removeprefix("$request.path."))
    value = body
    for part in expression.removeprefix("$response.body#/").split("/"):
        if isinstance(value, list):
            value = value[int(part)] if part.isdigit() and int(part) < len(value) else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
    return value


@pytest.fixture
def walk_seed(live, live_db):
    """An app and a user (committed) whom the walk's users and apps sign in with, so the token lists it
    reads have a token to link to."""
    name = _unique("walk-seed")
    app, _ = create_app(
        {
            "label": name,
            "application_type": "web",
            "grant_types": ["authorization_code", "refresh_token"],
            "redirect_uris": ["https://walk.example.com/cb"],
        }
    )
    user = User.objects.create_user(f"{name}@example.com", f"{name}@example.com", "walk password 1234567")
    return app, user


def _sign_in(app, user) -> None:
    """A sign-in's token family, as the token endpoint starts one (the default server's rule covers it)."""
    start_family(
        client=app,
        user=user,
        server=get_server("default"),
        scopes=["openid", "offline_access"],
        auth_time=timezone.now(),
        grant_type="authorization_code",
    )


@pytest.mark.live
def test_live_api_walks_every_link(live, walk_seed, live_admin_token):
    """Each of the document's links is followed from a real response of its source: no 5xx, every
    response as the document says (status, content type, headers, body schema), nothing the document
    calls valid refused, and each resource's create -> get -> replace -> delete answers 2xx."""
    schema = schemathesis.openapi.from_url(f"{live.url}/api/v1/schema")
    document = schema.raw_schema
    operations = {
        operation["operationId"]: operation
        for path_item in document["paths"].values()
        for operation in path_item.values()
    }
    links = {
        source: {
            target: link["parameters"]
            for response in operations[source]["responses"].values()
            for target, link in response.get("links", {}).items()
        }
        for source in operations
        if any(response.get("links") for response in operations[source]["responses"].values())
    }
    headers = {"Authorization": f"SSWS {live_admin_token}"}
    seed_app, seed_user = walk_seed
    walked, failures = {}, []

    def call(operation_id: str, path: dict) -> tuple[dict, object]:
        operation = schema.find_operation_by_id(operation_id)
        body = BODIES[operation_id]() if operation_id in BODIES else None
        kwargs = {"body": body, "media_type": "application/json"} if body is not None else {}
        case = operation.Case(path_parameters=path, **kwargs)
        response = case.call(base_url=live.url, headers=headers)
        try:
            case.validate_response(response, checks=[*CHECKS, accepts_valid_data])
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{case.method} {case.formatted_path}: {exc}"[:1500])
        ok = 200 <= response.status_code < 300
        payload = response.json() if ok and response.content else None
        if ok and operation_id == "createApplication":
            _sign_in(Application.objects.get(public_id=payload["id"]), seed_user)
        if ok and operation_id == "createUser":
            _sign_in(seed_app, User.objects.get(uid=payload["id"]))
        return payload, response

    def produce(operation_id: str) -> tuple[dict, object]:
        """A fresh response of `operation_id`, through its chain from a root."""
        if operation_id not in PARENTS:
            return {}, call(operation_id, {})[0]
        parent, parameters = PARENTS[operation_id]
        parent_path, parent_body = produce(parent)
        parameters = parameters or links[parent][operation_id]
        path = {name: _resolve(expression, parent_path, parent_body) for name, expression in parameters.items()}
        assert None not in path.values(), (operation_id, parent, parent_body)
        body, response = call(operation_id, path)
        assert 200 <= response.status_code < 300, (operation_id, response.status_code, response.content[:500])
        return path, body

    started = time.monotonic()
    for source in sorted(links, key=lambda op: (op in PARENTS, op)):
        source_path, source_body = produce(source)
        for target in sorted(links[source], key=lambda op: (_phase(op), op)):
            path = {name: _resolve(expr, source_path, source_body) for name, expr in links[source][target].items()}
            if None in path.values():
                continue  # not walked: counted below
            walked[(source, target)] = call(target, path)[1].status_code
    elapsed = time.monotonic() - started
    every = {(source, target) for source, targets in links.items() for target in targets}
    print(f"{len(walked)} of {len(every)} links walked in {elapsed:.0f} s")
    assert not failures, "\n\n".join(failures[:10])
    assert set(walked) == every, sorted(every - set(walked))
    assert len(every) >= 90
    for create, read, replace, delete in [
        ("createApplication", "getApplication", "replaceApplication", "deleteApplication"),
        ("createUser", "getUser", None, "deleteUser"),
        ("addGroup", "getGroup", "replaceGroup", "deleteGroup"),
        (
            "createAuthorizationServer",
            "getAuthorizationServer",
            "replaceAuthorizationServer",
            "deleteAuthorizationServer",
        ),
        ("createOAuth2Scope", "getOAuth2Scope", "replaceOAuth2Scope", "deleteOAuth2Scope"),
        ("createOAuth2Claim", "getOAuth2Claim", "replaceOAuth2Claim", "deleteOAuth2Claim"),
        (
            "createAuthorizationServerPolicy",
            "getAuthorizationServerPolicy",
            "replaceAuthorizationServerPolicy",
            "deleteAuthorizationServerPolicy",
        ),
        (
            "createAuthorizationServerPolicyRule",
            "getAuthorizationServerPolicyRule",
            "replaceAuthorizationServerPolicyRule",
            "deleteAuthorizationServerPolicyRule",
        ),
        ("createOAuth2ClientSecret", "getOAuth2ClientSecret", None, "deleteOAuth2ClientSecret"),
        ("addJwk", "getJwk", None, "deletejwk"),
    ]:
        for target in filter(None, (read, replace, delete)):
            assert 200 <= walked[(create, target)] < 300, (create, target, walked[(create, target)])
    assert elapsed < 60


# Okta's management SDK ------------------------------------------------------------------------


@pytest.fixture
def okta_client(live, live_admin_token, monkeypatch):
    from okta.client import Client

    monkeypatch.setenv("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "true")  # a plain-http org URL
    return Client({"orgUrl": live.url, "token": live_admin_token})


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.mark.live
def test_okta_sdk_manages_an_oidc_app(okta_client, live):
    from okta import models
    from okta.pagination import PaginationHelper

    prefix = f"SDK app {uuid.uuid4().hex[:8]}"

    def oidc_app(label):
        return models.OpenIdConnectApplication(
            name="oidc_client",
            label=label,
            sign_on_mode="OPENID_CONNECT",
            credentials=models.OAuthApplicationCredentials(
                oauth_client=models.ApplicationCredentialsOAuthClient(token_endpoint_auth_method="client_secret_basic")
            ),
            settings=models.OpenIdConnectApplicationSettings(
                oauth_client=models.OpenIdConnectApplicationSettingsClient(
                    application_type="web",
                    grant_types=["authorization_code", "refresh_token"],
                    response_types=["code"],
                    redirect_uris=["https://sdk.example.com/callback"],
                    refresh_token=models.OpenIdConnectApplicationSettingsRefreshToken(
                        rotation_type="ROTATE", leeway=20
                    ),
                )
            ),
        )

    created, _, err = run(okta_client.create_application(oidc_app(f"{prefix} A")))
    assert err is None, err
    assert isinstance(created, models.OpenIdConnectApplication)
    assert created.credentials.oauth_client.client_secret  # shown once, on create
    app_id = created.id
    second, _, err = run(okta_client.create_application(oidc_app(f"{prefix} B"), activate=False))
    assert err is None, err
    assert second.status.value == "INACTIVE"

    fetched, _, err = run(okta_client.get_application(app_id))
    assert err is None, err
    assert fetched.credentials.oauth_client.client_secret is None
    assert fetched.label == f"{prefix} A"
    oauth = fetched.settings.oauth_client
    assert [g.value for g in oauth.grant_types] == ["authorization_code", "refresh_token"]
    assert oauth.application_type.value == "web"
    assert oauth.refresh_token.rotation_type.value == "ROTATE"
    assert oauth.refresh_token.leeway == 20

    # Read, modify, write back, as automation does.
    fetched.settings.oauth_client.refresh_token.leeway = 10
    fetched.label = f"{prefix} A2"
    replaced, _, err = run(okta_client.replace_application(app_id, fetched))
    assert err is None, err
    assert replaced.label == f"{prefix} A2"
    assert replaced.settings.oauth_client.refresh_token.leeway == 10
    assert replaced.credentials.oauth_client.client_id == created.credentials.oauth_client.client_id

    # Page through the list one app at a time, following the Link header's cursor.
    seen, after = [], None
    for _ in range(5):
        page, response, err = run(okta_client.list_applications(q=prefix, limit=1, after=after))
        assert err is None, err
        seen += [a.id for a in page]
        after = PaginationHelper.extract_next_cursor(response.headers)
        if after is None:
            break
    assert seen == [app_id, second.id]

    for each in (app_id, second.id):
        _, _, err = run(okta_client.deactivate_application(each))
        assert err is None, err
        _, _, err = run(okta_client.delete_application(each))
        assert err is None, err
    _, response, err = run(okta_client.get_application(app_id))
    assert response.status == 404
    assert "E0000007" in str(err)


@pytest.mark.live
def test_okta_sdk_creates_a_user_and_lists_their_tokens(okta_client, live, live_db):
    from okta import models

    login = f"sdk-{uuid.uuid4().hex[:8]}@example.com"
    request = models.CreateUserRequest(
        profile=models.UserProfile(first_name="Sam", last_name="Sdk", email=login, login=login),
        credentials=models.UserCredentialsWritable(password=models.PasswordCredential(value="Sdk password 12345!")),
    )
    user, _, err = run(okta_client.create_user(request, activate=True))
    assert err is None, err
    assert user.profile.login == login
    assert getattr(user.status, "value", user.status) == "ACTIVE"

    clients, _, err = run(okta_client.list_user_clients(user.id))
    assert err is None, err
    assert clients == []

    # A sign-in of this user to an app: one token family with a refresh token.
    app, _ = create_app(
        {
            "label": f"SDK tokens {uuid.uuid4().hex[:8]}",
            "application_type": "web",
            "grant_types": ["authorization_code", "refresh_token"],
            "redirect_uris": ["https://sdk.example.com/callback"],
        }
    )
    family, refresh_token = start_family(
        client=app,
        user=User.objects.get(uid=user.id),
        server=get_server("default"),
        scopes=["openid", "offline_access"],
        auth_time=timezone.now(),
        grant_type="authorization_code",
    )

    clients, _, err = run(okta_client.list_user_clients(user.id))
    assert err is None, err
    assert [c.client_id for c in clients] == [app.client_id]

    tokens, response, err = run(okta_client.list_refresh_tokens_for_user_and_client(user.id, app.client_id))
    assert err is None, err
    assert [t.id for t in tokens] == [family.public_id]
    assert tokens[0].scopes == ["openid", "offline_access"]
    assert tokens[0].issuer == f"{live.url}/oauth2/default"
    assert response.status_code == 200
    assert refresh_token.encode() not in response.raw_data

    found, _, err = run(okta_client.get_user(login))  # by login, as Okta allows
    assert err is None, err
    assert found.id == user.id

    _, _, err = run(okta_client.revoke_token_for_user_and_client(user.id, app.client_id, family.public_id))
    assert err is None, err
    family.refresh_from_db()
    assert family.status == "REVOKED"

    *_, response, err = run(okta_client.delete_user(user.id))  # the SDK returns 2 values on some errors
    assert response.status == 403 and "E0000038" in str(err)  # still active
    _, _, err = run(okta_client.deactivate_user(user.id))
    assert err is None, err
    _, _, err = run(okta_client.delete_user(user.id))
    assert err is None, err
    assert not User.objects.filter(uid=user.id).exists()


@pytest.mark.live
def test_okta_sdk_creates_a_group_adds_a_user_and_assigns_the_group_to_an_app(okta_client, live, live_db):
    from okta import models

    from clients.models import Application

    suffix = uuid.uuid4().hex[:8]
    user = User.objects.create_user(f"sdk-member-{suffix}@example.com", f"sdk-member-{suffix}@example.com", "x" * 20)
    app, _ = create_app(
        {"label": f"SDK assigned {suffix}", "application_type": "web", "redirect_uris": ["https://sdk.example.com/cb"]}
    )

    request = models.AddGroupRequest(
        profile=models.OktaUserGroupProfile(name=f"SDK group {suffix}", description="Made by the SDK")
    )
    group, _, err = run(okta_client.add_group(request))
    assert err is None, err
    assert group.id.startswith("00g") and group.type.value == "OKTA_GROUP"
    assert group.profile.actual_instance.name == f"SDK group {suffix}"

    _, _, err = run(okta_client.assign_user_to_group(group.id, user.uid))
    assert err is None, err
    members, _, err = run(okta_client.list_group_users(group.id))
    assert err is None, err
    assert [m.id for m in members] == [user.uid]
    found, _, err = run(okta_client.list_groups(q=f"SDK group {suffix}"))
    assert err is None, err
    assert [g.id for g in found] == [group.id]

    assignment, _, err = run(okta_client.assign_group_to_application(app.public_id, group.id))
    assert err is None, err
    assert assignment.id == group.id and assignment.priority == 0
    listed, _, err = run(okta_client.list_application_group_assignments(app.public_id))
    assert err is None, err
    everyone = [g.id for g in listed if g.id != group.id]
    assert len(listed) == 2 and len(everyone) == 1  # Everyone, from the app's creation, and the new group
    fetched, _, err = run(okta_client.get_application_group_assignment(app.public_id, group.id))
    assert err is None, err
    assert fetched.id == group.id
    apps, _, err = run(okta_client.list_assigned_applications_for_group(group.id))
    assert err is None, err
    assert [a.id for a in apps] == [app.public_id]

    app_user, _, err = run(
        okta_client.assign_user_to_application(app.public_id, models.AppUserAssignRequest(id=user.uid))
    )
    assert err is None, err
    assert app_user.id == user.uid and app_user.scope == "USER"
    app_users, _, err = run(okta_client.list_application_users(app.public_id, limit=200))
    assert err is None, err
    assert user.uid in [u.id for u in app_users]

    _, _, err = run(okta_client.unassign_application_from_group(app.public_id, everyone[0]))
    assert err is None, err
    _, _, err = run(okta_client.unassign_user_from_application(app.public_id, user.uid))
    assert err is None, err
    shown, _, err = run(okta_client.get_application_user(app.public_id, user.uid))
    assert err is None, err
    assert shown.scope == "GROUP"  # still assigned through the group
    _, _, err = run(okta_client.unassign_user_from_group(group.id, user.uid))
    assert err is None, err
    _, response, err = run(okta_client.get_application_user(app.public_id, user.uid))
    assert response.status == 404
    _, _, err = run(okta_client.delete_group(group.id))
    assert err is None, err
    assert Application.objects.get(pk=app.pk).group_assignments.count() == 0
