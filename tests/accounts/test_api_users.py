"""/api/v1/users: create, list, read, deactivate (revokes tokens), delete; and `createapitoken`."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import ApiToken, User
from accounts.services import authenticate_api_token, create_api_token
from core.crypto import hash_token
from core.models import Event
from tests.kit.api import assert_error
from tokens.models import TokenFamily


def user_body(login="bob@example.com", password="Bob password 12345", **profile):
    body = {"profile": {"login": login, "email": login, "firstName": "Bob", "lastName": "Builder"} | profile}
    if password is not None:
        body["credentials"] = {"password": {"value": password}}
    return body


def causes(response) -> str:
    return " ".join(c["errorSummary"] for c in response.json()["errorCauses"])


def test_create_user_with_password(api_client):
    response = api_client.post("/api/v1/users?activate=true", user_body())
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"].startswith("00u")
    assert body["status"] == "ACTIVE"
    assert body["profile"] == {
        "firstName": "Bob",
        "lastName": "Builder",
        "mobilePhone": None,
        "secondEmail": None,
        "login": "bob@example.com",
        "email": "bob@example.com",
    }
    assert "password" not in body["credentials"]
    user = User.objects.get(uid=body["id"])
    assert user.check_password("Bob password 12345")
    assert Event.objects.filter(event_type="user.lifecycle.create", user_id=user.uid).exists()


def test_create_without_activation_is_not_active(api_client):
    response = api_client.post("/api/v1/users?activate=false", user_body())
    assert response.status_code == 200
    assert response.json()["status"] == "DEPROVISIONED"
    assert User.objects.get(username="bob@example.com").is_active is False


def test_create_without_password_cannot_sign_in(api_client):
    response = api_client.post("/api/v1/users", user_body(password=None))
    assert response.status_code == 200
    assert not User.objects.get(username="bob@example.com").has_usable_password()


@pytest.mark.parametrize(
    "body,path",
    [
        ({"profile": {"email": "x@example.com"}}, "profile.login"),
        ({"profile": {"login": "x"}}, "profile.email"),
        ({"profile": {"login": "x", "email": "not-an-email"}}, "profile.email"),
        ({"profile": {"login": "x", "email": 5}}, "profile.email"),
        ({"profile": {"login": 5, "email": "x@example.com"}}, "profile.login"),
        ({"profile": {"login": "x" * 151, "email": "x@example.com"}}, "profile.login"),
        ({"profile": {"login": "", "email": "x@example.com"}}, "profile.login"),
        ({"profile": "bob"}, "profile"),
        ({}, "profile"),
        (user_body(password="short"), "credentials.password.value"),
        (user_body(password="password"), "credentials.password.value"),
        ({**user_body(), "credentials": {"password": {"value": 123456789012}}}, "credentials.password.value"),
    ],
)
def test_each_validation_rule_names_the_field(api_client, body, path):
    response = api_client.post("/api/v1/users", body)
    assert_error(response, 400, "E0000001")
    assert path in causes(response)
    assert not User.objects.exclude(is_staff=True).exists()


def test_duplicate_login_is_rejected(api_client, end_user):
    response = api_client.post("/api/v1/users", user_body(login="ALICE@example.com"))
    assert_error(response, 400, "E0000001")
    assert "profile.login" in causes(response)


def test_malformed_body_writes_nothing(api_client):
    response = api_client.post("/api/v1/users", b'{"profile": ', content_type="application/json")
    assert_error(response, 400, "E0000003")


def test_get_by_id_and_by_login(api_client, end_user):
    assert api_client.get(f"/api/v1/users/{end_user.uid}").json()["id"] == end_user.uid
    assert api_client.get(f"/api/v1/users/{end_user.username}").json()["id"] == end_user.uid


def test_unknown_user_is_404(api_client):
    assert_error(api_client.get("/api/v1/users/00uNobodyAtAll"), 404, "E0000007")


def test_list_pages_and_never_shows_passwords(api_client, owner):
    for i in range(4):
        User.objects.create_user(f"user{i}@example.com", f"user{i}@example.com", "pw pw pw pw 1")
    first = api_client.get("/api/v1/users?limit=3")
    assert first.status_code == 200
    assert len(first.json()) == 3
    assert 'rel="next"' in first["Link"]
    after = first["Link"].split('rel="self", <')[1].split(">")[0].split("?")[1]
    second = api_client.get(f"/api/v1/users?{after}")
    assert len(second.json()) == 2
    assert 'rel="next"' not in second["Link"]
    ids = [u["id"] for u in first.json() + second.json()]
    assert len(set(ids)) == 5
    hashes = list(User.objects.values_list("password", flat=True))
    for response in (first, second):
        text = response.content.decode()
        assert '"password":' not in text
        assert not any(h in text for h in hashes)


def test_list_q_matches_prefixes(api_client, owner, end_user, other_user):
    response = api_client.get("/api/v1/users?q=ali")
    assert [u["id"] for u in response.json()] == [end_user.uid]
    response = api_client.get("/api/v1/users?q=Liddell")
    assert [u["id"] for u in response.json()] == [end_user.uid]


def test_deactivate_revokes_tokens(api_client, end_user, confidential_app):
    family = TokenFamily.objects.create(
        client=confidential_app, user=end_user, server="org", auth_time=timezone.now(), idle_minutes=60
    )
    response = api_client.post(f"/api/v1/users/{end_user.uid}/lifecycle/deactivate")
    assert response.status_code == 200
    end_user.refresh_from_db()
    assert end_user.is_active is False
    family.refresh_from_db()
    assert family.status == "REVOKED"
    assert api_client.get(f"/api/v1/users/{end_user.uid}").json()["status"] == "DEPROVISIONED"


def test_delete_only_when_deactivated(api_client, end_user):
    response = api_client.delete(f"/api/v1/users/{end_user.uid}")
    assert_error(response, 403, "E0000038")
    assert User.objects.filter(pk=end_user.pk).exists()
    api_client.post(f"/api/v1/users/{end_user.uid}/lifecycle/deactivate")
    response = api_client.delete(f"/api/v1/users/{end_user.uid}")
    assert response.status_code == 204
    assert not User.objects.filter(pk=end_user.pk).exists()


def test_no_token_is_401_and_non_admin_is_403(client, other_user):
    assert_error(client.get("/api/v1/users"), 401, "E0000011")
    _, plain = create_api_token(other_user, "mallory")
    response = client.post(
        "/api/v1/users", user_body(), content_type="application/json", HTTP_AUTHORIZATION=f"SSWS {plain}"
    )
    assert_error(response, 403, "E0000006")
    assert not User.objects.filter(username="bob@example.com").exists()


def test_wrong_method_is_405(api_client, end_user):
    assert_error(api_client.put(f"/api/v1/users/{end_user.uid}", {}), 405, "E0000022")
    assert_error(api_client.get(f"/api/v1/users/{end_user.uid}/lifecycle/deactivate"), 405, "E0000022")


# createapitoken -------------------------------------------------------------------------------


def test_createapitoken_prints_only_the_token_and_stores_its_hash(owner):
    out = StringIO()
    call_command("createapitoken", "--user", owner.username, "--name", "CI", stdout=out)
    plain = out.getvalue().strip()
    assert "\n" not in plain and len(plain) >= 40
    token = ApiToken.objects.get(user=owner, name="CI")
    assert token.token_hash == hash_token(plain)
    assert plain not in token.token_hash
    assert authenticate_api_token(plain) == token


def test_createapitoken_token_works_on_the_api(owner, client):
    out = StringIO()
    call_command("createapitoken", "--user", owner.username, "--name", "CI", stdout=out)
    response = client.get("/api/v1/users", HTTP_AUTHORIZATION=f"SSWS {out.getvalue().strip()}")
    assert response.status_code == 200


def test_createapitoken_refuses_unknown_and_non_admin_users(other_user):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("createapitoken", "--user", "nobody", "--name", "x")
    with pytest.raises(CommandError, match="not an admin"):
        call_command("createapitoken", "--user", other_user.username, "--name", "x")
    assert not ApiToken.objects.exists()


def test_a_concurrent_duplicate_login_is_400_not_500(api_client, monkeypatch):
    """Two requests creating the same login at once: the loser hits the unique index, not a 500."""
    from django.db import IntegrityError

    from accounts import services

    def create_user(**kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(services, "create_user", create_user)
    response = api_client.post("/api/v1/users", user_body())
    assert_error(response, 400, "E0000001")
    assert "profile.login" in causes(response)
