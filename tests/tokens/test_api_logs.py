"""/api/v1/logs: the system log in Okta's LogEvent shape, filtered, time-bounded and paged."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.services import create_api_token
from core.models import Event
from core.systemlog import recording as events
from tests.kit.api import assert_error


@pytest.fixture
def log(db, api_token):
    """Three events a minute apart, oldest first, and no others (making the API token logged one)."""
    Event.objects.all().delete()
    now = timezone.now()
    made = []
    for i, (kind, target) in enumerate(
        [
            ("app.oauth2.token.grant", "0oaAAA"),
            ("app.oauth2.token.revoke", "0oaBBB"),
            ("app.oauth2.token.grant", "0oaBBB"),
        ]
    ):
        event = events.record(kind, f"event {i}", targets=[{"id": target, "type": "AppInstance"}], actor={"id": "x"})
        Event.objects.filter(pk=event.pk).update(published=now - timedelta(minutes=3 - i))
        made.append(Event.objects.get(pk=event.pk))
    return made


def test_events_in_okta_shape_oldest_first(api_client, log):
    response = api_client.get("/api/v1/logs")
    assert response.status_code == 200
    body = response.json()
    assert [e["uuid"] for e in body] == [str(e.uuid) for e in log]
    first = body[0]
    assert first["eventType"] == "app.oauth2.token.grant"
    assert first["displayMessage"] == "event 0"
    assert first["outcome"] == {"result": "SUCCESS", "reason": None}
    assert first["target"][0]["id"] == "0oaAAA"
    assert first["published"].endswith("Z")
    assert {"actor", "client", "debugContext", "severity", "version", "transaction"} <= set(first)


def test_descending_sort(api_client, log):
    body = api_client.get("/api/v1/logs?sortOrder=DESCENDING").json()
    assert [e["uuid"] for e in body] == [str(e.uuid) for e in reversed(log)]


def test_filter_by_event_type_and_target(api_client, log):
    body = api_client.get('/api/v1/logs?filter=eventType eq "app.oauth2.token.grant"').json()
    assert [e["displayMessage"] for e in body] == ["event 0", "event 2"]
    body = api_client.get('/api/v1/logs?filter=target.id eq "0oaBBB"').json()
    assert [e["displayMessage"] for e in body] == ["event 1", "event 2"]
    body = api_client.get('/api/v1/logs?filter=eventType eq "app.oauth2.token.grant" and target.id eq "0oaBBB"').json()
    assert [e["displayMessage"] for e in body] == ["event 2"]


def test_filter_target_matches_app_user_and_family_columns(api_client, confidential_app, owner):
    api_client.post(f"/api/v1/apps/{confidential_app.public_id}/lifecycle/deactivate")
    body = api_client.get(f'/api/v1/logs?filter=target.id eq "{confidential_app.public_id}"').json()
    assert "app.oauth2.client.lifecycle.deactivate" in [e["eventType"] for e in body]
    assert body[-1]["actor"]["id"] == owner.uid


def test_since_and_until(api_client, log):
    since = (log[1].published - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    until = (log[2].published - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    body = api_client.get(f"/api/v1/logs?since={since}&until={until}").json()
    assert [e["displayMessage"] for e in body] == ["event 1"]


def test_paging_with_after_cursor(api_client, log):
    seen, url = [], "/api/v1/logs?limit=2&sortOrder=DESCENDING"
    pages = 0
    while url:
        response = api_client.get(url)
        seen += [e["displayMessage"] for e in response.json()]
        nxt = [p for p in response["Link"].split(", ") if 'rel="next"' in p]
        url = nxt[0].split(">")[0].lstrip("<").split("8000", 1)[1] if nxt else None
        pages += 1
    assert seen == ["event 2", "event 1", "event 0"]
    assert pages == 2


@pytest.mark.parametrize(
    "query",
    [
        "filter=published gt 1",
        'filter=eventType eq "x" or target.id eq "y"',
        "since=yesterday",
        "until=2024-13-01T00:00:00Z",
        "since=0001-01-01T00:00:00%2B23:59",  # before year 1 in UTC
        "sortOrder=SIDEWAYS",
        "limit=-1",
        "after=abc",
    ],
)
def test_bad_parameters_are_400(api_client, log, query):
    assert_error(api_client.get(f"/api/v1/logs?{query}"), 400, "E0000001")


def test_logs_never_contain_secrets(api_client, make_app):
    app, secret = make_app(label="Secretive")
    response = api_client.post(f"/api/v1/apps/{app.public_id}/credentials/secrets")
    new_secret = response.json()["client_secret"]
    text = api_client.get("/api/v1/logs").content.decode()
    assert secret not in text and new_secret not in text


def test_logs_need_an_admin_token(client, other_user, log):
    assert_error(client.get("/api/v1/logs"), 401, "E0000011")
    _, plain = create_api_token(other_user, "mallory")
    assert_error(client.get("/api/v1/logs", HTTP_AUTHORIZATION=f"SSWS {plain}"), 403, "E0000006")


def test_wrong_method_is_405(api_client, log):
    assert_error(api_client.post("/api/v1/logs", {}), 405, "E0000022")
