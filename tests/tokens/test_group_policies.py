"""Groups in authorization-server policies and claims: rules that include or exclude groups and users
pick the sign-in's lifetimes; the groups claim (`valueType: GROUPS`) lists the user's groups that pass
its filter, at most 100; the token preview shows the user's groups and those the rule matched; the
API's rule and claim validation takes the group fields."""

import pytest

from accounts import groups
from accounts.models import Group
from tests.kit.api import assert_okta_error
from tests.kit.oauth import claims, tokens_for
from tests.kit.servers import add_claim, add_policy, add_rule, make_server
from tokens.servers import preview
from tokens.servers.models import Claim, PolicyRule


@pytest.fixture
def server(db):
    return make_server("Groups API", audience="api://groups")


@pytest.fixture
def contractors(db):
    return groups.create_group(name="Contractors")


def minutes(body) -> int:
    access = claims(body["access_token"])
    return (access["exp"] - access["iat"]) // 60


def sign_in(client, app, user, server, **kw):
    return tokens_for(client, app, user, secret=app.plain_secret, server=server.id, **kw)


def test_a_rule_for_a_group_gives_its_members_its_lifetimes(
    client, server, confidential_app, end_user, other_user, contractors
):
    policy = add_policy(server)
    add_rule(policy, "Contractors", priority=1, groups=[contractors.public_id], access_token_lifetime_minutes=5)
    add_rule(policy, "Everyone else", priority=2, access_token_lifetime_minutes=60)
    groups.add_member(contractors, end_user)

    assert minutes(sign_in(client, confidential_app, end_user, server)) == 5
    assert minutes(sign_in(client, confidential_app, other_user, server)) == 60


def test_an_excluded_group_skips_the_rule(client, server, confidential_app, end_user, other_user, contractors):
    policy = add_policy(server)
    add_rule(policy, "Staff", priority=1, groups_exclude=[contractors.public_id], access_token_lifetime_minutes=30)
    add_rule(policy, "Fallback", priority=2, access_token_lifetime_minutes=60)
    groups.add_member(contractors, end_user)

    assert minutes(sign_in(client, confidential_app, end_user, server)) == 60
    assert minutes(sign_in(client, confidential_app, other_user, server)) == 30


def test_an_excluded_user_skips_the_rule_even_in_an_included_group(
    client, server, confidential_app, end_user, other_user, contractors
):
    policy = add_policy(server)
    add_rule(
        policy,
        "Contractors but Alice",
        priority=1,
        groups=[contractors.public_id],
        users_exclude=[end_user.uid],
        access_token_lifetime_minutes=15,
    )
    add_rule(policy, "Fallback", priority=2, access_token_lifetime_minutes=60)
    groups.add_member(contractors, end_user)
    groups.add_member(contractors, other_user)

    assert minutes(sign_in(client, confidential_app, end_user, server)) == 60
    assert minutes(sign_in(client, confidential_app, other_user, server)) == 15


def test_the_everyone_groups_id_matches_every_user(client, server, confidential_app, end_user):
    policy = add_policy(server)
    add_rule(policy, "By id", groups=[Group.everyone().public_id], access_token_lifetime_minutes=20)

    assert minutes(sign_in(client, confidential_app, end_user, server)) == 20


def test_no_rule_for_a_non_member_is_access_denied(client, server, confidential_app, end_user, contractors):
    policy = add_policy(server)
    add_rule(policy, "Contractors only", groups=[contractors.public_id])
    client.force_login(end_user)

    from tests.kit.oauth import authorize_params, pkce_pair

    response = client.get(
        f"/oauth2/{server.id}/v1/authorize", authorize_params(confidential_app, challenge=pkce_pair()[1])
    )

    assert response.status_code == 302 and "error=access_denied" in response["Location"]
    assert "Policy+evaluation+failed" in response["Location"]


@pytest.mark.parametrize(
    "filter_type, value, expected",
    [
        ("STARTS_WITH", "eng", ["Eng-Ops", "Engineering"]),
        ("EQUALS", "engineering", ["Engineering"]),
        ("CONTAINS", "ops", ["Eng-Ops", "SecOps"]),
        ("REGEX", ".*", ["Eng-Ops", "Engineering", "Everyone", "SecOps"]),
        ("REGEX", "Eng.*|Sec", ["Eng-Ops", "Engineering"]),  # the whole name must match
    ],
)
def test_the_groups_claim_filters_the_users_groups(
    client, server, confidential_app, end_user, filter_type, value, expected
):
    policy = add_policy(server)
    add_rule(policy)
    add_claim(server, "groups", value, claim_type="RESOURCE", value_type="GROUPS", group_filter_type=filter_type)
    add_claim(server, "groups", value, claim_type="IDENTITY", value_type="GROUPS", group_filter_type=filter_type)
    for name in ("Engineering", "Eng-Ops", "SecOps"):
        groups.add_member(groups.create_group(name=name), end_user)
    groups.create_group(name="Engineers without Alice")

    body = sign_in(client, confidential_app, end_user, server)

    assert claims(body["access_token"])["groups"] == expected
    assert claims(body["id_token"])["groups"] == expected


def test_the_groups_claim_carries_at_most_100_groups_and_none_is_left_out(client, server, confidential_app, end_user):
    policy = add_policy(server)
    add_rule(policy)
    add_claim(server, "groups", "Team", value_type="GROUPS", group_filter_type="STARTS_WITH")
    add_claim(server, "nothing", "Nobody", value_type="GROUPS", group_filter_type="EQUALS")
    teams = Group.objects.bulk_create([Group(name=f"Team {i:03d}") for i in range(120)])
    for team in teams:
        groups.add_member(team, end_user)

    access = claims(sign_in(client, confidential_app, end_user, server)["access_token"])

    assert access["groups"] == [f"Team {i:03d}" for i in range(100)]
    assert "nothing" not in access  # no group passes: the claim is left out, as Okta does


