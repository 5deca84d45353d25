"""The refresh-token lifecycle (SPEC §1–3): persistent and rotating tokens, grace, reuse, lifetimes, revocation."""

import datetime as dt
import os

import jwt
import pytest
import time_machine

from core.models import Event
from core.systemlog import grants
from tests.kit.oauth import INVALID_REFRESH, form_post, introspection, refresh, tokens_for
from tests.kit.servers import set_default_lifetimes
from tokens.models import RefreshToken, TokenFamily

# Every behaviour holds on both refresh paths: tokens/lifecycle/postgres.py's SQL (PostgreSQL) and the ORM.
SQL_PATHS = [True, False] if os.environ.get("DATABASE_URL", "").startswith("postgres") else [False]


@pytest.fixture(autouse=True, params=SQL_PATHS, ids=lambda fast: "fast-sql" if fast else "orm")
def refresh_path(request, settings):
    settings.ROTOR_FAST_SQL = request.param


@pytest.fixture
def strict_app(make_app):
    app, _ = make_app(
        label="Strict SPA",
        application_type="browser",
        grant_types=["authorization_code", "refresh_token"],
        rotation_type="ROTATE",
        leeway=0,
    )
    return app


def test_defaults_rotate_for_public_clients_and_static_for_confidential_ones(make_app):
    spa, _ = make_app(label="a", application_type="browser", grant_types=["authorization_code", "refresh_token"])
    web, _ = make_app(label="b", application_type="web", grant_types=["authorization_code", "refresh_token"])
    native, _ = make_app(
        label="c",
        application_type="native",
        grant_types=["authorization_code", "refresh_token"],
        redirect_uris=["com.example.app:/callback"],
    )
    assert (spa.rotation_type, web.rotation_type, native.rotation_type) == ("ROTATE", "STATIC", "ROTATE")
    assert spa.leeway == web.leeway == native.leeway == 30


def test_sign_in_starts_a_family_with_lifetimes_of_the_server(client, rotating_app, end_user, settings):
    tokens = tokens_for(client, rotating_app, end_user, sign_out=False)
    family = TokenFamily.objects.get()
    assert family.user == end_user and family.client == rotating_app and family.server == "org"
    assert family.scopes == ["openid", "profile", "email", "offline_access"]
    assert family.expires_at is not None
    assert abs((family.expires_at - family.created) - dt.timedelta(days=90)) < dt.timedelta(seconds=5)
    assert RefreshToken.objects.get().token_hash != tokens["refresh_token"]  # only a hash is stored


def test_no_refresh_token_without_offline_access(client, rotating_app, end_user):
    tokens = tokens_for(client, rotating_app, end_user, scope="openid profile", sign_out=False)
    assert "refresh_token" not in tokens
    assert not TokenFamily.objects.exists()


def test_static_returns_the_same_refresh_token_each_time(client, static_app, end_user):
    tokens = tokens_for(client, static_app, end_user, secret=static_app.plain_secret, sign_out=False)
    for _ in range(3):
        response = refresh(client, static_app, tokens["refresh_token"], secret=static_app.plain_secret)
        assert response.status_code == 200
        assert response.json()["refresh_token"] == tokens["refresh_token"]
        assert response["Cache-Control"] == "no-store"
    assert RefreshToken.objects.count() == 1


def test_rotate_returns_a_new_token_and_marks_the_old_one_rotated(client, rotating_app, end_user):
    first = tokens_for(client, rotating_app, end_user, sign_out=False)["refresh_token"]
    response = refresh(client, rotating_app, first)
    assert response.status_code == 200
    second = response.json()["refresh_token"]
    assert second != first
    third = refresh(client, rotating_app, second).json()["refresh_token"]
    assert len({first, second, third}) == 3
    assert RefreshToken.objects.filter(rotated_at__isnull=False).count() == 2
    assert TokenFamily.objects.get().status == "ACTIVE"


