"""Access policies and their rules (issue 14, SPEC §4): which policy and rule a request meets, and what
a request that meets none gets: Okta's 401 `access_denied`, nothing issued, nothing written but the
failure event. The Token Preview answers the same question without writing anything."""

from urllib.parse import parse_qs, urlsplit

import pytest

from accounts.models import Group
from core.models import Event
from tests.kit.dbstate import changed_tables, row_counts
from tests.kit.oauth import authorize_code, authorize_params, exchange, pkce_pair, token_request
from tests.kit.servers import add_claim, add_policy, add_rule, make_server
from tokens.models import AuthorizationCode, TokenFamily
from tokens.servers import policies, registry
from tokens.servers.preview import preview

DENIED = {
    "error": "access_denied",
    "error_description": "Policy evaluation failed for this request, please check the policy configurations.",
}
CODE = "authorization_code"
CC = "client_credentials"


@pytest.fixture
def server(db):
    return make_server(scopes=["orders:read", "orders:write"])


@pytest.fixture
def service(make_app):
    app, secret = make_app(label="Export", application_type="service", grant_types=["client_credentials"])
    app.plain_secret = secret
    return app


def decide(server, app, *, grant=CODE, scopes=("openid",), user=None):
    """The rule evaluate() picks, by name (or the reason none matches)."""
    try:
        decision = policies.evaluate(
            registry.get_server(server.id), app, grant_type=grant, scopes=list(scopes), user=user
        )
    except policies.PolicyDenied as denied:
        return f"denied: {denied.reason}"
    return decision.rule.name


def test_policies_are_tried_in_priority_order_and_the_first_covering_the_client_is_used(
    server, confidential_app, end_user
):
    low = add_policy(server, "For everyone", priority=2)
    add_rule(low, "everyone rule")
    mine = add_policy(server, "For this app", priority=1, clients=[confidential_app.client_id])
    add_rule(mine, "app rule")
    assert decide(server, confidential_app, user=end_user) == "app rule"


def test_a_policy_for_other_clients_is_skipped_and_one_that_covers_none_denies(
    server, confidential_app, public_app, end_user
):
    theirs = add_policy(server, "Theirs", priority=1, clients=[public_app.client_id])
    add_rule(theirs, "their rule")
    assert decide(server, confidential_app, user=end_user).startswith("denied: no active policy covers")
    add_rule(add_policy(server, "All", priority=2), "fallback")
    assert decide(server, confidential_app, user=end_user) == "fallback"


def test_the_first_matching_policy_decides_even_when_its_rules_do_not_match(server, confidential_app, end_user):
    """Okta stops at the first policy that covers the client: a later policy's rule is never tried."""
    first = add_policy(server, "First", priority=1)
    add_rule(first, "only cc", grants=[CC])
    add_rule(add_policy(server, "Second", priority=2), "would match")
    assert decide(server, confidential_app, user=end_user).startswith("denied: no rule of the policy First")


def test_inactive_policies_and_rules_are_skipped(server, confidential_app, end_user):
    add_rule(add_policy(server, "Off", priority=1, status="INACTIVE"), "in an inactive policy")
    on = add_policy(server, "On", priority=2)
    add_rule(on, "inactive rule", priority=1, status="INACTIVE")
    add_rule(on, "active rule", priority=2)
    assert decide(server, confidential_app, user=end_user) == "active rule"


def test_rules_in_priority_order_and_the_first_match_wins(server, confidential_app, end_user):
    policy = add_policy(server)
    add_rule(policy, "second", priority=2, access_token_lifetime_minutes=30)
    add_rule(policy, "first", priority=1, access_token_lifetime_minutes=15)
    assert decide(server, confidential_app, user=end_user) == "first"
    decision = policies.evaluate(
        registry.get_server(server.id), confidential_app, grant_type=CODE, scopes=["openid"], user=end_user
    )
    assert decision.lifetimes.access_minutes == 15


