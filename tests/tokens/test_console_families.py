"""Console: a token family's page and its server-rendered timeline."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from core.systemlog.audit import Audit
from tests.kit.console import make_family, text, use
from tokens import reports
from tokens.lifecycle import families as lifecycle
from tokens.oauth.errors import OAuthError
from tokens.servers.registry import get_server


def replay_after_leeway(app, token):
    later = timezone.now() + timedelta(seconds=app.leeway + 1)
    with mock.patch("django.utils.timezone.now", return_value=later), pytest.raises(OAuthError):
        use(app, token)


def test_timeline_shows_issue_rotations_grace_and_reuse(console_client, public_app, end_user):
    family, latest, tokens = make_family(public_app, end_user, rotations=2)
    use(public_app, tokens[0])  # grace
    replay_after_leeway(public_app, tokens[0])
    response = console_client.get(f"/console/families/{family.public_id}/")
    assert response.status_code == 200
    kinds = [e.kind for e in response.context["timeline"]]
    assert kinds == ["issued", "rotation", "rotation", "grace", "reuse"]
    body = text(response)
    assert "Issued at sign-in: token #1" in body
    assert "Rotated: token #1 replaced by token #2" in body
    assert "Rotated: token #2 replaced by token #3" in body
    assert "Grace-period reuse: token #4 minted" in body
    assert "Reuse detected" in body
    assert body.split('<ol class="timeline">')[1].count('<li class="') == 5
    assert "REVOKED" in body and "reuse_detected" in body
    for token in tokens:
        assert token not in body


def test_timeline_of_a_persistent_token_shows_its_refreshes(console_client, confidential_app, end_user):
    confidential_app.rotation_type = "STATIC"
    confidential_app.save()
    family, token, tokens = make_family(confidential_app, end_user, rotations=2)
    assert tokens == [token] * 3
    timeline = reports.family_timeline(family)
    assert [e.kind for e in timeline] == ["issued", "refresh", "refresh"]
    later = timezone.now() + timedelta(seconds=5)
    with mock.patch("django.utils.timezone.now", return_value=later):
        use(confidential_app, token)
    assert [e.kind for e in reports.family_timeline(family)][-1] == "refresh"


def test_three_persistent_refreshes_in_one_second_show_as_three(confidential_app, end_user):
    confidential_app.rotation_type = "STATIC"
    confidential_app.save()
    family, _, _ = make_family(confidential_app, end_user, rotations=3)
    kinds = [e.kind for e in reports.family_timeline(family)]
    assert kinds == ["issued", "refresh", "refresh", "refresh"]


def test_reuse_entry_names_the_replayed_token_and_where_it_came_from(console_client, public_app, end_user):
    family, _, tokens = make_family(public_app, end_user, rotations=3)
    later = timezone.now() + timedelta(seconds=public_app.leeway + 1)
    audit = Audit(ip="203.0.113.9", user_agent="curl/8.5")
    with mock.patch("django.utils.timezone.now", return_value=later), pytest.raises(OAuthError):
        row = lifecycle.find_token(tokens[1])
        lifecycle.refresh(
            row=row,
            presented=tokens[1],
            client=public_app,
            server=get_server("default"),
            requested_scopes=None,
            audit=audit,
        )
    reuse = reports.family_timeline(family)[-1]
    assert reuse.kind == "reuse"
    assert reuse.detail.startswith("Token #2 was replayed")
    assert "203.0.113.9" in reuse.detail and "curl/8.5" in reuse.detail
    body = text(console_client.get(f"/console/families/{family.public_id}/"))
    assert "Token #2 was replayed after its grace period from 203.0.113.9 (curl/8.5)" in body


def test_runs_of_rotations_are_grouped_and_expandable(console_client, public_app, end_user):
    family, _, tokens = make_family(public_app, end_user, rotations=5)
    replay_after_leeway(public_app, tokens[0])
    response = console_client.get(f"/console/families/{family.public_id}/")
    timeline = response.context["timeline"]
    assert [e.kind for e in timeline] == ["issued", "group", "reuse"]
    group = timeline[1]
    assert group.title == "5 rotations" and len(group.entries) == 5
    assert group.at == group.entries[0].at and group.until == group.entries[-1].at
    body = text(response)
    assert '<details><summary><span class="what">5 rotations</span>' in body
    assert "Rotated: token #5 replaced by token #6" in body  # the members are in the page, folded


def test_short_runs_stay_as_they_are():
    at = timezone.now()
    entries = [reports.TimelineEntry(at, "rotation", "r"), reports.TimelineEntry(at, "rotation", "r")]
    assert reports.group_runs(entries) == entries


def test_admin_revocation_appears_on_the_timeline(console_client, public_app, end_user):
    family, _, _ = make_family(public_app, end_user)
    console_client.post(f"/console/families/{family.public_id}/revoke/")
    response = console_client.get(f"/console/families/{family.public_id}/")
    timeline = response.context["timeline"]
    assert timeline[-1].kind == "revoke" and timeline[-1].detail == "revoked by admin"
    assert "Revoke family" not in text(response)


def test_revoke_from_the_family_page_returns_to_it(console_client, public_app, end_user):
    family, _, _ = make_family(public_app, end_user)
    response = console_client.post(f"/console/families/{family.public_id}/revoke/")
    assert response["Location"] == f"/console/families/{family.public_id}/"


def test_revoke_ignores_a_next_to_another_site(console_client, public_app, end_user):
    family, _, _ = make_family(public_app, end_user)
    response = console_client.post(f"/console/families/{family.public_id}/revoke/", {"next": "https://evil.test/"})
    assert response["Location"] == f"/console/families/{family.public_id}/"


def test_revoking_twice_says_it_was_already_revoked(console_client, public_app, end_user):
    family, _, _ = make_family(public_app, end_user)
    console_client.post(f"/console/families/{family.public_id}/revoke/")
    response = console_client.post(f"/console/families/{family.public_id}/revoke/", follow=True)
    assert "was already revoked" in text(response)


def test_unknown_family_is_404(console_client):
    assert console_client.get("/console/families/oarNope/").status_code == 404
    assert console_client.post("/console/families/oarNope/revoke/").status_code == 404


def test_non_staff_cannot_see_or_revoke_a_family(client, other_user, public_app, end_user):
    family, _, _ = make_family(public_app, end_user)
    client.force_login(other_user)
    assert client.get(f"/console/families/{family.public_id}/").status_code == 403
    assert client.post(f"/console/families/{family.public_id}/revoke/").status_code == 403
    family.refresh_from_db()
    assert family.status == "ACTIVE"


def test_a_long_family_shows_its_latest_tokens_and_how_it_ended(public_app, end_user):
    family, _, tokens = make_family(public_app, end_user, rotations=6)
    replay_after_leeway(public_app, tokens[0])
    timeline = reports.family_timeline(family, limit=3)
    assert [e.kind for e in timeline] == ["rotation", "rotation", "rotation", "reuse"]
    assert timeline[-2].title == "Rotated: token #6 replaced by token #7"


def test_family_page_says_when_the_timeline_is_cut(console_client, public_app, end_user, monkeypatch):
    family, _, _ = make_family(public_app, end_user, rotations=3)
    monkeypatch.setattr(reports, "TIMELINE_LIMIT", 2)
    response = console_client.get(f"/console/families/{family.public_id}/")
    assert "This family has 4 refresh tokens; the timeline shows its latest 2." in text(response)
    assert [e.title for e in response.context["timeline"]] == [
        "Rotated: token #2 replaced by token #3",
        "Rotated: token #3 replaced by token #4",
    ]
