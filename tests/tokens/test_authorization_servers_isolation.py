"""Every endpoint per server (issue 14): a custom server's endpoints under /oauth2/{id}/, its own keys
and scopes, its tokens refused at every other server, Okta's 404 for an unknown or inactive server,
discovery that authlib reads, and the statement counts of the hot paths unchanged on a custom server."""

import io

import jwt
import pytest
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.wsgi import MACHINE_PATHS
from tests.kit.device import tv_app_data
from tests.kit.oauth import (
    INVALID_REFRESH,
    PREFIX,
    authorize_code,
    claims,
    exchange,
    form_post,
    introspection,
    refresh,
    token_request,
    tokens_for,
)
from tests.kit.servers import add_claim, add_policy, add_rule, add_scope, make_server
from tokens.models import DeviceCode, TokenFamily
from tokens.servers import keys, registry, scopes


@pytest.fixture
def server(db):
    server = make_server("Orders", audience="api://orders", scopes=["orders:read"])
    add_rule(add_policy(server), "All")
    return server


@pytest.fixture
def other(db):
    other = make_server("Billing", audience="api://billing", scopes=["orders:read"])
    add_rule(add_policy(other), "All")
    return other


ENDPOINTS = [
    ("get", "v1/authorize"),
    ("post", "v1/token"),
    ("post", "v1/revoke"),
    ("post", "v1/introspect"),
    ("get", "v1/userinfo"),
    ("get", "v1/keys"),
    ("get", "v1/logout"),
    ("post", "v1/device/authorize"),
    ("get", ".well-known/openid-configuration"),
    ("get", ".well-known/oauth-authorization-server"),
]


def _assert_not_found(response, server_id):
    assert response.status_code == 404, (response.status_code, response.content[:200])
    body = response.json()
    assert body["errorCode"] == "E0000007" and body["errorLink"] == "E0000007"
    assert body["errorSummary"] == f"Not found: Resource not found: {server_id} (AuthorizationServer)"
    assert body["errorCauses"] == [] and body["errorId"]


@pytest.mark.parametrize(("method", "endpoint"), ENDPOINTS)
def test_an_inactive_servers_endpoints_answer_oktas_404(client, db, method, endpoint):
    inactive = make_server("Off", status="INACTIVE")
    _assert_not_found(getattr(client, method)(f"/oauth2/{inactive.id}/{endpoint}"), inactive.id)


@pytest.mark.parametrize(("method", "endpoint"), ENDPOINTS)
def test_an_unknown_servers_endpoints_answer_oktas_404(client, db, method, endpoint):
    _assert_not_found(getattr(client, method)(f"/oauth2/ausNoSuchServer00000/{endpoint}"), "ausNoSuchServer00000")


def test_a_server_deactivated_in_this_process_stops_at_once(client, server):
    assert client.get(f"/oauth2/{server.id}/v1/keys").status_code == 200
    server.status = "INACTIVE"
    server.save()
    _assert_not_found(client.get(f"/oauth2/{server.id}/v1/keys"), server.id)


def test_the_dynamic_paths_take_the_lean_handler(server):
    for path in (f"/oauth2/{server.id}/v1/token", f"/oauth2/{server.id}/.well-known/openid-configuration"):
        assert MACHINE_PATHS.match(path), path
    for path in (f"/oauth2/{server.id}/v1/authorize", f"/oauth2/{server.id}/v1/logout", "/oauth2/a-b/v1/token"):
        assert not MACHINE_PATHS.match(path), path


