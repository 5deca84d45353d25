"""tokens/servers/services.py and validation.py: what every writer (API, console) goes through."""

import pytest
from django.utils import timezone

from core.systemlog.models import Event
from tokens.models import SigningKey, TokenFamily
from tokens.servers import services
from tokens.servers.models import AuthorizationServer, Policy, PolicyRule, Scope
from tokens.servers.validation import ServerValidationError, validate_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def server():
    return services.create_server({"name": "Payments", "description": "Payments API", "audiences": ["api://pay"]})


@pytest.fixture
def policy(server):
    return services.create_policy(server, {"name": "All apps", "clients_include": ["ALL_CLIENTS"]})


def rule_data(**overrides):
    return {"name": "Rule", "grant_types": ["authorization_code"], "scopes": ["*"]} | overrides


def errors_of(call) -> dict:
    with pytest.raises(ServerValidationError) as info:
        call()
    return info.value.errors


def test_a_new_server_has_the_system_scopes_keys_and_an_event(server):
    assert server.id.startswith("aus") and server.status == "ACTIVE"
    names = set(Scope.objects.filter(server=server, system=True).values_list("name", flat=True))
    assert names == {"openid", "profile", "email", "address", "phone", "offline_access"}
    assert set(SigningKey.objects.filter(server=server.id).values_list("status", flat=True)) == {"ACTIVE", "NEXT"}
    event = Event.objects.get(event_type="oauth2.as.created")
    assert event.targets[0] == {
        "id": server.id,
        "type": "AuthorizationServer",
        "alternateId": server.id,
        "displayName": "Payments",
    }


def test_server_needs_a_name_and_one_audience():
    errors = errors_of(lambda: services.create_server({"name": " ", "audiences": ["a", "b"]}))
    assert set(errors) == {"name", "audiences"}
    assert not AuthorizationServer.objects.exclude(id="default").exists()


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("access_token_lifetime_minutes", 4, False),
        ("access_token_lifetime_minutes", 5, True),
        ("access_token_lifetime_minutes", 1440, True),
        ("access_token_lifetime_minutes", 1441, False),
        ("access_token_lifetime_minutes", True, False),
        ("refresh_token_lifetime_minutes", 0, True),
        ("refresh_token_lifetime_minutes", 59, False),
        ("refresh_token_lifetime_minutes", 10080, True),
        ("refresh_token_lifetime_minutes", 2_628_000, True),
        ("refresh_token_lifetime_minutes", 2_628_001, False),
        ("refresh_token_lifetime_minutes", -1, False),
        ("refresh_token_window_minutes", 9, False),
        ("refresh_token_window_minutes", 10, True),
        ("refresh_token_window_minutes", 2_628_000, True),
        ("refresh_token_window_minutes", 2_628_001, False),
    ],
)
def test_rule_lifetime_limits(policy, field, value, ok):
    data = rule_data(**{field: value})
    if ok:
        assert validate_rule(policy, data)[field] == value
    else:
        assert list(errors_of(lambda: validate_rule(policy, data))) == [field]


def test_the_window_is_at_most_the_refresh_lifetime_when_that_is_set(policy):
    data = rule_data(refresh_token_lifetime_minutes=120, refresh_token_window_minutes=121)
    assert list(errors_of(lambda: validate_rule(policy, data))) == ["refresh_token_window_minutes"]
    data = rule_data(refresh_token_lifetime_minutes=120, refresh_token_window_minutes=120)
    assert validate_rule(policy, data)["refresh_token_window_minutes"] == 120


def test_rule_defaults_are_okta_s(policy):
    rule = services.create_rule(policy, rule_data())
    assert (rule.access_token_lifetime_minutes, rule.refresh_token_lifetime_minutes) == (60, 0)
    assert rule.refresh_token_window_minutes == 10080
    assert rule.groups_include == ["EVERYONE"]


def test_every_write_moves_the_server_s_last_updated(server, policy):
    stamps = [AuthorizationServer.objects.get(pk=server.pk).last_updated]

    def moved():
        stamps.append(AuthorizationServer.objects.get(pk=server.pk).last_updated)
        return stamps[-1] > stamps[-2]

    scope = services.create_scope(server, {"name": "pay:read"})
    assert moved()
    services.update_scope(scope, {"description": "Read payments"})
    assert moved()
    claim = services.create_claim(server, {"name": "tier", "claim_type": "RESOURCE", "value": '"gold"'})
    assert moved()
    services.update_claim(claim, {"value": "user.email"})
    assert moved()
    rule = services.create_rule(policy, rule_data())
    assert moved()
    services.deactivate_rule(rule)
    assert moved()
    services.deactivate_policy(policy)
    assert moved()
    services.delete_rule(rule)
    assert moved()
    services.delete_claim(claim)
    assert moved()
    services.delete_scope(scope)
    assert moved()


