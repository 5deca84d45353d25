"""core/console_paging.py: keyset paging for every console list, stable under inserts, without COUNT or OFFSET."""

from urllib.parse import parse_qs

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from core.console_paging import PAGE_SIZES, Sort, keyset_page
from core.models import Event
from core.systemlog import recording
from tests.kit.console import make_family, text

SORTS = [Sort("username", "username", "Username"), Sort("joined", "date_joined", "Joined", descending=True)]
rf = RequestFactory()


def _users(names):
    return [User.objects.create_user(name, f"{name}@example.com", None) for name in names]


def _walk(fetch, first_params=None, *, step="next_query"):
    """Every page from the first, following `step`; returns the pages' usernames in order."""
    params, seen = dict(first_params or {}), []
    for _ in range(100):
        page = fetch(params)
        seen.append([u.username for u in page])
        if not getattr(page, "has_next" if step == "next_query" else "has_previous"):
            return seen
        params = {k: v[0] for k, v in parse_qs(getattr(page, step)).items()}
    raise AssertionError("the pager did not end")


def test_pages_follow_the_sort_key_then_the_primary_key(db):
    _users([f"u{i:02}" for i in range(7)])
    pages = _walk(lambda p: keyset_page(rf.get("/", {"size": "25", **p}), User.objects.all(), SORTS))
    assert pages == [[f"u{i:02}" for i in range(7)]]
    first = keyset_page(rf.get("/"), User.objects.all(), SORTS)
    assert not first.has_next and not first.has_previous


def test_inserts_between_page_loads_neither_skip_nor_repeat_a_row(db):
    """Rows inserted before, between and after the cursor while paging: each row present at the start is shown exactly
    once, and what was inserted after the cursor is shown too (in order)."""
    _users([f"m{i:03}" for i in range(0, 120, 2)])  # m000, m002, ... m118: 60 users
    before = {u.username for u in User.objects.all()}
    params, seen, inserted = {}, [], 0
    for round_no in range(10):
        page = keyset_page(rf.get("/", params), User.objects.all(), SORTS)
        seen += [u.username for u in page]
        # Insert rows on both sides of the cursor: before it (already passed) and just after it (still to come).
        _users([f"a{round_no}", f"{seen[-1]}x{round_no}", f"z{round_no}"])
        inserted += 3
        if not page.has_next:
            break
        params = {k: v[0] for k, v in parse_qs(page.next_query).items()}
    assert len(seen) == len(set(seen)), "a row was repeated"
    assert before <= set(seen), f"rows were skipped: {sorted(before - set(seen))}"
    assert seen == sorted(seen), "rows came out of order"
    assert any("x" in name for name in seen), "rows inserted just after the cursor are shown"
    assert not any(name.startswith("a") for name in seen), "rows inserted behind the cursor are not shown"


def test_equal_sort_values_are_split_by_the_primary_key(db):
    """Many rows with the same sort value (one second): the primary key keeps the order total across pages."""
    for i in range(60):
        recording.record("user.session.start", f"e{i}")
    Event.objects.update(published=Event.objects.first().published)
    sorts = [Sort("time", "published", "Time", descending=True)]
    pages, params = [], {}
    while True:
        page = keyset_page(rf.get("/", params), Event.objects.all(), sorts)
        pages += [e.display_message for e in page]
        if not page.has_next:
            break
        params = {k: v[0] for k, v in parse_qs(page.next_query).items()}
    assert pages == [f"e{i}" for i in range(59, -1, -1)]


def test_previous_and_last_pages_come_back_in_order(db):
    _users([f"p{i:03}" for i in range(60)])
    last = keyset_page(rf.get("/", {"last": "1"}), User.objects.all(), SORTS)
    assert [u.username for u in last] == [f"p{i:03}" for i in range(35, 60)]
    assert last.has_previous and not last.has_next
    backwards = _walk(
        lambda p: keyset_page(rf.get("/", p or {"last": "1"}), User.objects.all(), SORTS), step="previous_query"
    )
    assert backwards[-1] == [f"p{i:03}" for i in range(25)]
    # stepping back to the start shows the whole first page (it may overlap the page after it)
    assert sorted({name for page in backwards for name in page}) == [f"p{i:03}" for i in range(60)]
    assert all(page == sorted(page) for page in backwards)


def test_sort_direction_and_page_size_are_chosen_by_the_url(db):
    _users([f"s{i:03}" for i in range(60)])
    page = keyset_page(rf.get("/", {"sort": "-username", "size": "50"}), User.objects.all(), SORTS)
    assert len(page) == 50 and page[0].username == "s059"
    assert "sort=-username" in page.next_query and "size=50" in page.next_query
    assert [n for n, _q, current in page.sizes if current] == [50]
    assert [n for n, _q, _c in page.sizes] == list(PAGE_SIZES)
    # a size or sort outside the list falls back to the default, a bad cursor to the first page
    odd = keyset_page(rf.get("/", {"sort": "password", "size": "1000", "after": "!!nope"}), User.objects.all(), SORTS)
    assert len(odd) == 25 and odd[0].username == "s000" and not odd.has_previous


def test_no_page_counts_the_table_or_uses_an_offset(db):
    _users([f"c{i:03}" for i in range(60)])
    first = keyset_page(rf.get("/"), User.objects.all(), SORTS)
    with CaptureQueriesContext(connection) as queries:
        page = keyset_page(
            rf.get("/", {k: v[0] for k, v in parse_qs(first.next_query).items()}), User.objects.all(), SORTS
        )
    assert len(page) == 25 and len(queries) == 1
    sql = queries[0]["sql"].upper()
    assert "COUNT(" not in sql and "OFFSET" not in sql and "LIMIT 26" in sql


@pytest.mark.parametrize(
    ("url", "make"),
    [
        ("/console/users/", "users"),
        ("/console/apps/", "apps"),
        ("/console/system-log/", "events"),
        ("/console/tokens/", "families"),
        ("app-tokens", "families"),
    ],
)
def test_every_console_list_pages_by_cursor(console_client, confidential_app, end_user, make_app, url, make):
    if make == "users":
        _users([f"list{i:03}" for i in range(30)])
    elif make == "apps":
        for i in range(30):
            make_app(label=f"App {i}")
    elif make == "events":
        for i in range(30):
            recording.record("user.session.start", f"event {i}")
    else:
        for _ in range(30):
            make_family(confidential_app, end_user)
    if url == "app-tokens":
        url = f"/console/apps/{confidential_app.public_id}/tokens/"
    first = console_client.get(url)
    assert first.status_code == 200
    page = first.context["page"]
    assert len(page) == 25 and page.has_next and not page.has_previous
    body = text(first)
    assert "after=" in body and "last=1" in body and "Page 1 of" not in body and "in all" not in body
    rows = [r.pk for r in page]
    second = console_client.get(f"{url}?{page.next_query}").context["page"]
    assert not set(rows) & {r.pk for r in second}
    assert second.has_previous
    walked, step = rows + [r.pk for r in second], second
    while step.has_next:
        step = console_client.get(f"{url}?{step.next_query}").context["page"]
        walked += [r.pk for r in step]
    assert len(walked) == len(set(walked))
    last = console_client.get(f"{url}?{page.last_query}").context["page"]
    assert [r.pk for r in last] == walked[-25:] and not last.has_next
