"""The global token-family search (/console/tokens/) and the filters of an app's Tokens tab."""

from datetime import timedelta

from django.utils import timezone

from tests.kit.console import make_family, text
from tokens.lifecycle.revocation import revoke_family
from tokens.models import TokenFamily


def _ids(response) -> set[str]:
    assert response.status_code == 200
    return {f.public_id for f in response.context["page"]}


def _setup(confidential_app, public_app, end_user, other_user):
    a, _, _ = make_family(confidential_app, end_user, rotations=2)
    b, _, _ = make_family(public_app, end_user)
    c, _, _ = make_family(confidential_app, other_user)
    revoke_family(c, reason="revoked_by_admin")
    return a, b, c


def test_search_by_user_app_status_and_family_id(console_client, confidential_app, public_app, end_user, other_user):
    a, b, c = _setup(confidential_app, public_app, end_user, other_user)
    url = "/console/tokens/"
    assert _ids(console_client.get(url)) == {a.public_id, b.public_id, c.public_id}
    assert _ids(console_client.get(url, {"user": end_user.uid})) == {a.public_id, b.public_id}
    assert _ids(console_client.get(url, {"user": other_user.username.upper()})) == {c.public_id}
    for term in (public_app.public_id, public_app.client_id, "single-page APP"):
        assert _ids(console_client.get(url, {"app": term})) == {b.public_id}, term
    assert _ids(console_client.get(url, {"status": "REVOKED"})) == {c.public_id}
    assert _ids(console_client.get(url, {"status": "ACTIVE", "app": confidential_app.public_id})) == {a.public_id}
    assert _ids(console_client.get(url, {"family": b.public_id})) == {b.public_id}
    assert _ids(console_client.get(url, {"user": "nobody"})) == set()


def test_search_rows_show_usage_and_link_to_the_timeline(console_client, public_app, end_user):
    family, _, _ = make_family(public_app, end_user, rotations=2)  # a public client's tokens rotate
    response = console_client.get("/console/tokens/", {"family": family.public_id})
    row = response.context["page"][0]
    assert row.rotations == 2 and row.grace_uses == 0 and row.last_used is not None
    assert f'href="/console/families/{family.public_id}/"' in text(response)
    assert f'href="/console/apps/{public_app.public_id}/"' in text(response)


def test_a_bad_status_is_reported_and_ignored(console_client, confidential_app, end_user):
    family, _, _ = make_family(confidential_app, end_user)
    response = console_client.get("/console/tokens/", {"status": "SOMETIMES"})
    assert _ids(response) == {family.public_id}
    assert "status" in response.context["form"].errors


def test_dashboard_card_links_to_the_active_families(console_client, confidential_app, end_user):
    make_family(confidential_app, end_user)
    body = text(console_client.get("/console/"))
    assert 'href="/console/tokens/?status=ACTIVE"' in body


def test_app_tokens_tab_filters_by_user_status_and_created_range(
    console_client, confidential_app, public_app, end_user, other_user
):
    a, _b, c = _setup(confidential_app, public_app, end_user, other_user)
    old, _, _ = make_family(confidential_app, end_user)
    TokenFamily.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=10))
    url = f"/console/apps/{confidential_app.public_id}/tokens/"
    assert _ids(console_client.get(url)) == {a.public_id, c.public_id, old.public_id}  # never another app's
    assert _ids(console_client.get(url, {"user": end_user.username})) == {a.public_id, old.public_id}
    assert _ids(console_client.get(url, {"status": "REVOKED"})) == {c.public_id}
    since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    until = (timezone.now() - timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    assert _ids(console_client.get(url, {"since": since})) == {a.public_id, c.public_id}
    assert _ids(console_client.get(url, {"until": until})) == {old.public_id}
    response = console_client.get(url, {"user": "nobody"})
    assert _ids(response) == set() and "No token families match these filters." in text(response)
    assert "app" not in response.context["form"].fields  # the tab's app is given


def test_app_tokens_tab_filter_survives_paging(console_client, confidential_app, end_user, other_user):
    for _ in range(27):
        make_family(confidential_app, end_user)
    make_family(confidential_app, other_user)
    url = f"/console/apps/{confidential_app.public_id}/tokens/"
    first = console_client.get(url, {"user": end_user.uid})
    page = first.context["page"]
    assert len(page) == 25 and "user=" in page.next_query
    second = console_client.get(f"{url}?{page.next_query}").context["page"]
    assert len(second) == 2 and {f.user_id for f in second} == {end_user.pk}
