"""Per-user and per-app token management: a "token" is a refresh-token family, never a token value."""

import pytest
from django.utils import timezone

from accounts.services import create_api_token
from core.models import Event
from tests.kit.api import assert_error
from tests.kit.oauth import refresh
from tokens.lifecycle.families import start_family
from tokens.models import TokenFamily
from tokens.servers.registry import get_server


@pytest.fixture
def grant(confidential_app, end_user):
    """Start a sign-in of `end_user` to `confidential_app`; returns (family, refresh token)."""

    def make(*, app=None, user=None, server="default", scopes=("openid", "profile", "offline_access")):
        return start_family(
            client=app or confidential_app,
            user=user or end_user,
            server=get_server(server),
            scopes=list(scopes),
            auth_time=timezone.now(),
            grant_type="authorization_code",
        )

    return make


def tokens_url(user, app, token_id=None) -> str:
    url = f"/api/v1/users/{user.uid}/clients/{app.client_id}/tokens"
    return f"{url}/{token_id}" if token_id else url


def test_list_a_users_tokens_for_a_client(api_client, grant, end_user, confidential_app):
    family, plain = grant()
    response = api_client.get(tokens_url(end_user, confidential_app))
    assert response.status_code == 200
    [token] = response.json()
    assert token["id"] == family.public_id
    assert token["status"] == "ACTIVE"
    assert token["clientId"] == confidential_app.client_id
    assert token["userId"] == end_user.uid
    assert token["issuer"].endswith("/oauth2/default")
    assert token["scopes"] == ["openid", "profile", "offline_access"]
    assert token["expiresAt"] is None  # the default server's refresh lifetime is unlimited by default
    assert token["_links"]["revoke"]["hints"]["allow"] == ["DELETE"]
    assert "_embedded" not in token
    assert plain not in response.content.decode()
    assert family.tokens.get().token_hash not in response.content.decode()


def test_org_server_tokens_have_an_absolute_expiry(api_client, grant, end_user, confidential_app):
    grant(server="org")
    [token] = api_client.get(tokens_url(end_user, confidential_app)).json()
    assert token["expiresAt"] is not None
    assert token["issuer"] == get_server("org").issuer


def test_expand_scope_embeds_scope_objects(api_client, grant, end_user, confidential_app):
    family, _ = grant(scopes=["openid", "offline_access"])
    response = api_client.get(tokens_url(end_user, confidential_app, family.public_id) + "?expand=scope")
    scopes = response.json()["_embedded"]["scopes"]
    assert [s["name"] for s in scopes] == ["openid", "offline_access"]
    assert all(s["id"].startswith("scp") and s["displayName"] for s in scopes)


def test_unknown_expand_is_400(api_client, grant, end_user, confidential_app):
    grant()
    assert_error(api_client.get(tokens_url(end_user, confidential_app) + "?expand=user"), 400, "E0000001")


def test_revoke_one_token_stops_its_refresh_token(api_client, client, grant, end_user, confidential_app):
    family, plain = grant(server="org")
    other, other_plain = grant(server="org")
    response = api_client.delete(tokens_url(end_user, confidential_app, family.public_id))
    assert response.status_code == 204
    family.refresh_from_db()
    other.refresh_from_db()
    assert family.status == "REVOKED" and other.status == "ACTIVE"
    assert refresh(client, confidential_app, plain, secret=confidential_app.plain_secret).status_code == 400
    assert refresh(client, confidential_app, other_plain, secret=confidential_app.plain_secret).status_code == 200
    assert Event.objects.filter(event_type="app.oauth2.token.revoke", family_id=family.public_id).exists()
    shown = api_client.get(tokens_url(end_user, confidential_app, family.public_id)).json()
    assert shown["status"] == "REVOKED"
    assert [t["id"] for t in api_client.get(tokens_url(end_user, confidential_app)).json()] == [other.public_id]


def test_revoke_all_of_a_users_tokens_for_a_client(api_client, grant, end_user, other_user, confidential_app):
    grant()
    grant()
    others, _ = grant(user=other_user)
    assert api_client.delete(tokens_url(end_user, confidential_app)).status_code == 204
    assert not TokenFamily.objects.filter(user=end_user, status="ACTIVE").exists()
    others.refresh_from_db()
    assert others.status == "ACTIVE"


