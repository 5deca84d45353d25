"""Console: the system log — newest first, filters, paging, expandable details, never a token."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from core.models import Event
from core.systemlog import recording as events
from tests.kit.console import make_family, text, use
from tokens.oauth.errors import OAuthError


def test_log_lists_events_newest_first(console_client, confidential_app, public_app):
    response = console_client.get("/console/system-log/")
    assert response.status_code == 200
    labels = [e.display_message for e in response.context["page"]]
    assert labels == ["Created app 'Single-page app'", "Created app 'Confidential web app'"]


def test_each_event_expands_to_outcome_and_targets(console_client, confidential_app):
    body = text(console_client.get("/console/system-log/"))
    assert '<details class="event">' in body
    assert "AppInstance <code>" + confidential_app.public_id in body
    assert "&quot;outcome&quot;" in body


def test_filter_by_event_type(console_client, confidential_app, end_user):
    make_family(confidential_app, end_user, rotations=1)
    response = console_client.get("/console/system-log/", {"event_type": "app.oauth2.client.lifecycle.create"})
    types = {e.event_type for e in response.context["page"]}
    assert types == {"app.oauth2.client.lifecycle.create"}
    assert "app.oauth2.as.token.grant.access_token" in text(response)  # offered in the filter


def test_filter_by_app_accepts_its_id_client_id_or_label(console_client, confidential_app, public_app):
    for term in (public_app.public_id, public_app.client_id, "single-page app"):
        page = console_client.get("/console/system-log/", {"app": term}).context["page"]
        assert {e.app_id for e in page} == {public_app.public_id}, term


def test_filter_by_user(console_client, public_app, end_user, other_user):
    make_family(public_app, end_user, rotations=1)
    make_family(public_app, other_user, rotations=1)
    for term in (end_user.uid, end_user.username):
        page = console_client.get("/console/system-log/", {"user": term}).context["page"]
        assert len(page) and {e.user_id for e in page} == {end_user.uid}, term


def test_filter_by_time_range(console_client, db):
    now = timezone.now()
    for hours in (30, 5, 1):
        event = events.record("user.session.start", f"{hours} hours ago")
        Event.objects.filter(pk=event.pk).update(published=now - timedelta(hours=hours))
    since = (now - timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M")
    until = (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    page = console_client.get("/console/system-log/", {"since": since, "until": until}).context["page"]
    assert [e.display_message for e in page] == ["5 hours ago"]


def test_bad_filter_values_are_reported_not_500(console_client, confidential_app):
    response = console_client.get("/console/system-log/", {"since": "yesterday", "event_type": "nope"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "since" in errors and "event_type" in errors
    assert "Enter a valid date/time." in text(response)


def test_to_before_from_is_an_error_beside_to(console_client, db):
    response = console_client.get("/console/system-log/", {"since": "2026-01-02T00:00", "until": "2026-01-01T00:00"})
    assert "'To' must be after 'From'." in text(response).replace("&#x27;", "'")


def test_log_pages_25_at_a_time_and_keeps_filters(console_client, db):
    for i in range(30):
        events.record("user.session.start", f"event {i}")
    first = console_client.get("/console/system-log/", {"event_type": "user.session.start"})
    assert len(first.context["page"]) == 25
    assert "event 29" in text(first)
    next_query = first.context["page"].next_query  # keyset paging: the old `page=2` link is an `after=` cursor
    assert "event_type=user.session.start" in next_query and "after=" in next_query
    assert next_query.replace("&", "&amp;") in text(first)
    second = console_client.get("/console/system-log/?" + next_query)
    assert [e.display_message for e in second.context["page"]] == [f"event {i}" for i in range(4, -1, -1)]


def test_log_never_shows_a_token(console_client, public_app, end_user):
    family, latest, tokens = make_family(public_app, end_user, rotations=2)
    later = timezone.now() + timedelta(seconds=public_app.leeway + 1)
    with mock.patch("django.utils.timezone.now", return_value=later), pytest.raises(OAuthError):
        use(public_app, tokens[0])
    body = text(console_client.get("/console/system-log/"))
    assert "Refresh token reuse detected" in body
    for token in tokens:
        assert token not in body
