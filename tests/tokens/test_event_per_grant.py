"""One event row per token response, read as Okta's event per token (core/systemlog/grants.py).

A refresh writes one grant row; `/api/v1/logs`, the console's log and its export, the family timeline and the
dashboard show the same per-token events as when each was a row (test_grant_event_shape.py pins their shape),
with stable uuids, filters by each derived type and paging that can stop between the events of one row.
Rows written one per event before keep reading as they did.
"""

import csv
import io
import json
import uuid

import pytest
from django.utils import timezone

from core.models import Event
from core.systemlog import grants, recording
from tests.kit.api import assert_error
from tests.kit.oauth import refresh, tokens_for
from tokens import reports
from tokens.models import TokenFamily

GRANT = "app.oauth2.token.grant"
ACCESS, ID, REFRESH = (f"{GRANT}.{kind}" for kind in ("access_token", "id_token", "refresh_token"))


def walk(api_client, url: str) -> list[dict]:
    """Every event of `url`, following the `next` links."""
    seen = []
    while url:
        response = api_client.get(url)
        assert response.status_code == 200, response.content
        seen += response.json()
        nxt = [p for p in response["Link"].split(", ") if 'rel="next"' in p]
        url = nxt[0].split(">")[0].lstrip("<").split("8000", 1)[1] if nxt else None
    return seen


@pytest.fixture
def refreshed(client, rotating_app, static_app, end_user):
    """A rotation and a persistent refresh after two code exchanges; the log holds nothing else."""
    rotating = tokens_for(client, rotating_app, end_user)
    persistent = tokens_for(client, static_app, end_user, secret=static_app.plain_secret)
    Event.objects.all().delete()
    assert refresh(client, rotating_app, rotating["refresh_token"]).status_code == 200
    assert refresh(client, static_app, persistent["refresh_token"], secret=static_app.plain_secret).status_code == 200
    return rotating_app, static_app


@pytest.mark.postgres
def test_a_refresh_writes_one_event_row_for_its_tokens(refreshed):
    rotating_app, static_app = refreshed
    rotation, persistent = Event.objects.order_by("id")
    assert (rotation.event_type, rotation.issued, rotation.app_id) == (
        GRANT,
        "access_token id_token refresh_token",
        rotating_app.public_id,
    )
    assert (persistent.event_type, persistent.issued, persistent.app_id) == (
        GRANT,
        "access_token id_token",
        static_app.public_id,
    )


@pytest.mark.postgres
def test_the_api_reads_each_row_as_its_tokens_events_with_stable_uuids(api_client, refreshed):
    rotation, persistent = Event.objects.order_by("id")
    first, again = walk(api_client, "/api/v1/logs"), walk(api_client, "/api/v1/logs")
    assert first == again
    assert [e["eventType"] for e in first] == [ACCESS, ID, REFRESH, ACCESS, ID]
    expected = [uuid.uuid5(rotation.uuid, k) for k in grants.KINDS] + [
        uuid.uuid5(persistent.uuid, k) for k in ("access_token", "id_token")
    ]
    assert [e["uuid"] for e in first] == [str(u) for u in expected]
    assert len({e["published"] for e in first[:3]}) == 1 and first[3]["published"] != first[0]["published"]
    assert {e["transaction"]["id"] for e in first[:3]} == {str(rotation.id)}  # one response, one transaction


@pytest.mark.postgres
@pytest.mark.parametrize("limit", [1, 2, 3, 4])
@pytest.mark.parametrize("order", ["ASCENDING", "DESCENDING"])
def test_paging_stops_between_the_events_of_one_row_and_resumes_there(api_client, refreshed, limit, order):
    whole = walk(api_client, f"/api/v1/logs?sortOrder={order}")
    paged = walk(api_client, f"/api/v1/logs?sortOrder={order}&limit={limit}")
    assert [e["uuid"] for e in paged] == [e["uuid"] for e in whole]
    assert len(paged) == 5
    names = [e["eventType"] for e in whole]
    assert names == ([ACCESS, ID, REFRESH, ACCESS, ID] if order == "ASCENDING" else [ID, ACCESS, REFRESH, ID, ACCESS])


