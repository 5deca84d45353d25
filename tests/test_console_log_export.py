"""The system log page: its download (CSV, JSON Lines, streamed, filtered), the event-type menu from the catalogue,
and the links of each event's targets."""

import csv
import io
import json
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import Event
from core.systemlog import recording, types
from tests.kit.console import make_family, text, use
from tokens.lifecycle.revocation import revoke_family
from tokens.oauth.errors import OAuthError


def _body(response) -> str:
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()


def test_jsonl_export_is_the_logevent_json_of_the_filtered_events(console_client, confidential_app, end_user):
    make_family(confidential_app, end_user)
    recording.record("user.session.start", "signed in")
    response = console_client.get(
        "/console/system-log/export.jsonl", {"event_type": "app.oauth2.client.lifecycle.create"}
    )
    assert response["Content-Type"].startswith("application/jsonl")
    assert "attachment" in response["Content-Disposition"] and ".jsonl" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    lines = [json.loads(line) for line in _body(response).splitlines()]
    assert [line["eventType"] for line in lines] == ["app.oauth2.client.lifecycle.create"]
    api = console_client.get("/console/system-log/")  # the same shape as the page's (and the API's) LogEvent JSON
    event = Event.objects.get(uuid=lines[0]["uuid"])
    assert set(lines[0]) >= {"uuid", "published", "eventType", "actor", "target", "outcome", "debugContext"}
    assert lines[0]["target"][0]["id"] == event.app_id == confidential_app.public_id
    assert api.status_code == 200


def test_csv_export_has_a_header_a_row_per_event_newest_first_and_keeps_the_order(console_client, db):
    for i in range(3):
        recording.record("user.session.start", f"event {i}")
    rows = list(csv.reader(io.StringIO(_body(console_client.get("/console/system-log/export.csv")))))
    assert rows[0][:3] == ["published", "uuid", "eventType"]
    assert [r[4] for r in rows[1:]] == ["event 2", "event 1", "event 0"]
    oldest_first = console_client.get("/console/system-log/export.csv", {"sort": "time"})
    assert [r[4] for r in list(csv.reader(io.StringIO(_body(oldest_first))))[1:]] == ["event 0", "event 1", "event 2"]


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(console_client, db):
    recording.record("user.session.start", '=HYPERLINK("http://evil")')
    rows = list(csv.reader(io.StringIO(_body(console_client.get("/console/system-log/export.csv")))))
    assert rows[1][4] == '\'=HYPERLINK("http://evil")'


def test_export_applies_every_filter_of_the_page(console_client, confidential_app, public_app, end_user):
    family, _, _ = make_family(public_app, end_user)
    revoke_family(family, reason="revoked_by_admin")  # an event of the user (make_family records none)
    old = recording.record("user.session.start", "long ago")
    Event.objects.filter(pk=old.pk).update(published=timezone.now() - timedelta(days=3))
    by_app = _body(console_client.get("/console/system-log/export.jsonl", {"app": public_app.client_id}))
    assert {json.loads(line)["eventType"] for line in by_app.splitlines()} >= {"app.oauth2.client.lifecycle.create"}
    assert all(confidential_app.public_id not in line for line in by_app.splitlines())
    by_user = _body(console_client.get("/console/system-log/export.jsonl", {"user": end_user.username}))
    assert by_user and all(end_user.uid in line for line in by_user.splitlines())
    until = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    dated = _body(console_client.get("/console/system-log/export.jsonl", {"until": until}))
    assert [json.loads(line)["displayMessage"] for line in dated.splitlines()] == ["long ago"]


def test_export_streams_in_batches(console_client, db, monkeypatch):
    from core.systemlog import export

    monkeypatch.setattr(export, "BATCH", 2)
    for i in range(5):
        recording.record("user.session.start", f"event {i}")
    response = console_client.get("/console/system-log/export.jsonl", {"event_type": "user.session.start"})
    chunks = [c for c in response.streaming_content if c]
    assert len(chunks) == 3 and b"".join(chunks).count(b"\n") == 5


def test_an_export_never_holds_a_token(console_client, public_app, end_user):
    family, latest, tokens = make_family(public_app, end_user, rotations=2)
    later = timezone.now() + timedelta(seconds=public_app.leeway + 1)
    with mock.patch("django.utils.timezone.now", return_value=later), pytest.raises(OAuthError):
        use(public_app, tokens[0])
    for fmt in ("csv", "jsonl"):
        body = _body(console_client.get(f"/console/system-log/export.{fmt}"))
        assert family.public_id in body
        for token in tokens:
            assert token not in body


def test_the_log_page_has_the_download_buttons_with_its_filters(console_client, db):
    body = text(console_client.get("/console/system-log/", {"event_type": "user.session.start"}))
    assert 'href="/console/system-log/export.csv?event_type=user.session.start"' in body
    assert 'href="/console/system-log/export.jsonl?event_type=user.session.start"' in body


def test_the_event_type_menu_is_the_catalogue_without_a_distinct_query(console_client, db):
    with CaptureQueriesContext(connection) as queries:
        response = console_client.get("/console/system-log/")
    assert not [q["sql"] for q in queries if "DISTINCT" in q["sql"].upper()]
    choices = dict(response.context["form"].fields["event_type"].choices)
    assert set(choices) - {""} == set(types.CATALOGUE)
    assert "Refresh token reuse detected (custom server)" in choices["app.oauth2.as.token.detect_reuse"]
    assert types.CATALOGUE["user.session.start"] in text(response)  # offered before any such event exists


def test_every_target_of_a_log_row_links_to_its_page(console_client, public_app, end_user):
    family, _, _ = make_family(public_app, end_user)
    revoke_family(family, reason="revoked_by_admin")  # targets the user and the family; the app created targets it
    body = text(console_client.get("/console/system-log/"))
    assert (
        f'<a href="/console/families/{family.public_id}/">RefreshTokenFamily <code>{family.public_id}</code></a>'
        in body
    )
    assert f'<a href="/console/users/{end_user.uid}/">User <code>{end_user.uid}</code></a>' in body
    assert (
        f'<a href="/console/apps/{public_app.public_id}/">AppInstance <code>{public_app.public_id}</code></a>' in body
    )
