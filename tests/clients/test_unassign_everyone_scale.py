"""Unassigning Everyone from an app at 10,000 users: the users who lost access get their cut-off (so their
access tokens without a family are refused) and their families there are revoked; those still assigned
through another group or directly keep theirs, and nobody's cut-off at another app moves. The cut-offs are
ONE statement on PostgreSQL, whatever the number of users (tests/artifacts/unassign_everyone.txt: the time)."""

import time
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import groups
from accounts.models import Group, GroupMembership, User
from clients import assignments
from clients.models import AppGroupAssignment, AppUserAssignment
from tokens.lifecycle import revocation
from tokens.models import TokenFamily, TokensValidAfter

USERS, IN_GROUP, DIRECT, FAMILIES = 10_000, 100, 100, 300
TIMING = Path(__file__).parents[1] / "artifacts" / "unassign_everyone.txt"


@pytest.fixture
def directory(make_app):
    User.objects.bulk_create(
        [User(username=f"user{i}@example.com", email=f"user{i}@example.com", password="!") for i in range(USERS)],
        batch_size=2000,
    )
    users = list(User.objects.order_by("pk").values_list("pk", flat=True))
    app, other = make_app(label="Busy app")[0], make_app(label="Other app")[0]
    staff = Group.objects.create(name="Staff")
    GroupMembership.objects.bulk_create([GroupMembership(user_id=u, group=staff) for u in users[:IN_GROUP]])
    AppGroupAssignment.objects.create(app=app, group=staff)
    AppUserAssignment.objects.bulk_create(
        [AppUserAssignment(app=app, user_id=u) for u in users[IN_GROUP : IN_GROUP + DIRECT]]
    )
    now = timezone.now()
    # Families of kept users (group, direct) and of users who lose access, at the app and at the other app.
    holders = users[: FAMILIES // 3] + users[IN_GROUP : IN_GROUP + FAMILIES // 3] + users[-(FAMILIES // 3) :]
    TokenFamily.objects.bulk_create(
        [
            TokenFamily(client=a, user_id=u, server="org", auth_time=now, idle_minutes=60)
            for a in (app, other)
            for u in holders
        ]
    )
    earlier = now.replace(year=now.year - 1)
    TokensValidAfter.objects.bulk_create(
        [TokensValidAfter(user_id=u, client=app, valid_after=earlier) for u in users[-5:]]
    )
    TokensValidAfter.objects.bulk_create(
        [TokensValidAfter(user_id=u, client=other, valid_after=earlier) for u in users[-5:]]
    )
    with connection.cursor() as cursor:
        for model in (User, GroupMembership, AppGroupAssignment, AppUserAssignment, TokenFamily, TokensValidAfter):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    return app, other, users, earlier


@pytest.mark.postgres
def test_unassigning_everyone_cuts_off_only_those_who_lost_access_in_one_statement(directory):
    app, other, users, earlier = directory
    kept, lost = set(users[: IN_GROUP + DIRECT]), set(users[IN_GROUP + DIRECT :])
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        revoked = assignments.unassign_group(app, Group.everyone())
    elapsed = time.perf_counter() - started

    assert revoked == FAMILIES // 3  # the families of users who lost access, at this app only
    at_app = TokenFamily.objects.filter(client=app)
    assert set(at_app.filter(status="REVOKED").values_list("user_id", flat=True)) == lost & set(
        at_app.values_list("user_id", flat=True)
    )
    assert set(at_app.filter(status="ACTIVE").values_list("user_id", flat=True)) <= kept
    assert not TokenFamily.objects.filter(client=other, status="REVOKED").exists()

    cutoffs = TokensValidAfter.objects.filter(client=app)
    assert set(cutoffs.values_list("user_id", flat=True)) == lost
    assert not cutoffs.filter(valid_after__lte=earlier).exists()  # the older cut-offs moved to now
    assert set(TokensValidAfter.objects.filter(client=other).values_list("valid_after", flat=True)) == {earlier}
    writes = [q for q in queries.captured_queries if "tokens_tokensvalidafter" in q["sql"]]
    TIMING.write_text(
        f"Everyone unassigned from an app at {USERS:,} users: {elapsed:.3f} s, {len(queries)} statements; "
        f"the cut-offs: {len(writes)} statement(s), {sum(float(q['time']) for q in writes):.3f} s\n"
    )
    assert len(writes) == 1, [q["sql"][:200] for q in writes]


@pytest.mark.parametrize("users", [User.objects.none, lambda: User.objects.filter(pk__in=[])])
def test_no_users_lose_nothing_and_write_no_cut_off(confidential_app, end_user, users):
    assert revocation.revoke_families_of_users_at(confidential_app, users(), reason="app_unassigned") == 0
    assert not TokensValidAfter.objects.exists()


def test_deleting_a_group_without_members_that_an_app_is_assigned_to(confidential_app):
    group = Group.objects.create(name="Empty")
    AppGroupAssignment.objects.create(app=confidential_app, group=group)
    assert groups.delete_group(group) == 0
    assert not Group.objects.filter(pk=group.pk).exists()