def test_the_preview_shows_the_users_groups_and_the_rules_matches(server, confidential_app, end_user, contractors):
    policy = add_policy(server)
    add_rule(policy, "Contractors", groups=[contractors.public_id, "EVERYONE"], access_token_lifetime_minutes=10)
    add_claim(server, "groups", "Contr", value_type="GROUPS", group_filter_type="STARTS_WITH")
    groups.add_member(contractors, end_user)

    shown = preview.preview(server.id, confidential_app, end_user, "authorization_code", "openid")

    assert shown.matched and shown.rule.name == "Contractors"
    assert shown.groups == ["Contractors", "Everyone"]
    assert shown.group_matches == ["Everyone", "Contractors"]
    assert shown.access_token["groups"] == ["Contractors"]


def rule_body(**people):
    return {
        "name": "Group rule",
        "conditions": {
            "people": people,
            "grantTypes": {"include": ["authorization_code"]},
            "scopes": {"include": ["*"]},
        },
        "actions": {"token": {"accessTokenLifetimeMinutes": 30}},
    }


def test_the_api_takes_group_and_exclusion_conditions(api_client, server, contractors, end_user):
    policy = add_policy(server)
    path = f"/api/v1/authorizationServers/{server.id}/policies/{policy.id}/rules"

    response = api_client.post(
        path,
        rule_body(
            groups={"include": [contractors.public_id], "exclude": []},
            users={"include": [], "exclude": [end_user.uid]},
        ),
        format="json",
    )

    assert response.status_code == 201, response.content  # as-admin's create answers 201, as Okta does
    assert response.json()["conditions"]["people"] == {
        "users": {"include": [], "exclude": [end_user.uid]},
        "groups": {"include": [contractors.public_id], "exclude": []},
    }
    rule = PolicyRule.objects.get(name="Group rule")
    assert rule.groups_include == [contractors.public_id] and rule.users_exclude == [end_user.uid]


@pytest.mark.parametrize(
    "people, path",
    [
        ({"groups": {"include": ["00gnothere"]}}, "conditions.people.groups.include"),
        ({"groups": {"include": ["EVERYONE"], "exclude": ["EVERYONE"]}}, "conditions.people.groups.exclude"),
        ({"users": {"exclude": ["00unothere"]}}, "conditions.people.users.exclude"),
    ],
)
def test_the_api_refuses_unknown_groups_and_users_in_rules(api_client, server, people, path):
    policy = add_policy(server)
    response = api_client.post(
        f"/api/v1/authorizationServers/{server.id}/policies/{policy.id}/rules", rule_body(**people), format="json"
    )
    assert_okta_error(response, 400, "E0000001")
    assert path in " ".join(c["errorSummary"] for c in response.json()["errorCauses"])
    assert not PolicyRule.objects.filter(name="Group rule").exists()


def test_the_api_makes_a_groups_claim(api_client, server):
    response = api_client.post(
        f"/api/v1/authorizationServers/{server.id}/claims",
        {
            "name": "groups",
            "claimType": "IDENTITY",
            "valueType": "GROUPS",
            "value": "Eng",
            "group_filter_type": "STARTS_WITH",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["valueType"], body["value"], body["group_filter_type"]) == ("GROUPS", "Eng", "STARTS_WITH")
    assert Claim.objects.get(server=server, name="groups").group_filter_type == "STARTS_WITH"


@pytest.mark.parametrize(
    "extra, path",
    [({}, "group_filter_type"), ({"group_filter_type": "REGEX", "value": '"(unclosed"'}, "value")],
)
def test_the_api_refuses_a_groups_claim_without_a_filter_or_with_a_bad_regex(api_client, server, extra, path):
    body = {"name": "groups", "claimType": "RESOURCE", "valueType": "GROUPS", "value": '"Eng"'} | extra
    response = api_client.post(f"/api/v1/authorizationServers/{server.id}/claims", body, format="json")
    assert_okta_error(response, 400, "E0000001")
    assert path in " ".join(c["errorSummary"] for c in response.json()["errorCauses"])
    assert not Claim.objects.filter(server=server, name="groups").exists()


@pytest.mark.postgres
def test_a_refresh_reads_the_groups_only_where_a_groups_claim_applies(client, server, make_app, end_user, settings):
    """Two statements (lookup, rotation) at a server without a groups claim; one more with one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.kit.oauth import refresh

    settings.ROTOR_OAUTH_RATE_LIMIT_PER_MINUTE = settings.ROTOR_OAUTH_IP_RATE_LIMIT_PER_MINUTE = 0
    settings.ROTOR_OAUTH_AUTH_FAILURES_PER_MINUTE = settings.ROTOR_OAUTH_IP_AUTH_FAILURES_PER_MINUTE = 0
    settings.ROTOR_FAST_SQL = True
    add_rule(add_policy(server))
    app, secret = make_app(label="q", grant_types=["authorization_code", "refresh_token"], rotation_type="ROTATE")
    counts = []
    for with_claim in (False, True):
        if with_claim:
            add_claim(server, "groups", ".*", value_type="GROUPS", group_filter_type="REGEX")
        token = tokens_for(client, app, end_user, secret=secret, server=server.id)["refresh_token"]
        refresh(client, app, token, secret=secret, server=server.id)  # the server's config is cached now
        token = refresh(client, app, token, secret=secret, server=server.id)
        with CaptureQueriesContext(connection) as ctx:
            response = refresh(client, app, token.json()["refresh_token"], secret=secret, server=server.id)
        assert response.status_code == 200, response.content
        counts.append(len([q for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]))
    assert counts == [2, 3]
