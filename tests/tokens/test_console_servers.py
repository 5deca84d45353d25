"""Console: Security → Authorization servers, with their keys and "Rotate keys now"."""

from core.models import Event
from tests.kit.console import text
from tokens.servers import keys


def test_servers_page_shows_issuer_audience_and_keys(console_client, settings):
    keys.ensure_keys("org")
    keys.ensure_keys("default")
    response = console_client.get("/console/security/authorization-servers/")
    assert response.status_code == 200
    body = text(response)
    assert "Org authorization server" in body and "default" in body
    assert f"<code>{settings.ROTOR_ISSUER}/oauth2/default</code>" in body
    assert "<code>api://default</code>" in body
    for server in ("org", "default"):
        for key in keys.list_keys(server):
            assert key.kid in body
    assert body.count(">ACTIVE<") == 2 and body.count(">NEXT<") == 2


def test_rotate_asks_first(console_client):
    keys.ensure_keys("default")
    before = [(k.kid, k.status) for k in keys.list_keys("default")]
    response = console_client.get("/console/security/authorization-servers/default/rotate/")
    assert response.status_code == 200 and "Rotate keys now" in text(response)
    assert [(k.kid, k.status) for k in keys.list_keys("default")] == before


def test_rotate_turns_the_cycle_once_through_the_shared_code(console_client):
    keys.ensure_keys("default")
    before = {k.status: k.kid for k in keys.list_keys("default")}
    response = console_client.post("/console/security/authorization-servers/default/rotate/", follow=True)
    after = {k.status: k.kid for k in keys.list_keys("default")}
    assert after["ACTIVE"] == before["NEXT"]
    assert after["EXPIRED"] == before["ACTIVE"]
    assert after["NEXT"] not in before.values()
    assert f"Now signing with {after['ACTIVE']}" in text(response)
    assert Event.objects.filter(event_type="app.oauth2.as.key.rollover").count() == 1
    org = {k.status for k in keys.list_keys("org")}
    assert "EXPIRED" not in org  # the other server is untouched


def test_rotate_org_server_records_its_event(console_client):
    console_client.post("/console/security/authorization-servers/org/rotate/")
    assert Event.objects.filter(event_type="app.oauth2.key.rollover").count() == 1


def test_rotate_unknown_server_is_404(console_client):
    assert console_client.post("/console/security/authorization-servers/custom/rotate/").status_code == 404


def test_non_staff_cannot_rotate(client, other_user):
    keys.ensure_keys("default")
    before = [(k.kid, k.status) for k in keys.list_keys("default")]
    client.force_login(other_user)
    assert client.post("/console/security/authorization-servers/default/rotate/").status_code == 403
    assert [(k.kid, k.status) for k in keys.list_keys("default")] == before


def test_rotate_warns_and_names_the_key_whose_tokens_may_still_be_live(console_client, settings):
    keys.rotate_keys("default")  # the EXPIRED key signed until a moment ago
    expired = next(k.kid for k in keys.list_keys("default") if k.status == "EXPIRED")
    body = text(console_client.get("/console/security/authorization-servers/default/rotate/"))
    warning = body.split('id="confirm-warning">')[1].split("</div>")[0]
    lifetime = max(settings.ROTOR_ACCESS_TOKEN_MINUTES, settings.ROTOR_ID_TOKEN_MINUTES)
    assert f"Key {expired} is dropped now." in warning
    assert f"tokens it signed within the last {lifetime} min" in warning and "stop verifying" in warning


def test_rotate_names_the_dropped_key_without_a_warning_once_its_tokens_have_expired(console_client):
    from datetime import timedelta

    from django.utils import timezone

    from tokens.models import SigningKey

    keys.rotate_keys("default")
    SigningKey.objects.filter(server="default", status="NEXT").update(created=timezone.now() - timedelta(days=1))
    expired = next(k.kid for k in keys.list_keys("default") if k.status == "EXPIRED")
    body = text(console_client.get("/console/security/authorization-servers/default/rotate/"))
    assert 'id="confirm-warning"' not in body
    assert f"Key {expired} is dropped." in body and "no token it signed is still valid" in body


def test_rotate_of_a_server_without_an_expired_key_drops_none(console_client):
    keys.ensure_keys("default")
    body = text(console_client.get("/console/security/authorization-servers/default/rotate/"))
    assert "No key is dropped" in body and 'id="confirm-warning"' not in body
