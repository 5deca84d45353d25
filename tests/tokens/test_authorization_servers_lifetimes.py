"""Token lifetimes come from the access-policy rule that matched at sign-in, and the family keeps them
(issue 14, SPEC §4): later rule edits change no existing family, and the access tokens minted on a
refresh live as long as the family was granted. Run on both refresh paths (tokens/lifecycle/paths.py)."""

import datetime as dt
import os

import pytest
import time_machine

from tests.kit.oauth import INVALID_REFRESH, claims, refresh, token_request, tokens_for
from tests.kit.servers import add_policy, add_rule, make_server, set_default_lifetimes
from tokens.models import TokenFamily

SQL_PATHS = [True, False] if os.environ.get("DATABASE_URL", "").startswith("postgres") else [False]


@pytest.fixture(autouse=True, params=SQL_PATHS, ids=lambda fast: "fast-sql" if fast else "orm")
def refresh_path(request, settings):
    settings.ROTOR_FAST_SQL = request.param


@pytest.fixture
def server(db):
    return make_server(scopes=["orders:read"])


@pytest.fixture
def rule(server):
    return add_rule(
        add_policy(server),
        "Lifetimes",
        access_token_lifetime_minutes=15,
        refresh_token_lifetime_minutes=600,
        refresh_token_window_minutes=120,
    )


def _lifetime(token: str) -> int:
    body = claims(token)
    return body["exp"] - body["iat"]


def test_the_access_token_lives_as_long_as_the_rule_says(client, server, rule, static_app, end_user):
    secret = static_app.plain_secret
    tokens = tokens_for(client, static_app, end_user, secret=secret, server=server.id)
    assert _lifetime(tokens["access_token"]) == 15 * 60 and tokens["expires_in"] == 15 * 60
    assert _lifetime(tokens["id_token"]) == 60 * 60  # Okta's ID tokens live an hour whatever the rule
    family = TokenFamily.objects.get()
    assert (family.access_minutes, family.idle_minutes) == (15, 120)
    assert family.expires_at - family.created == pytest.approx(dt.timedelta(minutes=600), abs=dt.timedelta(seconds=5))
    refreshed = refresh(client, static_app, tokens["refresh_token"], secret=secret, server=server.id).json()
    assert _lifetime(refreshed["access_token"]) == 15 * 60


def test_client_credentials_tokens_live_as_long_as_the_rule_says(client, server, make_app):
    add_rule(add_policy(server), "Machines", grants=["client_credentials"], access_token_lifetime_minutes=5)
    app, secret = make_app(label="svc", application_type="service", grant_types=["client_credentials"])
    response = token_request(
        client, {"grant_type": "client_credentials", "scope": "orders:read"}, server=server.id, app=app, secret=secret
    )
    assert response.status_code == 200, response.content
    assert _lifetime(response.json()["access_token"]) == 5 * 60 and response.json()["expires_in"] == 300


def test_lifetimes_are_taken_at_sign_in_and_kept_after_the_rule_changes(client, server, rule, static_app, end_user):
    secret = static_app.plain_secret
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        token = tokens_for(client, static_app, end_user, secret=secret, server=server.id)["refresh_token"]
        rule.access_token_lifetime_minutes = 60
        rule.refresh_token_window_minutes = 10080
        rule.refresh_token_lifetime_minutes = 0
        rule.save()
        refreshed = refresh(client, static_app, token, secret=secret, server=server.id).json()
        assert _lifetime(refreshed["access_token"]) == 15 * 60  # the family's, not the edited rule's
        clock.shift(dt.timedelta(minutes=121))  # the family's 120-minute window, not the new 7 days
        assert refresh(client, static_app, token, secret=secret, server=server.id).json() == INVALID_REFRESH
    family = TokenFamily.objects.get()
    assert (family.access_minutes, family.idle_minutes) == (15, 120)
    # A new sign-in gets the edited rule.
    fresh = tokens_for(client, static_app, end_user, secret=secret, server=server.id)
    assert _lifetime(fresh["access_token"]) == 60 * 60


@pytest.mark.parametrize("rotation", ["STATIC", "ROTATE"])
def test_a_family_dies_exactly_at_its_idle_window(client, server, rule, make_app, end_user, rotation):
    app, secret = make_app(
        label="idle",
        application_type="web",
        grant_types=["authorization_code", "refresh_token"],
        rotation_type=rotation,
    )
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        token = tokens_for(client, app, end_user, secret=secret, server=server.id)["refresh_token"]
        clock.shift(dt.timedelta(minutes=120) - dt.timedelta(seconds=1))
        response = refresh(client, app, token, secret=secret, server=server.id)
        assert response.status_code == 200, response.content
        token = response.json()["refresh_token"]
        clock.shift(dt.timedelta(minutes=120))  # exactly the window after that use
        assert refresh(client, app, token, secret=secret, server=server.id).json() == INVALID_REFRESH


@pytest.mark.parametrize("rotation", ["STATIC", "ROTATE"])
def test_a_family_dies_exactly_at_its_absolute_lifetime(client, server, rule, make_app, end_user, rotation):
    app, secret = make_app(
        label="abs", application_type="web", grant_types=["authorization_code", "refresh_token"], rotation_type=rotation
    )
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        token = tokens_for(client, app, end_user, secret=secret, server=server.id)["refresh_token"]
        for _ in range(5):  # used every 100 minutes: the 120-minute window never closes
            clock.shift(dt.timedelta(minutes=100))
            response = refresh(client, app, token, secret=secret, server=server.id)
            assert response.status_code == 200, response.content
            token = response.json()["refresh_token"]
        clock.shift(dt.timedelta(minutes=100) - dt.timedelta(seconds=1))  # 1 s before the 600 minutes
        response = refresh(client, app, token, secret=secret, server=server.id)
        assert response.status_code == 200, response.content
        token = response.json()["refresh_token"]
        clock.shift(dt.timedelta(seconds=1))  # exactly 600 minutes after the sign-in
        assert refresh(client, app, token, secret=secret, server=server.id).json() == INVALID_REFRESH


def test_the_default_server_takes_its_lifetimes_from_the_default_policy_rule(client, static_app, end_user):
    set_default_lifetimes(access=30, refresh=0, window=90)
    tokens = tokens_for(client, static_app, end_user, secret=static_app.plain_secret, server="default")
    assert _lifetime(tokens["access_token"]) == 30 * 60
    family = TokenFamily.objects.get()
    assert family.expires_at is None and family.idle_minutes == 90


def test_the_org_server_keeps_its_fixed_lifetimes(client, static_app, end_user):
    set_default_lifetimes(access=5, refresh=100, window=10)  # rules are the custom servers' only
    tokens = tokens_for(client, static_app, end_user, secret=static_app.plain_secret)
    assert _lifetime(tokens["access_token"]) == 60 * 60
    family = TokenFamily.objects.get()
    assert family.expires_at - family.created == pytest.approx(dt.timedelta(days=90), abs=dt.timedelta(seconds=5))