def test_a_sign_in_through_a_new_server(client, server, static_app, end_user):
    add_claim(server, "department", '"finance"')
    tokens = tokens_for(client, static_app, end_user, secret=static_app.plain_secret, server=server.id)
    issuer = f"{_base()}/oauth2/{server.id}"
    jwks = client.get(f"/oauth2/{server.id}/v1/keys").json()
    signing = jwt.PyJWK(
        next(k for k in jwks["keys"] if k["kid"] == jwt.get_unverified_header(tokens["access_token"])["kid"])
    )
    body = jwt.decode(tokens["access_token"], signing.key, algorithms=["RS256"], audience="api://orders", issuer=issuer)
    assert body["department"] == "finance" and body["cid"] == static_app.client_id
    assert TokenFamily.objects.get().server == server.id
    info = client.get(f"/oauth2/{server.id}/v1/userinfo", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert info.status_code == 200 and info.json()["sub"] == end_user.uid


def _base():
    from django.conf import settings

    return settings.ROTOR_ISSUER


def test_each_server_has_its_own_keys(client, server, other):
    mine = {k["kid"] for k in client.get(f"/oauth2/{server.id}/v1/keys").json()["keys"]}
    theirs = {k["kid"] for k in client.get(f"/oauth2/{other.id}/v1/keys").json()["keys"]}
    assert len(mine) == 2 and len(theirs) == 2 and not mine & theirs


def test_ensure_keys_gives_a_new_server_its_keys(server):
    keys.ensure_keys(server.id)
    assert sorted(k.status for k in keys.list_keys(server.id)) == ["ACTIVE", "NEXT"]


def test_rotatekeys_turns_one_servers_keys(server, other):
    keys.ensure_keys(server.id)
    keys.ensure_keys(other.id)
    theirs = keys.list_keys(other.id)
    before = {k.status: k.kid for k in keys.list_keys(server.id)}
    call_command("rotatekeys", "--server", server.id, "--noinput", stdout=io.StringIO())
    after = {k.status: k.kid for k in keys.list_keys(server.id)}
    assert after["ACTIVE"] == before["NEXT"] and after["EXPIRED"] == before["ACTIVE"]
    assert keys.list_keys(other.id) == theirs


def test_rotatekeys_refuses_an_unknown_server(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No authorization server 'ausNope'"):
        call_command("rotatekeys", "--server", "ausNope", "--noinput", stdout=io.StringIO())


# Tokens of one server are refused at every other --------------------------------------------------


@pytest.fixture
def signed_in_at_server(client, server, static_app, end_user):
    return tokens_for(client, static_app, end_user, secret=static_app.plain_secret, server=server.id)


@pytest.mark.parametrize("elsewhere", ["other", "org", "default"])
def test_a_servers_tokens_are_refused_at_every_other(
    client, server, other, static_app, end_user, signed_in_at_server, elsewhere
):
    where = other.id if elsewhere == "other" else elsewhere
    secret = static_app.plain_secret
    tokens = signed_in_at_server
    assert refresh(client, static_app, tokens["refresh_token"], secret=secret, server=where).json() == INVALID_REFRESH
    for token in (tokens["access_token"], tokens["refresh_token"]):
        assert introspection(client, static_app, token, secret, server=where) == {"active": False}
    info = client.get(f"{PREFIX[where]}/userinfo", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert info.status_code == 401
    form_post(client, "revoke", {"token": tokens["refresh_token"]}, app=static_app, secret=secret, server=where)
    assert TokenFamily.objects.get().status == "ACTIVE"  # revoking elsewhere revoked nothing
    assert introspection(client, static_app, tokens["access_token"], secret, server=server.id)["active"] is True


def test_a_code_of_one_server_is_refused_at_another(client, server, other, static_app, end_user):
    client.force_login(end_user)
    grant = authorize_code(client, static_app, server=server.id)
    response = exchange(client, static_app, grant, server=other.id, secret=static_app.plain_secret)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert exchange(client, static_app, grant, server=server.id, secret=static_app.plain_secret).status_code == 200


def test_a_device_code_of_one_server_is_refused_at_another(client, server, other, make_app):
    app, _ = make_app(**tv_app_data())
    started = form_post(client, "device/authorize", {"scope": "openid"}, app=app, server=server.id)
    assert started.status_code == 200, started.content
    poll = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": started.json()["device_code"]}
    response = token_request(client, poll, server=other.id, app=app)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert DeviceCode.objects.get().server == server.id


# Scopes and claims ---------------------------------------------------------------------------------


def test_an_unknown_scope_is_invalid_scope(client, server, static_app, end_user):
    client.force_login(end_user)
    response = client.get(
        f"/oauth2/{server.id}/v1/authorize",
        {
            "client_id": static_app.client_id,
            "response_type": "code",
            "redirect_uri": static_app.redirect_uri_list[0],
            "scope": "openid api:read",  # a scope of `default`, not of this server
            "state": "s",
        },
    )
    assert response.status_code == 302 and "error=invalid_scope" in response["Location"]


def test_client_credentials_without_a_scope_gets_the_default_scopes(client, server, make_app):
    app, secret = make_app(label="svc", application_type="service", grant_types=["client_credentials"])
    data = {"grant_type": "client_credentials"}
    assert token_request(client, data, server=server.id, app=app, secret=secret).json()["error"] == "invalid_scope"
    add_scope(server, "orders:default", default=True)
    response = token_request(client, data, server=server.id, app=app, secret=secret)
    assert response.status_code == 200 and response.json()["scope"] == "orders:default"


def test_authorize_without_a_scope_gets_the_default_scopes(client, server, static_app, end_user):
    add_scope(server, "orders:default", default=True)
    client.force_login(end_user)
    grant = authorize_code(client, static_app, server=server.id, scope="")
    body = exchange(client, static_app, grant, server=server.id, secret=static_app.plain_secret).json()
    assert body["scope"] == "orders:default" and "id_token" not in body


def test_discovery_lists_only_published_scopes_and_authlib_reads_it(client, server):
    add_scope(server, "orders:secret", metadata_publish="NO_CLIENTS")
    for doc in ("openid-configuration", "oauth-authorization-server"):
        response = client.get(f"/oauth2/{server.id}/.well-known/{doc}")
        metadata = AuthorizationServerMetadata(response.json())
        metadata.validate()  # RFC 8414: issuer, endpoints, response types… as authlib checks them
        assert metadata["issuer"] == f"{_base()}/oauth2/{server.id}"
        assert metadata["token_endpoint"] == f"{_base()}/oauth2/{server.id}/v1/token"
        assert "orders:read" in metadata["scopes_supported"] and "orders:secret" not in metadata["scopes_supported"]
    org = client.get("/.well-known/openid-configuration").json()
    assert org["scopes_supported"] == list(scopes.OIDC_SCOPES)


def test_the_consent_page_shows_the_required_scopes_descriptions(client, server, make_app, end_user):
    app, secret = make_app(
        label="Needs consent", application_type="web", grant_types=["authorization_code"], consent_method="REQUIRED"
    )
    add_scope(server, "orders:write", consent="REQUIRED", description="Place orders in your name")
    add_scope(server, "orders:peek", consent="IMPLICIT", description="Peek quietly")
    client.force_login(end_user)
    response = client.get(
        f"/oauth2/{server.id}/v1/authorize",
        {
            "client_id": app.client_id,
            "response_type": "code",
            "redirect_uri": app.redirect_uri_list[0],
            "scope": "openid orders:write orders:peek",
            "state": "s",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Place orders in your name" in page and "Peek quietly" not in page


def test_claims_by_type_status_and_scope_condition(client, server, static_app, end_user):
    add_claim(server, "dept", '"finance"')
    add_claim(server, "login", "user.login", claim_type="IDENTITY")
    add_claim(server, "off", '"never"', status="INACTIVE")
    add_claim(server, "orders_only", "user.firstName", conditions_scopes=["orders:read"])
    add_claim(server, "info_only", "user.lastName", claim_type="IDENTITY", always_include_in_token=False)
    tokens = tokens_for(client, static_app, end_user, secret=static_app.plain_secret, server=server.id)
    access, identity = claims(tokens["access_token"]), claims(tokens["id_token"])
    assert access["dept"] == "finance" and "login" not in access and "off" not in access
    assert "orders_only" not in access  # orders:read was not granted
    assert identity["login"] == end_user.username and "dept" not in identity and "info_only" not in identity
    info = client.get(f"/oauth2/{server.id}/v1/userinfo", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert info.json()["info_only"] == end_user.last_name
    with_scope = tokens_for(
        client, static_app, end_user, secret=static_app.plain_secret, server=server.id, scope="openid orders:read"
    )
    assert claims(with_scope["access_token"])["orders_only"] == end_user.first_name


@pytest.mark.parametrize(
    ("value", "expected"),
    [("user.email", "alice@example.com"), ("user.firstName", "Alice"), ('"gold"', "gold"), ("'gold'", "gold")],
)
def test_claim_expressions(end_user, value, expected):
    assert scopes.parse_claim_expression(value)(end_user) == expected
    assert scopes.parse_claim_expression(value)(None) in (None, "gold")


@pytest.mark.parametrize("value", ["user.shoeSize", "gold", "user.email + 1", '"unterminated', "app.name", ""])
def test_an_unsupported_claim_expression_names_the_supported_forms(value):
    with pytest.raises(ValueError, match=r"user\.<profile attribute>.*string literal"):
        scopes.parse_claim_expression(value)


def test_reserved_claim_names_are_exported():
    assert {"sub", "iss", "aud", "exp", "iat", "jti", "cid", "uid", "scp", "cnf", "auth_time", "nonce"} <= (
        scopes.RESERVED_CLAIMS
    )


# The hot paths' statement counts on a custom server ------------------------------------------------


def _statements(call) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = call()
    assert response.status_code == 200, response.content
    sql = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    return len(sql), sql


@pytest.fixture
def fast_sql(settings):
    if connection.vendor != "postgresql":
        pytest.skip("the fast path is PostgreSQL's")
    settings.ROTOR_FAST_SQL = True
    settings.ROTOR_OAUTH_RATE_LIMIT_PER_MINUTE = settings.ROTOR_OAUTH_IP_RATE_LIMIT_PER_MINUTE = 0
    settings.ROTOR_OAUTH_AUTH_FAILURES_PER_MINUTE = settings.ROTOR_OAUTH_IP_AUTH_FAILURES_PER_MINUTE = 0


@pytest.mark.postgres
@pytest.mark.parametrize("rotation", ["ROTATE", "STATIC"])
def test_a_refresh_at_a_custom_server_stays_two_statements(client, server, make_app, end_user, fast_sql, rotation):
    """The policy is read at sign-in; the server's configuration comes from the worker's copy."""
    app, secret = make_app(
        label="q", application_type="web", grant_types=["authorization_code", "refresh_token"], rotation_type=rotation
    )
    token = tokens_for(client, app, end_user, secret=secret, server=server.id)["refresh_token"]
    token = refresh(client, app, token, secret=secret, server=server.id).json()["refresh_token"]
    count, sql = _statements(lambda: refresh(client, app, token, secret=secret, server=server.id))
    assert count == 2, "\n".join(sql)


@pytest.mark.postgres
def test_a_cached_client_credentials_grant_at_a_custom_server_stays_one_statement(client, server, make_app, fast_sql):
    app, secret = make_app(label="svc", application_type="service", grant_types=["client_credentials"])
    data = {"grant_type": "client_credentials", "scope": "orders:read"}
    assert token_request(client, data, server=server.id, app=app, secret=secret).status_code == 200
    count, sql = _statements(lambda: token_request(client, data, server=server.id, app=app, secret=secret))
    assert count == 1, "\n".join(sql)


def test_a_stale_copy_is_checked_with_one_statement_and_reloaded_only_when_changed(server, settings):
    settings.ROTOR_SERVER_CACHE_SECONDS = 0
    registry.get_server(server.id)
    with CaptureQueriesContext(connection) as ctx:
        registry.get_server(server.id)
    assert len(ctx.captured_queries) == 1  # last_updated and status: unchanged
    type(server).objects.filter(id=server.id).update(name="Renamed")  # no signal, same stamp: the copy stays
    assert registry.get_server(server.id).name == "Orders"
    type(server).objects.filter(id=server.id).update(last_updated=timezone.now())  # as the admin services do
    assert registry.get_server(server.id).name == "Renamed"


# Live: a sign-in through a server created a moment ago ---------------------------------------------


@pytest.mark.live
def test_a_live_sign_in_through_a_newly_created_server(live, live_db):
    """gunicorn workers that never saw the server load it, sign with its fresh keys, apply its rule and
    claims, and refuse its tokens at `default`; deactivated, it answers 404."""
    import uuid

    import requests

    from accounts.services import create_user
    from clients.services import create_app
    from tests.kit.oauth import live_sign_in

    suffix = uuid.uuid4().hex[:8]
    server = make_server(f"Live {suffix}", audience=f"api://live-{suffix}", scopes=["orders:read"])
    add_rule(add_policy(server), "Live rule", access_token_lifetime_minutes=7, refresh_token_window_minutes=30)
    add_claim(server, "tier", '"gold"')
    password = "live password 123"
    user = create_user(username=f"as-{suffix}@example.com", email=f"as-{suffix}@example.com", password=password)
    app, secret = create_app(
        {
            "label": f"AS app {suffix}",
            "application_type": "web",
            "grant_types": ["authorization_code", "refresh_token"],
            "redirect_uris": ["https://app.example.com/callback"],
        }
    )
    base, prefix = live.url, f"/oauth2/{server.id}/v1"
    grant = live_sign_in(
        base,
        app.client_id,
        "https://app.example.com/callback",
        user.username,
        password,
        server=server.id,
        scope="openid orders:read offline_access",
    )
    response = requests.post(
        f"{base}{prefix}/token",
        data={
            "grant_type": "authorization_code",
            "code": grant["code"],
            "redirect_uri": grant["redirect_uri"],
            "code_verifier": grant["verifier"],
        },
        auth=(app.client_id, secret),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["expires_in"] == 7 * 60
    jwks = jwt.PyJWKClient(f"{base}{prefix}/keys")
    key = jwks.get_signing_key_from_jwt(tokens["access_token"])
    access = jwt.decode(
        tokens["access_token"],
        key.key,
        algorithms=["RS256"],
        audience=f"api://live-{suffix}",
        issuer=f"{base}/oauth2/{server.id}",
    )
    assert access["tier"] == "gold" and access["exp"] - access["iat"] == 7 * 60
    assert access["scp"] == ["openid", "orders:read", "offline_access"]
    elsewhere = requests.post(
        f"{base}/oauth2/default/v1/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(app.client_id, secret),
        timeout=10,
    )
    assert elsewhere.status_code == 400 and elsewhere.json() == INVALID_REFRESH
    refreshed = requests.post(
        f"{base}{prefix}/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(app.client_id, secret),
        timeout=10,
    )
    assert refreshed.status_code == 200 and refreshed.json()["expires_in"] == 7 * 60

    server.status = "INACTIVE"
    server.save()
    # Every worker notices within ROTOR_SERVER_CACHE_SECONDS (5 s).
    import time

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        statuses = {requests.get(f"{base}{prefix}/keys", timeout=10).status_code for _ in range(8)}
        if statuses == {404}:
            break
        time.sleep(0.5)
    assert statuses == {404}
