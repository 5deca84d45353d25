"""Console: a server's Access Policies tab: policies and their rules in priority order, up/down buttons, the
policy form ("Assign to") and the rule form in Okta's words, with lifetimes typed as a number and a unit.
Every range limit of `actions.token` is shown through the console, beside its field."""

import re

import pytest

from core.models import Event
from tests.kit.console import text
from tokens.servers import services
from tokens.servers.models import Policy, PolicyRule

BASE = "/console/security/authorization-servers/"


@pytest.fixture
def server(db):
    return services.create_server({"name": "Payments", "audiences": ["api://pay"]})


@pytest.fixture
def policy(server):
    return services.create_policy(server, {"name": "All apps", "clients_include": ["ALL_CLIENTS"]})


def policies_url(server, tail=""):
    return f"{BASE}{server.id}/policies/{tail}"


def rule_url(policy, tail=""):
    return f"{BASE}{policy.server_id}/policies/{policy.id}/rules/{tail}"


def rule_post(**overrides):
    """A rule form as a browser posts it: 30 minutes, 90 days, 7 days."""
    return {
        "name": "Web sign-in",
        "grant_types": ["authorization_code", "refresh_token"],
        "users_mode": "any",
        "scopes_mode": "any",
        "access_value": "30",
        "access_unit": "minutes",
        "refresh_value": "90",
        "refresh_unit": "days",
        "window_value": "7",
        "window_unit": "days",
    } | overrides


def make_rule(policy, name, **overrides):
    data = {"name": name, "grant_types": ["authorization_code"], "scopes": ["*"]} | overrides
    return services.create_rule(policy, data)


def rule_names(policy) -> list[str]:
    return list(policy.rules.order_by("priority").values_list("name", flat=True))


# The tab -----------------------------------------------------------------------------------------------------


def test_default_policy_and_rule_in_okta_words(console_client):
    body = text(console_client.get(f"{BASE}default/policies/"))
    assert "Default Policy" in body and "Default Policy Rule" in body and "All clients" in body
    assert "Authorization Code, Refresh Token, Client Credentials, Device Authorization" in body
    assert "1 hour" in body and "Unlimited, idle 7 days" in body and "Any scopes" in body


def test_policies_and_rules_are_listed_in_priority_order(console_client, server, policy, confidential_app):
    second = services.create_policy(
        server, {"name": "Only the web app", "clients_include": [confidential_app.client_id]}
    )
    for name in ("First rule", "Second rule", "Third rule"):
        make_rule(policy, name)
    body = text(console_client.get(policies_url(server)))
    assert body.index("1. All apps") < body.index("2. Only the web app")
    assert body.index("First rule") < body.index("Second rule") < body.index("Third rule")
    assert confidential_app.name in body.split(f'id="policy-card-{second.id}"')[1]  # "Assigned to" names the app


def test_move_a_policy_down_and_up(console_client, server, policy):
    second = services.create_policy(server, {"name": "Second", "clients_include": ["ALL_CLIENTS"]})
    response = console_client.post(policies_url(server, f"{policy.id}/move/"), {"direction": "down"})
    assert response.status_code == 302
    assert response["Location"] == policies_url(server) + f"#policy-card-{policy.id}"
    assert list(Policy.objects.filter(server=server).order_by("priority").values_list("name", flat=True)) == [
        "Second",
        "All apps",
    ]
    console_client.post(policies_url(server, f"{policy.id}/move/"), {"direction": "up"})
    second.refresh_from_db()
    assert second.priority == 2
    assert Event.objects.filter(event_type="policy.lifecycle.update").count() == 2


def test_move_a_rule_with_the_up_and_down_buttons(console_client, server, policy):
    first, _second, third = (make_rule(policy, n) for n in ("A", "B", "C"))
    console_client.post(rule_url(policy, f"{third.id}/move/"), {"direction": "up"})
    assert rule_names(policy) == ["A", "C", "B"]
    console_client.post(rule_url(policy, f"{first.id}/move/"), {"direction": "down"})
    assert rule_names(policy) == ["C", "A", "B"]
    # Past either end nothing moves.
    console_client.post(rule_url(policy, f"{third.id}/move/"), {"direction": "up"})
    console_client.post(rule_url(policy, f"{first.id}/move/"), {"direction": "sideways"})
    assert rule_names(policy) == ["C", "A", "B"]
    assert list(policy.rules.order_by("priority").values_list("priority", flat=True)) == [1, 2, 3]


def test_moving_is_a_post(console_client, server, policy):
    rule = make_rule(policy, "A")
    assert console_client.get(rule_url(policy, f"{rule.id}/move/")).status_code == 405
    assert console_client.get(policies_url(server, f"{policy.id}/move/")).status_code == 405


# The policy form ---------------------------------------------------------------------------------------------