def test_rotated_token_within_leeway_mints_a_fresh_pair_in_the_same_family(client, rotating_app, end_user):
    first = tokens_for(client, rotating_app, end_user, sign_out=False)["refresh_token"]
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        second = refresh(client, rotating_app, first).json()["refresh_token"]
        clock.shift(20)
        retry = refresh(client, rotating_app, first)
        assert retry.status_code == 200
        third = retry.json()["refresh_token"]
        assert third not in (first, second)
        assert refresh(client, rotating_app, third).status_code == 200
        assert refresh(client, rotating_app, second).status_code == 200  # the sibling still works too
    assert TokenFamily.objects.count() == 1 and TokenFamily.objects.get().status == "ACTIVE"
    # Three tokens share the frozen instant: order them by insertion too.
    assert list(RefreshToken.objects.order_by("created", "pk").values_list("origin", flat=True)) == [
        "issued",
        "rotation",
        "grace",
        "rotation",
        "rotation",
    ]


def test_replay_after_leeway_revokes_the_whole_family(client, rotating_app, end_user):
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        issued = tokens_for(client, rotating_app, end_user, sign_out=False)
        rotated = refresh(client, rotating_app, issued["refresh_token"]).json()
        clock.shift(31)
        replay = refresh(client, rotating_app, issued["refresh_token"])
        assert replay.status_code == 400 and replay.json() == INVALID_REFRESH
        # Every refresh token of the family and every access token issued from it is dead.
        assert refresh(client, rotating_app, rotated["refresh_token"]).json() == INVALID_REFRESH
        for access in (issued["access_token"], rotated["access_token"]):
            assert introspection(client, rotating_app, access) == {"active": False}
        assert introspection(client, rotating_app, rotated["refresh_token"]) == {"active": False}
    family = TokenFamily.objects.get()
    assert (family.status, family.revoked_reason) == ("REVOKED", "reuse_detected")
    event = Event.objects.get(event_type="app.oauth2.token.detect_reuse")
    assert event.family_id == family.public_id and event.user_id == end_user.uid
    assert event.app_id == rotating_app.public_id
    assert event.debug_data["replayedTokenHash"] == RefreshToken.objects.order_by("created")[0].token_hash


def test_leeway_zero_lets_only_the_rotating_request_through(client, strict_app, end_user):
    first = tokens_for(client, strict_app, end_user, sign_out=False)["refresh_token"]
    assert refresh(client, strict_app, first).status_code == 200
    assert refresh(client, strict_app, first).json() == INVALID_REFRESH
    assert TokenFamily.objects.get().status == "REVOKED"


def test_custom_server_records_the_as_form_of_detect_reuse(client, strict_app, end_user):
    first = tokens_for(client, strict_app, end_user, server="default", sign_out=False)["refresh_token"]
    assert refresh(client, strict_app, first, server="default").status_code == 200
    assert refresh(client, strict_app, first, server="default").json() == INVALID_REFRESH
    assert Event.objects.filter(event_type="app.oauth2.as.token.detect_reuse").count() == 1


def test_switching_the_app_between_rotate_and_static_applies_to_the_next_refresh(client, static_app, end_user):
    """A confidential app: a public one may not have STATIC (tests/clients/test_public_clients.py)."""
    from clients.services import update_app

    secret = static_app.plain_secret
    update_app(static_app, {"rotation_type": "ROTATE"})
    first = tokens_for(client, static_app, end_user, secret=secret, sign_out=False)["refresh_token"]
    update_app(static_app, {"rotation_type": "STATIC"})
    assert refresh(client, static_app, first, secret=secret).json()["refresh_token"] == first
    update_app(static_app, {"rotation_type": "ROTATE"})
    assert refresh(client, static_app, first, secret=secret).json()["refresh_token"] != first


def test_absolute_lifetime_is_never_extended_by_rotation(client, rotating_app, end_user):
    set_default_lifetimes(refresh=120, window=100)
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        token = tokens_for(client, rotating_app, end_user, server="default", sign_out=False)["refresh_token"]
        for _ in range(3):
            clock.shift(dt.timedelta(minutes=35))
            response = refresh(client, rotating_app, token, server="default")
            assert response.status_code == 200
            token = response.json()["refresh_token"]
        clock.shift(dt.timedelta(minutes=16))  # 121 minutes after sign-in, 16 after the last use
        assert refresh(client, rotating_app, token, server="default").json() == INVALID_REFRESH