@pytest.mark.postgres
def test_a_page_holds_exactly_limit_events_and_its_cursor_names_the_event(api_client, refreshed):
    rotation = Event.objects.order_by("id").first()
    response = api_client.get("/api/v1/logs?limit=2")
    assert [e["eventType"] for e in response.json()] == [ACCESS, ID]
    assert f"after={rotation.id}.1>" in response["Link"]
    rest = api_client.get(f"/api/v1/logs?limit=2&after={rotation.id}.1").json()
    assert [e["eventType"] for e in rest] == [REFRESH, ACCESS]
    whole_row = api_client.get(f"/api/v1/logs?after={rotation.id}").json()  # a row id alone: after the whole row
    assert [e["eventType"] for e in whole_row] == [ACCESS, ID]


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("event_type", "count"),
    [(ACCESS, 2), (ID, 2), (REFRESH, 1), (GRANT, 0), ("app.oauth2.as.token.grant.access_token", 0)],
)
def test_filter_by_each_derived_event_type(api_client, refreshed, event_type, count):
    body = walk(api_client, f'/api/v1/logs?limit=1&filter=eventType eq "{event_type}"')
    assert [e["eventType"] for e in body] == [event_type] * count


@pytest.mark.postgres
def test_derived_types_combine_with_the_other_filters(api_client, refreshed):
    rotating_app, static_app = refreshed
    family = TokenFamily.objects.get(client=static_app)
    body = api_client.get(f'/api/v1/logs?filter=eventType eq "{ID}" and target.id eq "{family.public_id}"').json()
    assert [(e["eventType"], e["actor"]["id"]) for e in body] == [(ID, static_app.public_id)]
    assert api_client.get(f'/api/v1/logs?filter=eventType eq "{ID}" and eventType eq "{ACCESS}"').json() == []
    body = api_client.get(f'/api/v1/logs?filter=actor.id eq "{rotating_app.public_id}" and severity eq "INFO"').json()
    assert [e["eventType"] for e in body] == [ACCESS, ID, REFRESH]


@pytest.mark.postgres
def test_custom_server_grants_derive_their_as_types(client, api_client, rotating_app, end_user):
    issued = tokens_for(client, rotating_app, end_user, server="default")
    Event.objects.all().delete()
    assert refresh(client, rotating_app, issued["refresh_token"], server="default").status_code == 200
    assert Event.objects.get().event_type == "app.oauth2.as.token.grant"
    body = api_client.get('/api/v1/logs?filter=eventType eq "app.oauth2.as.token.grant.refresh_token"').json()
    assert [(e["eventType"], e["displayMessage"]) for e in body] == [
        ("app.oauth2.as.token.grant.refresh_token", "Refresh token granted (refresh token)")
    ]


def _old_rows(app) -> list[Event]:
    """Grant events as the code before one row per grant wrote them: a row each, `issued` empty."""
    moment = timezone.now()
    rows = []
    for kind in ("access_token", "refresh_token"):
        row = recording.columns(
            f"{GRANT}.{kind}",
            grants.message(kind, "refresh_token"),
            actor=recording.app_ref(app),
            app=app,
            debug={"grantType": "refresh_token", "scopes": "offline_access"},
        )
        row["published"] = moment
        rows.append(Event.objects.create(**row))
    return rows


@pytest.mark.postgres
def test_rows_written_one_per_event_still_read_as_they_did(api_client, refreshed):
    rotating_app, _ = refreshed
    old = _old_rows(rotating_app)
    body = walk(api_client, "/api/v1/logs?limit=2")
    assert [e["uuid"] for e in body[-2:]] == [str(r.uuid) for r in old]
    assert [e["displayMessage"] for e in body[-2:]] == [
        "Access token granted (refresh token)",
        "Refresh token granted (refresh token)",
    ]
    refreshes = api_client.get(f'/api/v1/logs?filter=eventType eq "{REFRESH}"').json()
    assert [e["uuid"] for e in refreshes][-1] == str(old[1].uuid) and len(refreshes) == 2


