"""The system log's cheaper query shapes (docs/system-log-queries.md) answer exactly what the plain ones did:
a `since` page that starts at its first id, a `target.id` filter that reads grant rows by their columns, and
the dashboard's refresh count taken as grant rows plus the rows written one per event before them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import Event
from core.systemlog import grants, reading, recording
from tests.kit.oauth import refresh, tokens_for
from tokens import reports
from tokens.models import TokenFamily

GRANT = "app.oauth2.token.grant"


@pytest.fixture
def shuffled(db, api_token, monkeypatch):
    """Ten events whose times do not follow their ids (a clock step, an imported row), and a 3-row head."""
    monkeypatch.setattr(reading, "HEAD_ROWS", 3)
    Event.objects.all().delete()
    now = timezone.now()
    minutes_ago = [50, 5, 40, 30, 2, 45, 20, 10, 60, 1]
    made = []
    for i, ago in enumerate(minutes_ago):
        event = recording.record("user.session.start", f"event {i}", actor={"id": "x"})
        Event.objects.filter(pk=event.pk).update(published=now - timedelta(minutes=ago))
        made.append((event.pk, now - timedelta(minutes=ago), f"event {i}"))
    return now, made


def _iso(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@pytest.mark.parametrize("minutes", [70, 55, 42, 25, 3, 0])
@pytest.mark.parametrize("limit", [2, 100])
def test_a_since_page_holds_the_rows_published_since_in_id_order(api_client, shuffled, minutes, limit):
    now, made = shuffled
    since = now - timedelta(minutes=minutes, seconds=1)
    expected = [message for _pk, published, message in sorted(made) if published >= since]
    seen, url = [], f"/api/v1/logs?since={_iso(since)}&limit={limit}"
    while url:
        response = api_client.get(url)
        assert response.status_code == 200, response.content
        seen += [e["displayMessage"] for e in response.json()]
        nxt = [p for p in response["Link"].split(", ") if 'rel="next"' in p]
        url = nxt[0].split(">")[0].lstrip("<").split("8000", 1)[1] if nxt else None
    assert seen == expected


def test_the_console_since_filter_reads_the_same_rows_oldest_first(console_client, shuffled):
    now, made = shuffled
    since = timezone.localtime(now - timedelta(minutes=42))
    cut = since.replace(second=0, microsecond=0)
    expected = [message for _pk, published, message in sorted(made) if published >= cut]
    query = {"since": since.strftime("%Y-%m-%dT%H:%M"), "sort": "time"}
    page = console_client.get("/console/system-log/", query).context["page"]
    assert [e.display_message for e in page] == expected


def test_target_id_finds_grant_rows_by_their_user_and_family(client, api_client, rotating_app, end_user):
    tokens = tokens_for(client, rotating_app, end_user)
    Event.objects.all().delete()
    assert refresh(client, rotating_app, tokens["refresh_token"]).status_code == 200
    family = TokenFamily.objects.get(client=rotating_app)
    for target in (end_user.uid, family.public_id):
        body = api_client.get(f'/api/v1/logs?filter=target.id eq "{target}"').json()
        grant_events = [e for e in body if e["eventType"].startswith(f"{GRANT}.")]
        assert {f"{GRANT}.access_token", f"{GRANT}.refresh_token"} <= {e["eventType"] for e in grant_events}
        assert all(target in [t["id"] for t in e["target"]] for e in grant_events)


def test_the_refresh_count_adds_grant_rows_and_older_rows(db, rotating_app):
    Event.objects.all().delete()

    def grant(kinds, grant_type):
        row = grants.grant_row(GRANT, kinds, grant_type, actor=recording.app_ref(rotating_app))
        row["debug_data"] = {"grantType": grant_type}
        recording.save_all([row])

    grant(["access_token", "refresh_token"], "refresh_token")
    grant(["access_token"], "refresh_token")  # a persistent token's refresh
    grant(["access_token", "id_token", "refresh_token"], "authorization_code")  # a sign-in: not a refresh
    for event_type, grant_type in [
        (f"{GRANT}.access_token", "refresh_token"),  # rows written one per event before grant rows
        ("app.oauth2.as.token.grant.access_token", "refresh_token"),
        (f"{GRANT}.refresh_token", "refresh_token"),  # its access token's event is the one counted
        (f"{GRANT}.access_token", "authorization_code"),
    ]:
        recording.record(event_type, "before", debug={"grantType": grant_type})
    old = recording.record(f"{GRANT}.access_token", "a day ago", debug={"grantType": "refresh_token"})
    Event.objects.filter(pk=old.pk).update(published=timezone.now() - timedelta(hours=25))

    assert sum(bar.refreshes for bar in reports.dashboard()["bars"]) == 4
    since = timezone.now() - timedelta(hours=24)
    original = Event.objects.filter(
        grants.of_types(["app.oauth2.token.grant.access_token", "app.oauth2.as.token.grant.access_token"]),
        debug_data__grantType="refresh_token",
        published__gt=since,
    )
    assert original.count() == 4