def test_priorities_stay_one_to_n_and_moves_shift_the_others(server):
    a, b, c = (services.create_policy(server, {"name": n, "clients_include": ["ALL_CLIENTS"]}) for n in "abc")
    assert [p.name for p in Policy.objects.filter(server=server)] == ["a", "b", "c"]
    services.reorder_policy(c, 1)
    assert [(p.name, p.priority) for p in Policy.objects.filter(server=server)] == [("c", 1), ("a", 2), ("b", 3)]
    services.create_policy(server, {"name": "d", "clients_include": ["ALL_CLIENTS"], "priority": 2})
    assert [p.name for p in Policy.objects.filter(server=server)] == ["c", "d", "a", "b"]
    services.delete_policy(Policy.objects.get(server=server, name="d"))
    assert [(p.name, p.priority) for p in Policy.objects.filter(server=server)] == [("c", 1), ("a", 2), ("b", 3)]
    services.reorder_policy(Policy.objects.get(server=server, name="c"), 99)
    assert [p.name for p in Policy.objects.filter(server=server)] == ["a", "b", "c"]


def test_rules_move_within_their_policy(policy):
    first = services.create_rule(policy, rule_data(name="first"))
    services.create_rule(policy, rule_data(name="second"))
    services.reorder_rule(first, 2)
    assert [r.name for r in PolicyRule.objects.filter(policy=policy)] == ["second", "first"]


def test_system_scopes_and_default_cannot_be_deleted(server):
    openid = Scope.objects.get(server=server, name="openid")
    assert "name" in errors_of(lambda: services.delete_scope(openid))
    assert "name" in errors_of(lambda: services.update_scope(openid, {"name": "renamed"}))
    default = AuthorizationServer.objects.get(id="default")
    services.deactivate_server(default)
    assert "id" in errors_of(lambda: services.delete_server(default))
    assert Scope.objects.filter(pk=openid.pk).exists()


def test_an_active_server_is_not_deleted(server):
    assert "status" in errors_of(lambda: services.delete_server(server))
    services.deactivate_server(server)
    services.delete_server(server)
    assert not AuthorizationServer.objects.filter(pk=server.pk).exists()
    assert not SigningKey.objects.filter(server=server.id).exists()
    assert Event.objects.filter(event_type="oauth2.as.deleted").count() == 1


def test_deactivation_revokes_the_server_s_families_only(server, confidential_app, end_user):
    from tokens.lifecycle.families import start_family
    from tokens.servers.registry import get_server

    mine = [
        TokenFamily.objects.create(
            client=confidential_app,
            user=end_user,
            server=server.id,
            scopes=["openid", "offline_access"],
            auth_time=timezone.now(),
            idle_minutes=10080,
        )
        for _ in range(3)
    ]
    other, _ = start_family(
        client=confidential_app,
        user=end_user,
        server=get_server("default"),
        scopes=["openid", "offline_access"],
        auth_time=timezone.now(),
        grant_type="authorization_code",
    )
    services.deactivate_server(server)
    assert {f.status for f in TokenFamily.objects.filter(pk__in=[f.pk for f in mine])} == {"REVOKED"}
    assert TokenFamily.objects.get(pk=other.pk).status == "ACTIVE"
    revoked = Event.objects.filter(event_type="app.oauth2.as.token.revoke")
    assert sorted(revoked.values_list("family_id", flat=True)) == sorted(f.public_id for f in mine)
    assert Event.objects.get(event_type="oauth2.as.deactivated").debug_data == {"revokedFamilies": 3}


def test_scope_names_are_unique_per_server_and_tokens(server):
    services.create_scope(server, {"name": "pay:read"})
    assert "name" in errors_of(lambda: services.create_scope(server, {"name": "pay:read"}))
    assert "name" in errors_of(lambda: services.create_scope(server, {"name": "has space"}))
    assert "name" in errors_of(lambda: services.create_scope(server, {"name": "openid"}))
    other = services.create_server({"name": "Other", "audiences": ["api://other"]})
    assert services.create_scope(other, {"name": "pay:read"}).server == other


@pytest.mark.parametrize("name", ["sub", "iss", "aud", "exp", "iat", "jti", "cid", "uid", "scp", "cnf"])
def test_reserved_claim_names_are_refused(server, name):
    errors = errors_of(lambda: services.create_claim(server, {"name": name, "claim_type": "RESOURCE", "value": '"x"'}))
    assert list(errors) == ["name"]


@pytest.mark.parametrize(
    "value", ["user", "user.", "gold", "user.shoeSize", 'user.email + "x"', "String.len(user.email)"]
)
def test_claim_values_are_an_attribute_or_a_quoted_literal(server, value):
    errors = errors_of(lambda: services.create_claim(server, {"name": "c", "claim_type": "RESOURCE", "value": value}))
    assert list(errors) == ["value"]
    assert "user." in errors["value"][0]


def test_rule_conditions_name_what_exists(policy):
    errors = errors_of(
        lambda: validate_rule(
            policy,
            rule_data(grant_types=["password"], scopes=["nope"], users_include=["00unobody"], groups_include=["x"]),
        )
    )
    assert list(errors) == ["grant_types", "scopes", "users_include", "groups_include"]
