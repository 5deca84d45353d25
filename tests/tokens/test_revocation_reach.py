"""Revocation reaches every access token, not only those of a refresh-token family.

A sign-in without `offline_access` has no family, so its access token used to stay active at
/introspect until it expired, whatever happened to its user or app. Now a deactivation, a deletion
and every "revoke all" (per user, per app, per user and app) refuse the access tokens issued
before it (tokens/lifecycle/revocation.py), and the check stays one query.
"""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.services import create_user, deactivate_user, delete_user
from clients.models import Application
from clients.services import activate_app, create_app, deactivate_app, delete_app
from tests.kit.oauth import introspect, introspection, token_request, tokens_for
from tests.kit.servers import set_default_custom_scopes
from tokens.lifecycle.revocation import revoke_families
from tokens.models import TokenFamily
from tokens.oauth import minting
from tokens.servers.registry import get_server

NO_FAMILY = "openid profile email"  # no offline_access: no refresh token, no family
INACTIVE = {"active": False}


def access_token(client, app, user) -> str:
    """An access token of `user` at the confidential `app`, from a sign-in without a family."""
    body = tokens_for(client, app, user, secret=app.plain_secret, scope=NO_FAMILY)
    assert "refresh_token" not in body
    return body["access_token"]


def seen(client, app, token, server="org") -> dict:
    return introspection(client, app, token, app.plain_secret, server=server)


def userinfo_status(client, token) -> int:
    return client.get("/oauth2/v1/userinfo", HTTP_AUTHORIZATION=f"Bearer {token}").status_code


def later(seconds: int = 2):
    """A clock `seconds` ahead: tokens minted there were issued after a revocation made now."""
    return time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds), tick=False)


@pytest.fixture
def other_app(make_app):
    app, secret = make_app(label="Other web app", grant_types=["authorization_code", "refresh_token"])
    app.plain_secret = secret
    return app


@pytest.fixture
def token(client, confidential_app, end_user):
    token = access_token(client, confidential_app, end_user)
    assert not TokenFamily.objects.exists()
    assert seen(client, confidential_app, token)["active"] is True
    assert userinfo_status(client, token) == 200
    return token


# The user --------------------------------------------------------------------------------------------


def test_deactivating_the_user_ends_their_access_tokens(client, confidential_app, end_user, token):
    deactivate_user(end_user)

    assert seen(client, confidential_app, token) == INACTIVE
    assert userinfo_status(client, token) == 401


def test_reactivating_the_user_does_not_bring_old_tokens_back(client, confidential_app, end_user, token):
    from accounts.services import activate_user

    deactivate_user(end_user)
    activate_user(end_user)

    assert seen(client, confidential_app, token) == INACTIVE
    with later():
        fresh = access_token(client, confidential_app, end_user)
        assert seen(client, confidential_app, fresh)["active"] is True


def test_deleting_the_user_ends_their_access_tokens(client, confidential_app, end_user, token):
    deactivate_user(end_user)
    delete_user(end_user)

    assert seen(client, confidential_app, token) == INACTIVE
    assert userinfo_status(client, token) == 401


def test_an_inactive_user_has_no_live_tokens_whatever_the_valid_after_moment(client, confidential_app, end_user, token):
    User.objects.filter(pk=end_user.pk).update(is_active=False)

    assert seen(client, confidential_app, token) == INACTIVE
    assert userinfo_status(client, token) == 401


def test_a_user_gone_without_deactivation_has_no_live_tokens(client, confidential_app, end_user, token):
    """Even a row removed behind the services' back (no valid-after moment was set) refuses its tokens."""
    User.objects.filter(pk=end_user.pk).delete()

    assert seen(client, confidential_app, token) == INACTIVE
    assert userinfo_status(client, token) == 401


def test_a_recreated_login_does_not_inherit_the_old_tokens(client, confidential_app, end_user, token):
    """The token names its user by `uid`, which is never reused; the username is."""
    deactivate_user(end_user)
    delete_user(end_user)
    with later():
        newcomer = create_user(username=end_user.username, email=end_user.email, password="another password 9")
        assert seen(client, confidential_app, token) == INACTIVE
        assert userinfo_status(client, token) == 401
        fresh = access_token(client, confidential_app, newcomer)
        assert seen(client, confidential_app, fresh)["uid"] == newcomer.uid


def test_the_token_is_checked_by_uid_not_by_username(client, confidential_app, end_user, token):
    """Renaming the user changes nothing; a token whose uid names nobody is refused."""
    User.objects.filter(pk=end_user.pk).update(username="renamed@example.com")
    assert seen(client, confidential_app, token)["active"] is True
    User.objects.filter(pk=end_user.pk).update(uid="00u" + "x" * 17)
    assert seen(client, confidential_app, token) == INACTIVE


def test_revoke_all_for_a_user_reaches_every_app(client, confidential_app, other_app, end_user, other_user, token):
    elsewhere = access_token(client, other_app, end_user)
    someone_else = access_token(client, confidential_app, other_user)

    revoke_families(user=end_user, reason="test")

    assert seen(client, confidential_app, token) == INACTIVE
    assert seen(client, other_app, elsewhere) == INACTIVE
    assert seen(client, confidential_app, someone_else)["active"] is True
    assert userinfo_status(client, token) == 401


# The app ---------------------------------------------------------------------------------------------