def test_add_policy_for_the_following_clients(console_client, server, confidential_app):
    page = text(console_client.get(policies_url(server, "new/")))
    assert "Assign to" in page and "The following clients:" in page and confidential_app.name in page
    response = console_client.post(
        policies_url(server, "new/"),
        {"name": "Web only", "assign_to": "some", "clients": [confidential_app.client_id]},
    )
    policy = Policy.objects.get(server=server, name="Web only")
    assert response.status_code == 302 and response["Location"].endswith(f"#policy-card-{policy.id}")
    assert policy.clients_include == [confidential_app.client_id]
    assert Event.objects.filter(event_type="policy.lifecycle.create").count() == 1


def test_policy_errors_beside_their_fields(console_client, server):
    response = console_client.post(policies_url(server, "new/"), {"name": "x" * 101, "assign_to": "some"})
    assert response.status_code == 400
    body = text(response)
    assert "The policy name must be at most 100 characters." in body
    assert "Clients needs at least one entry." in body
    assert not Policy.objects.filter(server=server).exists()


def test_edit_policy_to_all_clients(console_client, server, confidential_app):
    policy = services.create_policy(server, {"name": "Web", "clients_include": [confidential_app.client_id]})
    url = policies_url(server, f"{policy.id}/edit/")
    assert re.search(r'<input type="radio" name="assign_to" value="some"[^>]* checked>', text(console_client.get(url)))
    response = console_client.post(url, {"name": "Everyone", "assign_to": "all"})
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.name, policy.clients_include) == ("Everyone", ["ALL_CLIENTS"])


def test_deactivate_activate_and_delete_a_policy(console_client, server, policy):
    url = policies_url(server, f"{policy.id}/")
    assert "next policy" in text(console_client.get(url + "deactivate/"))
    console_client.post(url + "deactivate/")
    policy.refresh_from_db()
    assert policy.status == "INACTIVE"
    assert console_client.get(url + "activate/").status_code == 405
    console_client.post(url + "activate/")
    policy.refresh_from_db()
    assert policy.status == "ACTIVE"
    assert "removed for good" in text(console_client.get(url + "delete/"))
    console_client.post(url + "delete/")
    assert not Policy.objects.filter(pk=policy.pk).exists()


def test_the_org_server_has_no_policy_forms(console_client):
    assert console_client.get(f"{BASE}org/policies/new/").status_code == 404


# The rule form -----------------------------------------------------------------------------------------------


def test_rule_form_speaks_okta(console_client, policy):
    body = text(console_client.get(rule_url(policy, "new/")))
    for words in (
        "IF Grant type is",
        "AND User is",
        "AND Scopes requested",
        "THEN Access token lifetime is",
        "Refresh token lifetime is",
        "but will expire if not used every",
    ):
        assert words in body
    assert '<option value="hours" selected>hours</option>' in body  # Okta's defaults: 1 hour, unlimited, 7 days
    assert '<option value="unlimited" selected>unlimited</option>' in body


def test_add_rule_converts_units_to_minutes(console_client, policy, end_user):
    response = console_client.post(
        rule_url(policy, "new/"),
        rule_post(users_mode="some", users=end_user.username, scopes_mode="some", scope_names=["openid", "email"]),
    )
    rule = PolicyRule.objects.get(policy=policy)
    assert response.status_code == 302 and response["Location"].endswith(f"#rule-{rule.id}")
    assert (rule.access_token_lifetime_minutes, rule.refresh_token_lifetime_minutes) == (30, 90 * 1440)
    assert rule.refresh_token_window_minutes == 7 * 1440
    assert rule.users_include == [end_user.uid] and rule.scopes == ["openid", "email"]
    assert rule.grant_types == ["authorization_code", "refresh_token"]
    assert Event.objects.filter(event_type="policy.rule.add").count() == 1
    body = text(console_client.get(response["Location"]))
    assert "30 minutes" in body and "90 days, idle 7 days" in body


