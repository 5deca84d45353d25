"""Console: the dashboard's counts and per-hour chart."""

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
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