def test_revoke_all_for_an_app_through_the_api(client, api_client, confidential_app, other_app, end_user, token):
    elsewhere = access_token(client, other_app, end_user)

    assert api_client.delete(f"/api/v1/apps/{confidential_app.public_id}/tokens").status_code == 204

    assert seen(client, confidential_app, token) == INACTIVE
    assert userinfo_status(client, token) == 401
    assert seen(client, other_app, elsewhere)["active"] is True
    with later():
        fresh = access_token(client, confidential_app, end_user)
        assert seen(client, confidential_app, fresh)["active"] is True


def test_revoke_all_for_an_app_in_the_console(client, owner, confidential_app, token):
    client.force_login(owner)
    response = client.post(f"/console/apps/{confidential_app.public_id}/tokens/revoke/")
    assert response.status_code == 302
    client.logout()

    assert seen(client, confidential_app, token) == INACTIVE
    assert userinfo_status(client, token) == 401


def test_deactivating_the_app_ends_its_users_access_tokens(client, confidential_app, end_user, token):
    deactivate_app(confidential_app)
    assert userinfo_status(client, token) == 401

    activate_app(confidential_app)
    assert seen(client, confidential_app, token) == INACTIVE
    assert userinfo_status(client, token) == 401


def test_an_inactive_app_has_no_live_tokens_whatever_the_valid_after_moment(client, confidential_app, token):
    Application.objects.filter(pk=confidential_app.pk).update(status=Application.Status.INACTIVE)

    assert userinfo_status(client, token) == 401  # introspection: the inactive app cannot authenticate


def test_revoke_all_for_a_user_at_an_app(client, api_client, confidential_app, other_app, end_user, other_user, token):
    elsewhere = access_token(client, other_app, end_user)
    someone_else = access_token(client, confidential_app, other_user)

    url = f"/api/v1/users/{end_user.uid}/clients/{confidential_app.client_id}/tokens"
    assert api_client.delete(url).status_code == 204

    assert seen(client, confidential_app, token) == INACTIVE
    assert userinfo_status(client, token) == 401
    assert seen(client, other_app, elsewhere)["active"] is True
    assert seen(client, confidential_app, someone_else)["active"] is True
    with later():
        fresh = access_token(client, confidential_app, end_user)
        assert seen(client, confidential_app, fresh)["active"] is True


def test_tokens_with_a_family_are_refused_the_same_way(client, confidential_app, end_user):
    """The family is revoked too, but the valid-after check alone refuses its access token."""
    body = tokens_for(client, confidential_app, end_user, secret=confidential_app.plain_secret)
    revoke_families(client=confidential_app, user=end_user, reason="test")
    TokenFamily.objects.update(status=TokenFamily.Status.ACTIVE)

    assert seen(client, confidential_app, body["access_token"]) == INACTIVE


# Client credentials ----------------------------------------------------------------------------------


@pytest.fixture
def service(db):
    app, secret = create_app(
        {"label": "Nightly export", "application_type": "service", "grant_types": ["client_credentials"]}
    )
    app.plain_secret = secret
    return app


def cc_token(client, app) -> str:
    data = {"grant_type": "client_credentials"}
    response = token_request(client, data, app=app, secret=app.plain_secret, server="default")
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


@pytest.fixture
def custom_scope(db):
    set_default_custom_scopes(["exports:write"], default=True)


def test_client_credentials_tokens_end_with_the_app(client, service, custom_scope):
    token = cc_token(client, service)
    assert seen(client, service, token, "default")["active"] is True

    deactivate_app(service)
    activate_app(service)

    assert seen(client, service, token, "default") == INACTIVE
    with later():
        assert seen(client, service, cc_token(client, service), "default")["active"] is True


def test_client_credentials_tokens_end_with_revoke_all(client, api_client, service, custom_scope):
    token = cc_token(client, service)

    assert api_client.delete(f"/api/v1/apps/{service.public_id}/tokens").status_code == 204

    assert seen(client, service, token, "default") == INACTIVE


def test_a_reused_client_id_inherits_no_tokens(client, service, custom_scope):
    """A deleted app's client_id may be registered again; its tokens do not count for the newcomer."""
    token = cc_token(client, service)
    deactivate_app(service)
    delete_app(service)
    with later():
        newcomer, secret = create_app(
            {
                "label": "Nightly export again",
                "application_type": "service",
                "grant_types": ["client_credentials"],
                "client_id": service.client_id,
            }
        )
        newcomer.plain_secret = secret
        assert seen(client, newcomer, token, "default") == INACTIVE
        assert seen(client, newcomer, cc_token(client, newcomer), "default")["active"] is True


# One query -------------------------------------------------------------------------------------------


def test_checking_an_access_token_is_one_query(client, confidential_app, end_user):
    body = tokens_for(client, confidential_app, end_user, secret=confidential_app.plain_secret)
    server = get_server("org")
    minting.access_claims(server, body["access_token"])  # the signing key is cached, as on a warm worker

    with CaptureQueriesContext(connection) as ctx:
        assert minting.live_access_claims(server, body["access_token"]) is not None
    assert len(ctx.captured_queries) == 1, "\n".join(q["sql"] for q in ctx.captured_queries)

    with CaptureQueriesContext(connection) as ctx:
        response = introspect(client, confidential_app, body["access_token"], confidential_app.plain_secret)
    assert response.json()["active"] is True
    statements = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 2, "\n".join(statements)  # the client, then the token