def test_idle_window_restarts_on_each_use(client, static_app, end_user):
    set_default_lifetimes(window=60)
    secret = static_app.plain_secret
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        token = tokens_for(client, static_app, end_user, secret=secret, server="default", sign_out=False)[
            "refresh_token"
        ]
        for _ in range(3):
            clock.shift(dt.timedelta(minutes=50))
            assert refresh(client, static_app, token, secret=secret, server="default").status_code == 200
        clock.shift(dt.timedelta(minutes=61))
        assert refresh(client, static_app, token, secret=secret, server="default").json() == INVALID_REFRESH


def test_family_keeps_the_lifetimes_it_was_issued_under(client, static_app, end_user):
    set_default_lifetimes(window=60)
    secret = static_app.plain_secret
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        token = tokens_for(client, static_app, end_user, secret=secret, server="default", sign_out=False)[
            "refresh_token"
        ]
        set_default_lifetimes(window=10080)
        clock.shift(dt.timedelta(minutes=61))
        assert refresh(client, static_app, token, secret=secret, server="default").json() == INVALID_REFRESH


def test_another_clients_token_is_invalid_grant(client, rotating_app, static_app, end_user):
    token = tokens_for(client, rotating_app, end_user, sign_out=False)["refresh_token"]
    response = refresh(client, static_app, token, secret=static_app.plain_secret)
    assert response.status_code == 400 and response.json() == INVALID_REFRESH
    assert TokenFamily.objects.get().status == "ACTIVE"  # a foreign client cannot revoke it either


def test_token_of_the_other_server_is_invalid_grant(client, rotating_app, end_user):
    token = tokens_for(client, rotating_app, end_user, server="org", sign_out=False)["refresh_token"]
    assert refresh(client, rotating_app, token, server="default").json() == INVALID_REFRESH


@pytest.mark.parametrize("bad", ["", "x" * 10_000, "é∂ƒ©˙∆˚¬", "abc\x00def", "A" * 43])
def test_bad_refresh_tokens_get_the_spec_error_never_a_500(client, rotating_app, bad):
    response = refresh(client, rotating_app, bad)
    assert response.status_code == 400
    if bad == "":
        assert response.json()["error"] == "invalid_request"
    else:
        assert response.json() == INVALID_REFRESH


def test_revoked_family_token_gets_the_same_body(client, rotating_app, end_user):
    from tokens.lifecycle.revocation import revoke_family

    token = tokens_for(client, rotating_app, end_user, sign_out=False)["refresh_token"]
    revoke_family(TokenFamily.objects.get(), reason="test")
    assert refresh(client, rotating_app, token).json() == INVALID_REFRESH


def test_scope_may_narrow_for_one_response_only(client, rotating_app, end_user):
    token = tokens_for(client, rotating_app, end_user, sign_out=False)["refresh_token"]
    narrow = refresh(client, rotating_app, token, scope="openid offline_access")
    assert narrow.status_code == 200
    body = narrow.json()
    assert body["scope"] == "openid offline_access"
    assert jwt.decode(body["access_token"], options={"verify_signature": False})["scp"] == ["openid", "offline_access"]
    full = refresh(client, rotating_app, body["refresh_token"])
    assert set(full.json()["scope"].split()) == {"openid", "profile", "email", "offline_access"}


def test_wider_scope_is_access_denied_with_the_denied_scopes(client, rotating_app, end_user):
    token = tokens_for(client, rotating_app, end_user, scope="openid offline_access", sign_out=False)["refresh_token"]
    response = refresh(client, rotating_app, token, scope="openid email phone")
    assert response.status_code == 400
    assert response.json()["error"] == "access_denied"
    assert response.json()["error_description"].endswith("Denied scopes: [email, phone]")
    assert RefreshToken.objects.filter(rotated_at__isnull=False).count() == 0  # nothing consumed


