"""Console: the dashboard's counts and per-hour chart."""

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from core.models import Event
from tests.kit.console import make_family, text, use
from tokens import reports
from tokens.oauth.errors import OAuthError


# Mid-hour: the replay below is dated 31 s ahead, which in the last half-minute of an hour would
# land in the next hour, past the chart's last bar (this test failed once at 13:59:50).
@time_machine.travel(timezone.now().replace(minute=10), tick=True)
def test_dashboard_counts_apps_families_refreshes_and_reuse(console_client, public_app, confidential_app, end_user):
    console_client.post(f"/console/apps/{confidential_app.public_id}/deactivate/")
    family, latest, tokens = make_family(public_app, end_user, rotations=3)
    make_family(public_app, end_user, rotations=1)
    later = timezone.now() + timedelta(seconds=public_app.leeway + 1)
    with mock.patch("django.utils.timezone.now", return_value=later), pytest.raises(OAuthError):
        use(public_app, tokens[0])
    response = console_client.get("/console/")
    assert response.status_code == 200
    ctx = response.context
    assert (ctx["active_apps"], ctx["active_families"]) == (1, 1)
    assert ctx["refreshes_24h"] == 4 and ctx["reuses_24h"] == 1
    body = text(response)
    assert '<div class="num" id="stat-refreshes">4</div>' in body
    assert '<div class="num" id="stat-reuses">1</div>' in body
    assert family.public_id in body  # listed under latest reuse detections


def test_chart_has_24_hourly_bars_scaled_to_the_peak(db):
    now = timezone.now().replace(minute=30)
    for hours_ago, n in ((0, 4), (3, 2), (30, 7)):
        for _ in range(n):
            e = Event.objects.create(
                published=now - timedelta(hours=hours_ago),
                event_type="app.oauth2.token.grant.access_token",
                display_message="Access token granted by refresh",
                debug_data={"grantType": "refresh_token"},
            )
            assert e.pk
    Event.objects.create(
        published=now, event_type="app.oauth2.token.grant.access_token", display_message="by code", debug_data={}
    )
    data = reports.dashboard(now)
    bars = data["bars"]
    assert len(bars) == 24
    assert [b.refreshes for b in bars][-1] == 4 and [b.refreshes for b in bars][-4] == 2
    assert data["refreshes_24h"] == 6  # the event 30 hours ago and the code grant are not counted
    assert bars[-1].refresh_px == 130 and bars[-4].refresh_px == 65 and bars[0].refresh_px == 0
    assert bars[-1].refresh_y == 10


def test_empty_dashboard_renders(console_client):
    response = console_client.get("/console/")
    assert response.status_code == 200
    assert "No refresh token was replayed in the last 24 hours." in text(response)


def _refresh_events(at, n):
    Event.objects.bulk_create(
        Event(
            published=at,
            event_type="app.oauth2.token.grant.access_token",
            display_message="Access token granted by refresh",
            debug_data={"grantType": "refresh_token"},
        )
        for _ in range(n)
    )


def test_one_reuse_among_ten_thousand_refreshes_is_a_full_bar_on_its_own_panel(db):
    now = timezone.now().replace(minute=30)
    _refresh_events(now, 10_000)
    Event.objects.create(published=now - timedelta(hours=2), event_type="app.oauth2.token.detect_reuse")
    charts = {c.id: c for c in reports.dashboard(now)["charts"]}
    reuse = charts["reuses"]
    assert reuse.peak == 1 and reuse.columns[-3].rects[0].px == 130
    assert [c.rects[0].value for c in reuse.columns].count(1) == 1
    assert charts["refreshes"].peak == 10_000 and charts["refreshes"].columns[-1].rects[0].px == 130


def test_dashboard_counts_sign_ins_and_their_failures(console_client, end_user):
    browser = Client()
    browser.post("/accounts/login/", {"username": end_user.username, "password": "alice password 1"})
    for _ in range(2):
        browser.post("/accounts/login/", {"username": end_user.username, "password": "wrong"})
    response = console_client.get("/console/")
    assert (response.context["sign_ins_24h"], response.context["failed_sign_ins_24h"]) == (1, 2)
    chart = {c.id: c for c in response.context["charts"]}["sign-ins"]
    assert chart.totals == [1, 2]
    body = text(response)
    assert '<div class="num" id="stat-failed-sign-ins">2</div>' in body


def test_dashboard_counts_failed_client_authentications_from_their_aggregated_events(db, confidential_app):
    now = timezone.now().replace(minute=30)
    Event.objects.create(
        published=now - timedelta(minutes=5),
        event_type="app.oauth2.invalid_client_credentials",
        outcome_result="FAILURE",
        debug_data={"failures": 7},
    )
    data = reports.dashboard(now)
    assert data["invalid_client_24h"] == 7
    errors = {c.id: c for c in data["charts"]}["endpoint-errors"]
    assert errors.columns[-1].rects[0].value == 7


def test_each_chart_has_a_time_axis_with_now_and_a_data_table(console_client, public_app, end_user):
    make_family(public_app, end_user, rotations=2)
    body = text(console_client.get("/console/"))
    assert body.count('<details class="chart-data">') == 4 and body.count("now (") == 4
    table = body.split('id="chart-refreshes"')[1].split("</section>")[0]
    assert '<th scope="col">Refreshes</th>' in table and '<tfoot><tr><th scope="row">Total</th><td>2</td>' in table
