"""The built-in rows (the `default` server with its scopes, policy and rule; the Everyone group) exist after
`migrate` and after `flush`: a deployment that flushes, or a user's own test suite, keeps them."""

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.builtin import ensure_everyone
from accounts.models import Group
from tokens.servers.builtin import ensure_default_server
from tokens.servers.models import AuthorizationServer, PolicyRule, Scope


def _builtin_rows() -> dict:
    return {
        "server": list(AuthorizationServer.objects.values_list("id", "name", "audiences")),
        "scopes": sorted(Scope.objects.filter(server_id="default").values_list("name", "system", "default")),
        "rule": list(
            PolicyRule.objects.filter(policy__server_id="default").values_list(
                "policy__name", "name", "grant_types", "groups_include", "access_token_lifetime_minutes"
            )
        ),
        "everyone": list(Group.objects.values_list("type", "name")),
    }


EXPECTED = {
    "server": [("default", "default", ["api://default"])],
    "scopes": sorted(
        [(name, True, False) for name in ("openid", "profile", "email", "address", "phone", "offline_access")]
        + [("api:read", False, True), ("api:write", False, True)]
    ),
    "rule": [
        (
            "Default Policy",
            "Default Policy Rule",
            [
                "authorization_code",
                "refresh_token",
                "client_credentials",
                "urn:ietf:params:oauth:grant-type:device_code",
            ],
            ["EVERYONE"],
            60,
        )
    ],
    "everyone": [("BUILT_IN", "Everyone")],
}


@pytest.mark.django_db
def test_migrate_leaves_the_builtin_rows():
    assert _builtin_rows() == EXPECTED


@pytest.mark.django_db(transaction=True)
def test_flush_brings_the_builtin_rows_back():
    AuthorizationServer.objects.create(name="custom", audiences=["api://custom"])
    call_command("flush", interactive=False, verbosity=0)
    assert _builtin_rows() == EXPECTED
    assert Group.everyone().name == "Everyone"


@pytest.mark.django_db
def test_present_rows_cost_one_query_each_and_are_left_alone():
    rule = PolicyRule.objects.get(name="Default Policy Rule")
    rule.access_token_lifetime_minutes = 15
    rule.save()
    with CaptureQueriesContext(connection) as queries:
        ensure_default_server(apps)
        ensure_everyone(apps)
    assert len(queries) == 2
    assert PolicyRule.objects.get(pk=rule.pk).access_token_lifetime_minutes == 15


@pytest.mark.django_db
def test_the_receivers_skip_a_state_without_the_models():
    """`migrate tokens zero` hands post_migrate a state without the servers: nothing to create, no error."""
    from django.apps.registry import Apps

    empty = Apps(installed_apps=[])
    ensure_default_server(empty)
    ensure_everyone(empty)