def test_id_token_only_with_openid_and_with_the_original_auth_time(client, rotating_app, end_user):
    issued = tokens_for(client, rotating_app, end_user, sign_out=False)
    auth_time = jwt.decode(issued["id_token"], options={"verify_signature": False})["auth_time"]
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)):
        body = refresh(client, rotating_app, issued["refresh_token"]).json()
    claims = jwt.decode(body["id_token"], options={"verify_signature": False})
    assert claims["auth_time"] == auth_time and claims["iat"] > auth_time
    no_id = refresh(client, rotating_app, body["refresh_token"], scope="offline_access").json()
    assert "id_token" not in no_id


def test_response_has_no_refresh_token_expires_in(client, rotating_app, end_user):
    token = tokens_for(client, rotating_app, end_user, sign_out=False)["refresh_token"]
    body = refresh(client, rotating_app, token).json()
    assert set(body) == {"token_type", "expires_in", "access_token", "scope", "refresh_token", "id_token"}


def test_revoking_a_refresh_token_revokes_its_family_and_access_tokens(client, rotating_app, end_user):
    issued = tokens_for(client, rotating_app, end_user, sign_out=False)
    response = form_post(
        client, "/oauth2/v1/revoke", {"token": issued["refresh_token"], "client_id": rotating_app.client_id}
    )
    assert response.status_code == 200
    assert introspection(client, rotating_app, issued["access_token"]) == {"active": False}
    assert refresh(client, rotating_app, issued["refresh_token"]).json() == INVALID_REFRESH
    assert Event.objects.filter(event_type="app.oauth2.token.revoke").count() == 1


def test_revoking_an_access_token_leaves_the_refresh_token_alone(client, rotating_app, end_user):
    issued = tokens_for(client, rotating_app, end_user, sign_out=False)
    form_post(client, "/oauth2/v1/revoke", {"token": issued["access_token"], "client_id": rotating_app.client_id})
    assert introspection(client, rotating_app, issued["access_token"]) == {"active": False}
    refreshed = refresh(client, rotating_app, issued["refresh_token"])
    assert refreshed.status_code == 200
    assert introspection(client, rotating_app, refreshed.json()["access_token"])["active"] is True


def test_deactivating_the_app_revokes_its_families(client, rotating_app, end_user):
    from clients.services import activate_app, deactivate_app

    issued = tokens_for(client, rotating_app, end_user, sign_out=False)
    deactivate_app(rotating_app)
    activate_app(rotating_app)
    assert refresh(client, rotating_app, issued["refresh_token"]).json() == INVALID_REFRESH
    assert introspection(client, rotating_app, issued["access_token"]) == {"active": False}


def test_deactivating_the_user_revokes_their_families(client, rotating_app, end_user):
    from accounts.services import activate_user, deactivate_user

    issued = tokens_for(client, rotating_app, end_user, sign_out=False)
    deactivate_user(end_user)
    activate_user(end_user)
    assert refresh(client, rotating_app, issued["refresh_token"]).json() == INVALID_REFRESH
    assert TokenFamily.objects.get().revoked_reason == "user_deactivated"


def test_deleting_the_user_or_app_leaves_no_usable_token(client, rotating_app, end_user):
    from accounts.services import deactivate_user, delete_user

    issued = tokens_for(client, rotating_app, end_user, sign_out=False)
    deactivate_user(end_user)
    delete_user(end_user)
    assert not TokenFamily.objects.exists()
    assert refresh(client, rotating_app, issued["refresh_token"]).json() == INVALID_REFRESH


def test_events_never_hold_a_token(client, rotating_app, end_user):
    issued = tokens_for(client, rotating_app, end_user, sign_out=False)
    again = refresh(client, rotating_app, issued["refresh_token"]).json()
    refresh(client, rotating_app, issued["refresh_token"])  # within leeway
    text = " ".join(str(e.__dict__) for e in Event.objects.all())
    for secret in (issued["refresh_token"], again["refresh_token"], issued["access_token"], again["access_token"]):
        assert secret not in text
    kinds = {e.event_type for e in grants.expand_all(Event.objects.all())}
    assert {
        "app.oauth2.token.grant.access_token",
        "app.oauth2.token.grant.id_token",
        "app.oauth2.token.grant.refresh_token",
    } <= kinds