def test_edit_rule_shows_its_lifetimes_in_the_largest_exact_unit(console_client, policy):
    rule = make_rule(
        policy,
        "R",
        access_token_lifetime_minutes=90,
        refresh_token_lifetime_minutes=2880,
        refresh_token_window_minutes=120,
    )
    body = text(console_client.get(rule_url(policy, f"{rule.id}/edit/")))
    assert 'name="access_value" value="90"' in body
    assert 'name="refresh_value" value="2"' in body and '<option value="days" selected>days</option>' in body
    assert '<option value="hours" selected>hours</option>' in body  # 120 minutes = 2 hours
    response = console_client.post(rule_url(policy, f"{rule.id}/edit/"), rule_post(refresh_unit="unlimited"))
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.refresh_token_lifetime_minutes == 0 and rule.access_token_lifetime_minutes == 30


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"access_value": "4"}, "access_value", "The access token lifetime must be 5 to 1440 minutes."),
        ({"access_value": "25", "access_unit": "hours"}, "access_value", "must be 5 to 1440 minutes"),
        (
            {"refresh_value": "20", "refresh_unit": "minutes"},
            "refresh_value",
            "The refresh token lifetime must be at least the access token lifetime, or 0 for unlimited.",
        ),
        ({"refresh_value": str(5 * 365 + 1), "refresh_unit": "days"}, "refresh_value", "at most 2628000 minutes"),
        ({"window_value": "9", "window_unit": "minutes"}, "window_value", "must be 10 to 2628000 minutes."),
        ({"window_value": "1826", "window_unit": "days"}, "window_value", "must be 10 to 2628000 minutes."),
        (
            {"refresh_value": "1", "refresh_unit": "days", "window_value": "2", "window_unit": "days"},
            "window_value",
            "The refresh token window must not be longer than its lifetime.",
        ),
    ],
)
def test_each_range_limit_is_shown_beside_its_field(console_client, policy, fields, field, message):
    response = console_client.post(rule_url(policy, "new/"), rule_post(**fields))
    assert response.status_code == 400
    body = text(response)
    assert message in body
    block = body.split(f'name="{field}"')[1].split('<div class="field')[0]
    assert message in block  # beside the number it is about
    assert not PolicyRule.objects.filter(policy=policy).exists()


def test_the_limits_themselves_are_accepted(console_client, policy):
    edges = rule_post(access_value="1440", refresh_value="2628000", refresh_unit="minutes", window_value="10")
    edges.update(window_unit="minutes")
    assert console_client.post(rule_url(policy, "new/"), edges).status_code == 302
    rule = PolicyRule.objects.get(policy=policy)
    assert (rule.access_token_lifetime_minutes, rule.refresh_token_lifetime_minutes) == (1440, 2628000)
    assert rule.refresh_token_window_minutes == 10


def test_every_problem_of_a_rule_is_reported_at_once(console_client, policy):
    response = console_client.post(
        rule_url(policy, "new/"),
        rule_post(
            name="",
            grant_types=[],
            users_mode="some",
            users="nobody-here",
            scopes_mode="some",
            access_value="abc",
            window_value="5",
            window_unit="minutes",
        ),
    )
    assert response.status_code == 400
    body = text(response)
    for message in (
        "The rule name is required.",
        "Grant types needs at least one entry.",
        "&#x27;nobody-here&#x27; is not the id of a user.",
        "Scopes needs at least one entry.",
        "Enter a whole number.",
        "The refresh token window must be 10 to 2628000 minutes.",
    ):
        assert message in body
    assert body.count(" has-error") == 6
    assert not PolicyRule.objects.filter(policy=policy).exists()


def test_refresh_lifetime_needs_a_number_unless_unlimited(console_client, policy):
    response = console_client.post(rule_url(policy, "new/"), rule_post(refresh_value=""))
    assert response.status_code == 400
    assert "Enter a number, or choose unlimited." in text(response)


def test_deactivate_activate_and_delete_a_rule(console_client, policy):
    rule = make_rule(policy, "R")
    assert "next rule" in text(console_client.get(rule_url(policy, f"{rule.id}/deactivate/")))
    console_client.post(rule_url(policy, f"{rule.id}/deactivate/"))
    rule.refresh_from_db()
    assert rule.status == "INACTIVE"
    console_client.post(rule_url(policy, f"{rule.id}/activate/"))
    rule.refresh_from_db()
    assert rule.status == "ACTIVE"
    console_client.post(rule_url(policy, f"{rule.id}/delete/"))
    assert not PolicyRule.objects.filter(pk=rule.pk).exists()
    assert Event.objects.filter(event_type="policy.rule.delete").count() == 1


def test_a_rule_of_another_policy_is_404(console_client, server, policy):
    other = services.create_policy(server, {"name": "Other", "clients_include": ["ALL_CLIENTS"]})
    rule = make_rule(other, "Theirs")
    assert console_client.get(rule_url(policy, f"{rule.id}/edit/")).status_code == 404
    assert console_client.post(rule_url(policy, f"{rule.id}/delete/")).status_code == 404
    assert PolicyRule.objects.filter(pk=rule.pk).exists()


def test_outsiders_cannot_change_rules(client, other_user, policy):
    rule = make_rule(policy, "A")
    make_rule(policy, "B")
    client.force_login(other_user)
    assert client.post(rule_url(policy, "new/"), rule_post()).status_code == 403
    assert client.post(rule_url(policy, f"{rule.id}/move/"), {"direction": "down"}).status_code == 403
    assert client.post(rule_url(policy, f"{rule.id}/delete/")).status_code == 403
    assert rule_names(policy) == ["A", "B"]