def test_grant_type_condition(server, confidential_app, service, end_user):
    policy = add_policy(server)
    add_rule(policy, "code only", priority=1, grants=[CODE, "refresh_token"])
    add_rule(policy, "device only", priority=2, grants=["urn:ietf:params:oauth:grant-type:device_code"])
    add_rule(policy, "cc only", priority=3, grants=[CC])
    assert decide(server, confidential_app, user=end_user) == "code only"
    assert decide(server, service, grant=CC, scopes=["orders:read"]) == "cc only"
    device = "urn:ietf:params:oauth:grant-type:device_code"
    assert decide(server, confidential_app, grant=device, user=end_user) == "device only"


def test_scope_condition_needs_every_requested_scope_or_a_star(server, confidential_app, end_user):
    policy = add_policy(server)
    add_rule(policy, "read", priority=1, scopes=["openid", "orders:read"])
    add_rule(policy, "any", priority=2, scopes=["*"])
    assert decide(server, confidential_app, scopes=["openid", "orders:read"], user=end_user) == "read"
    assert decide(server, confidential_app, scopes=["orders:read"], user=end_user) == "read"
    assert decide(server, confidential_app, scopes=["orders:read", "orders:write"], user=end_user) == "any"


def test_people_condition_users_included_and_excluded(server, confidential_app, end_user, other_user):
    policy = add_policy(server)
    add_rule(policy, "alice only", priority=1, groups=[], users_include=[end_user.uid])
    add_rule(policy, "everyone but mallory", priority=2, users_exclude=[other_user.uid])
    add_rule(policy, "everyone", priority=3)
    assert decide(server, confidential_app, user=end_user) == "alice only"
    assert decide(server, confidential_app, user=other_user) == "everyone"


def test_people_condition_groups(server, confidential_app, end_user):
    """`EVERYONE` matches everyone; another group's id matches its members only (issue 15)."""
    policy = add_policy(server)
    add_rule(policy, "a group", priority=1, groups=["00gSomeGroup"])
    add_rule(policy, "excluded group", priority=2, groups=["EVERYONE"], groups_exclude=["00gSomeGroup"])
    assert policies.user_group_ids(end_user) == {"EVERYONE", Group.everyone().public_id}
    assert decide(server, confidential_app, user=end_user) == "excluded group"


def test_a_rule_for_particular_users_does_not_apply_to_client_credentials(server, service, end_user):
    policy = add_policy(server)
    add_rule(policy, "alice", priority=1, groups=[], users_include=[end_user.uid])
    assert decide(server, service, grant=CC, scopes=["orders:read"]).startswith("denied: no rule")


def test_the_org_server_has_no_policies(confidential_app, end_user):
    decision = policies.evaluate(
        registry.get_server("org"), confidential_app, grant_type=CODE, scopes=["openid"], user=end_user
    )
    assert decision.rule is None and decision.lifetimes.access_minutes == 60
    assert decision.lifetimes.refresh_minutes == 90 * 24 * 60


# Over HTTP: no match -------------------------------------------------------------------------------


def test_client_credentials_without_a_matching_rule_is_401_and_writes_only_the_failure_event(client, server, service):
    add_rule(add_policy(server), "users only", grants=[CODE])
    before = row_counts()
    events = Event.objects.count()
    response = token_request(
        client,
        {"grant_type": CC, "scope": "orders:read"},
        server=server.id,
        app=service,
        secret=service.plain_secret,
    )
    assert response.status_code == 401 and response.json() == DENIED
    assert "access_token" not in response.json()
    assert changed_tables(before) == {"core.Event": (events, events + 1)}
    event = Event.objects.latest("published")
    assert event.event_type == "app.oauth2.as.token.grant" and event.outcome_result == "FAILURE"
    assert event.app_id == service.public_id


def test_authorize_without_a_matching_rule_redirects_with_access_denied(client, server, confidential_app, end_user):
    add_rule(add_policy(server), "cc only", grants=[CC])
    client.force_login(end_user)
    _verifier, challenge = pkce_pair()
    response = client.get(f"/oauth2/{server.id}/v1/authorize", authorize_params(confidential_app, challenge=challenge))
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["error"] == ["access_denied"] and query["error_description"] == [DENIED["error_description"]]
    assert query["state"] == ["st4te"] and "code" not in query
    assert not AuthorizationCode.objects.exists()


