"""Console: Security → API tokens — create (shown once), list, revoke."""

from accounts.models import ApiToken
from accounts.services import authenticate_api_token, create_api_token
from core.crypto import hash_token
from core.models import Event
from tests.kit.console import text


def test_create_shows_the_token_once_and_stores_a_hash(console_client, owner):
    response = console_client.post("/console/security/api-tokens/", {"name": "CI deploys"}, follow=True)
    assert response.redirect_chain == [("/console/security/api-tokens/", 302)]  # post/redirect/get
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = text(response)
    plain = body.split('<code id="new-token">')[1].split("</code>")[0]
    token = ApiToken.objects.get(name="CI deploys")
    assert token.user == owner
    assert token.token_hash == hash_token(plain) and plain not in token.token_hash
    assert authenticate_api_token(plain).pk == token.pk
    again = text(console_client.get("/console/security/api-tokens/"))
    assert plain not in again and "CI deploys" in again and token.prefix in again
    event = Event.objects.get(event_type="system.api_token.create")
    assert event.user_id == owner.uid and event.targets[0]["alternateId"] == token.prefix
    assert plain not in str(event.__dict__)  # the log names the token by prefix, never by value


def test_create_redirects_so_a_reload_creates_no_second_token(console_client):
    response = console_client.post("/console/security/api-tokens/", {"name": "Once"})
    assert response.status_code == 302 and response["Location"] == "/console/security/api-tokens/"
    shown = console_client.get(response["Location"])
    assert '<code id="new-token">' in text(shown) and shown["Cache-Control"] == "no-store"
    reloaded = console_client.get(response["Location"])  # what a reload repeats: the GET
    assert '<code id="new-token">' not in text(reloaded)
    assert ApiToken.objects.filter(name="Once").count() == 1


def test_list_shows_name_owner_created_and_last_use(console_client, owner, end_user):
    token, plain = create_api_token(owner, "Terraform")
    authenticate_api_token(plain)
    body = text(console_client.get("/console/security/api-tokens/"))
    assert "Terraform" in body and owner.username in body
    assert "Never" not in body  # it has been used


def test_create_needs_a_name(console_client):
    response = console_client.post("/console/security/api-tokens/", {"name": "   "})
    assert response.status_code == 400
    assert "Give the token a name." in text(response) or "This field is required." in text(response)
    assert not ApiToken.objects.exists()


def test_revoke_asks_first_then_deletes(console_client, owner):
    token, plain = create_api_token(owner, "Old script")
    page = console_client.get(f"/console/security/api-tokens/{token.pk}/revoke/")
    assert page.status_code == 200 and "Revoke token" in text(page)
    assert ApiToken.objects.filter(pk=token.pk).exists()
    response = console_client.post(f"/console/security/api-tokens/{token.pk}/revoke/", follow=True)
    assert "Revoked API token" in text(response)
    assert authenticate_api_token(plain) is None
    event = Event.objects.get(event_type="system.api_token.revoke")
    assert plain not in str(event.targets) + event.display_message


def test_revoke_unknown_token_is_404(console_client):
    assert console_client.post("/console/security/api-tokens/999999/revoke/").status_code == 404


def test_non_staff_cannot_create_or_revoke(client, other_user, owner):
    token, _ = create_api_token(owner, "Keep")
    client.force_login(other_user)
    assert client.post("/console/security/api-tokens/", {"name": "Sneaky"}).status_code == 403
    assert client.post(f"/console/security/api-tokens/{token.pk}/revoke/").status_code == 403
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["Keep"]


def test_a_console_token_works_on_the_management_api_until_revoked(console_client):
    from django.test import Client

    client = Client()  # no session: the token alone must authenticate
    body = console_client.post("/console/security/api-tokens/", {"name": "Terraform"}, follow=True).content.decode()
    plain = body.split('<code id="new-token">')[1].split("</code>")[0]
    api = client.get("/api/v1/apps", HTTP_AUTHORIZATION=f"SSWS {plain}")
    assert api.status_code == 200, api.content
    token = ApiToken.objects.get(name="Terraform")
    console_client.post(f"/console/security/api-tokens/{token.pk}/revoke/")
    refused = client.get("/api/v1/apps", HTTP_AUTHORIZATION=f"SSWS {plain}")
    assert refused.status_code == 401
    assert refused.json()["errorCode"] == "E0000011"