def test_another_users_token_is_404(api_client, grant, end_user, other_user, confidential_app):
    family, _ = grant(user=other_user)
    assert_error(api_client.get(tokens_url(end_user, confidential_app, family.public_id)), 404, "E0000007")
    assert_error(api_client.delete(tokens_url(end_user, confidential_app, family.public_id)), 404, "E0000007")
    family.refresh_from_db()
    assert family.status == "ACTIVE"


def test_unknown_user_client_or_token_is_404(api_client, grant, end_user, confidential_app):
    grant()
    assert_error(
        api_client.get(f"/api/v1/users/00uNobody/clients/{confidential_app.client_id}/tokens"), 404, "E0000007"
    )
    assert_error(api_client.get(f"/api/v1/users/{end_user.uid}/clients/nope-nope/tokens"), 404, "E0000007")
    assert_error(api_client.get(tokens_url(end_user, confidential_app, "oarNothingHere")), 404, "E0000007")


def test_user_clients_lists_apps_with_active_tokens(api_client, grant, end_user, confidential_app, public_app):
    grant()
    revoked, _ = grant(app=public_app)
    response = api_client.get(f"/api/v1/users/{end_user.uid}/clients")
    assert [c["client_id"] for c in response.json()] == [confidential_app.client_id, public_app.client_id]
    api_client.delete(tokens_url(end_user, public_app, revoked.public_id))
    response = api_client.get(f"/api/v1/users/{end_user.uid}/clients")
    assert [c["client_id"] for c in response.json()] == [confidential_app.client_id]
    assert response.json()[0]["client_name"] == confidential_app.name


def test_app_tokens_list_get_and_revoke(api_client, grant, end_user, other_user, confidential_app, public_app):
    mine, plain = grant()
    theirs, _ = grant(user=other_user)
    elsewhere, _ = grant(app=public_app)
    url = f"/api/v1/apps/{confidential_app.public_id}/tokens"
    response = api_client.get(url)
    assert sorted(t["id"] for t in response.json()) == sorted([mine.public_id, theirs.public_id])
    assert plain not in response.content.decode()
    assert api_client.get(f"{url}/{mine.public_id}").json()["userId"] == end_user.uid
    assert_error(api_client.get(f"{url}/{elsewhere.public_id}"), 404, "E0000007")

    assert api_client.delete(f"{url}/{mine.public_id}").status_code == 204
    mine.refresh_from_db()
    assert mine.status == "REVOKED"
    assert api_client.delete(url).status_code == 204
    theirs.refresh_from_db()
    elsewhere.refresh_from_db()
    assert theirs.status == "REVOKED" and elsewhere.status == "ACTIVE"


def test_token_paging_across_pages(api_client, grant, end_user, confidential_app):
    families = [grant()[0].public_id for _ in range(5)]
    seen, url = [], tokens_url(end_user, confidential_app) + "?limit=2"
    while url:
        response = api_client.get(url)
        seen += [t["id"] for t in response.json()]
        nxt = [p for p in response["Link"].split(", ") if 'rel="next"' in p]
        url = nxt[0].split(">")[0].lstrip("<").split("8000", 1)[1] if nxt else None
    assert seen == families


def test_tokens_need_an_admin_token(client, grant, end_user, other_user, confidential_app):
    grant()
    assert_error(client.get(tokens_url(end_user, confidential_app)), 401, "E0000011")
    _, plain = create_api_token(other_user, "mallory")
    response = client.delete(tokens_url(end_user, confidential_app), HTTP_AUTHORIZATION=f"SSWS {plain}")
    assert_error(response, 403, "E0000006")
    assert TokenFamily.objects.filter(status="ACTIVE").count() == 1


def test_wrong_method_is_405(api_client, grant, end_user, confidential_app):
    assert_error(api_client.post(tokens_url(end_user, confidential_app), {}), 405, "E0000022")
    assert_error(api_client.post(f"/api/v1/users/{end_user.uid}/clients", {}), 405, "E0000022")


def test_listing_costs_the_same_queries_for_one_or_many_tokens(
    api_client, grant, end_user, confidential_app, django_assert_max_num_queries
):
    """API token, last use, rate-limit upsert (+ prune), user, app, the page: never a query per row."""
    for _ in range(10):
        grant()
    with django_assert_max_num_queries(7):
        response = api_client.get(tokens_url(end_user, confidential_app) + "?expand=scope")
    assert len(response.json()) == 10
    with django_assert_max_num_queries(7):
        assert len(api_client.get(f"/api/v1/apps/{confidential_app.public_id}/tokens").json()) == 10