def test_a_rule_changed_between_authorize_and_the_exchange_refuses_the_code(client, server, confidential_app, end_user):
    """The exchange evaluates the policy again: nothing issued, the code left unredeemed, no family."""
    rule = add_rule(add_policy(server), "users")
    client.force_login(end_user)
    grant = authorize_code(client, confidential_app, server=server.id)
    rule.grant_types = [CC]
    rule.save()
    before = row_counts()
    events = Event.objects.count()
    response = exchange(client, confidential_app, grant, server=server.id, secret=confidential_app.plain_secret)
    assert response.status_code == 401 and response.json() == DENIED
    assert changed_tables(before) == {"core.Event": (events, events + 1)}
    assert AuthorizationCode.objects.get().redeemed_at is None and not TokenFamily.objects.exists()


def test_the_same_request_passes_once_a_rule_matches(client, server, service):
    add_rule(add_policy(server), "cc", grants=[CC])
    response = token_request(
        client, {"grant_type": CC, "scope": "orders:read"}, server=server.id, app=service, secret=service.plain_secret
    )
    assert response.status_code == 200, response.content


# Token Preview --------------------------------------------------------------------------------------


def test_preview_shows_the_rule_lifetimes_and_claims_and_writes_nothing(server, confidential_app, end_user):
    policy = add_policy(server, "Orders policy")
    add_rule(policy, "Short", access_token_lifetime_minutes=15, refresh_token_window_minutes=120)
    add_claim(server, "department", '"finance"')
    add_claim(server, "email_address", "user.email", claim_type="IDENTITY")
    before = row_counts()
    result = preview(server.id, confidential_app, end_user, CODE, "openid orders:read offline_access")
    assert changed_tables(before) == {}
    assert result.matched and result.policy.name == "Orders policy" and result.rule.name == "Short"
    assert (result.lifetimes.access_minutes, result.lifetimes.window_minutes) == (15, 120)
    assert result.refresh_token is True
    at, idt = result.access_token, result.id_token
    assert at["exp"] - at["iat"] == 15 * 60 and at["aud"] == "api://orders" and at["department"] == "finance"
    assert at["scp"] == ["openid", "orders:read", "offline_access"] and at["uid"] == end_user.uid
    assert idt["email_address"] == end_user.email and idt["aud"] == confidential_app.client_id
    assert idt["exp"] - idt["iat"] == 60 * 60


def test_preview_says_why_nothing_matches(server, confidential_app, service, end_user):
    add_rule(add_policy(server, "P"), "code only", grants=[CODE])
    result = preview(server.id, service, None, CC, ["orders:read"])
    assert not result.matched and result.rule is None and result.access_token == {}
    assert "Policy evaluation failed" in result.reason and "code only" in result.reason
    unknown = preview(server.id, confidential_app, end_user, CODE, ["nope"])
    assert not unknown.matched and "nope" in unknown.reason


def test_preview_of_client_credentials_has_no_id_token(server, service):
    add_rule(add_policy(server), "cc", grants=[CC])
    result = preview(server.id, service, None, CC, "orders:read")
    assert result.matched and result.id_token == {} and result.access_token["sub"] == service.client_id
    assert "uid" not in result.access_token and result.refresh_token is False


@pytest.mark.parametrize("setup", ["no policy", "a policy for another client", "a rule without the grant"])
def test_no_family_is_started_that_no_rule_allows(server, confidential_app, end_user, make_app, setup):
    """start_family() without lifetimes (seeding, tests) evaluates the policy; when nothing covers the
    client it raises, and no family or token row is written (it used to fall back to the org lifetimes)."""
    from django.utils import timezone

    from tokens.lifecycle.families import start_family

    if setup == "a policy for another client":
        other, _ = make_app(label="Other")
        add_rule(add_policy(server, clients=[other.client_id]))
    elif setup == "a rule without the grant":
        add_rule(add_policy(server), grants=[CC])
    before = row_counts()
    with pytest.raises(policies.PolicyDenied):
        start_family(
            client=confidential_app,
            user=end_user,
            server=registry.get_server(server.id),
            scopes=["openid", "offline_access"],
            auth_time=timezone.now(),
            grant_type=CODE,
        )
    assert changed_tables(before) == {}
    assert not TokenFamily.objects.exists()