@pytest.mark.postgres
def test_bad_cursors_are_400(api_client, refreshed):
    for cursor in ["1.3", "1.", ".1", "x", "1.1.1"]:
        assert_error(api_client.get(f"/api/v1/logs?after={cursor}"), 400, "E0000001")


@pytest.mark.postgres
def test_the_console_log_shows_and_pages_the_derived_events(refreshed, console_client):
    page = console_client.get("/console/system-log/").content.decode()
    shown = [line.split("<summary>")[1].split(" <span")[0] for line in page.splitlines() if "<summary>" in line]
    assert shown == [
        "Id token granted (refresh token)",
        "Access token granted (refresh token)",
        "Refresh token granted (refresh token)",
        "Id token granted (refresh token)",
        "Access token granted (refresh token)",
    ]
    filtered = console_client.get("/console/system-log/", {"event_type": REFRESH}).content.decode()
    assert filtered.count("<summary>") == 1 and "<summary>Refresh token granted (refresh token) <span" in filtered


@pytest.mark.postgres
def test_console_pages_split_a_row_and_step_back(console_client, rotating_app, owner):
    rows = [
        grants.grant_row(GRANT, list(grants.KINDS), "refresh_token", actor=recording.app_ref(rotating_app))
        for _ in range(10)
    ]
    Event.objects.bulk_create([Event(**row) for row in rows])
    total = Event.objects.count() + 20  # each grant row is three events
    seen, params, pages = [], {"size": "25"}, []
    while True:
        response = console_client.get("/console/system-log/", params)
        page = response.context["page"]
        pages.append(page)
        seen += [(e.pk, e.part) for e in page]
        if not page.has_next:
            break
        params = dict(pair.split("=") for pair in page.next_query.split("&"))
    assert len(seen) == len(set(seen)) == total
    back = console_client.get(
        "/console/system-log/", dict(pair.split("=") for pair in pages[-1].previous_query.split("&"))
    )
    assert [(e.pk, e.part) for e in back.context["page"]] == [(e.pk, e.part) for e in pages[-2]]


@pytest.mark.postgres
def test_the_export_lists_the_derived_events(refreshed, console_client):
    lines = console_client.get("/console/system-log/export.jsonl").getvalue().decode().splitlines()
    assert [json.loads(line)["eventType"] for line in lines] == [ID, ACCESS, REFRESH, ID, ACCESS]
    rows = list(csv.reader(io.StringIO(console_client.get("/console/system-log/export.csv").getvalue().decode())))
    assert [r[2] for r in rows[1:]] == [ID, ACCESS, REFRESH, ID, ACCESS]


@pytest.mark.postgres
def test_the_timeline_and_dashboard_count_as_before(client, static_app, rotating_app, end_user):
    persistent = tokens_for(client, static_app, end_user, secret=static_app.plain_secret)
    rotating = tokens_for(client, rotating_app, end_user)
    for _ in range(3):
        assert (
            refresh(client, static_app, persistent["refresh_token"], secret=static_app.plain_secret).status_code == 200
        )
    token = rotating["refresh_token"]
    for _ in range(2):
        token = refresh(client, rotating_app, token).json()["refresh_token"]
    static_family = TokenFamily.objects.get(client=static_app)
    kinds = [e.kind for e in reports.family_timeline(static_family)]
    assert kinds.count("refresh") == 3 and kinds.count("issued") == 1
    rotating_kinds = [e.kind for e in reports.family_timeline(TokenFamily.objects.get(client=rotating_app))]
    assert rotating_kinds.count("rotation") == 2 and "refresh" not in rotating_kinds
    assert sum(bar.refreshes for bar in reports.dashboard()["bars"]) == 5
