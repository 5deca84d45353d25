"""The sign-in's assignment check at scale: 10,000 users, 1,000 groups, 30,000 memberships, 50 apps with
100 groups and 100 users each. It stays
ONE statement, and PostgreSQL answers it from indexes (no sequential scan of the membership or
assignment tables), whether the user gets in directly, through a group, or not at all."""

import random
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Group, GroupMembership, User
from clients.models import AppGroupAssignment, AppUserAssignment

USERS, GROUPS, GROUPS_PER_USER, ASSIGNED_GROUPS, APPS = 10_000, 1_000, 3, 100, 50
PLAN = Path(__file__).parents[1] / "artifacts" / "assignment_check_plan.txt"


@pytest.fixture
def directory(make_app):
    rng = random.Random(15)
    User.objects.bulk_create(
        [User(username=f"user{i}@example.com", email=f"user{i}@example.com", password="!") for i in range(USERS)],
        batch_size=2000,
    )
    Group.objects.bulk_create([Group(name=f"Group {i:04d}") for i in range(GROUPS)], batch_size=1000)
    user_ids = list(User.objects.values_list("pk", flat=True))
    group_ids = list(Group.objects.filter(type="OKTA_GROUP").values_list("pk", flat=True))
    GroupMembership.objects.bulk_create(
        [
            GroupMembership(user_id=user, group_id=group)
            for user in user_ids
            for group in rng.sample(group_ids, GROUPS_PER_USER)
        ],
        batch_size=5000,
    )
    apps = [make_app(label=f"App {i}")[0] for i in range(APPS)]
    AppGroupAssignment.objects.all().delete()  # no Everyone: the check must look at groups and users
    AppGroupAssignment.objects.bulk_create(
        [AppGroupAssignment(app=app, group_id=g) for app in apps for g in rng.sample(group_ids, ASSIGNED_GROUPS)],
        batch_size=5000,
    )
    AppUserAssignment.objects.bulk_create(
        [AppUserAssignment(app=app, user_id=u) for app in apps for u in rng.sample(user_ids, 100)], batch_size=5000
    )
    app = apps[0]
    with connection.cursor() as cursor:
        for model in (User, Group, GroupMembership, AppGroupAssignment, AppUserAssignment):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    return app


def _someone(app, *, direct: bool, in_group: bool) -> User:
    direct_ids = AppUserAssignment.objects.filter(app=app).values("user_id")
    grouped = GroupMembership.objects.filter(group__app_assignments__app=app).values("user_id")
    users = User.objects.filter(pk__in=direct_ids) if direct else User.objects.exclude(pk__in=direct_ids)
    users = users.filter(pk__in=grouped) if in_group else users.exclude(pk__in=grouped)
    return users.order_by("pk").first()


@pytest.mark.postgres
def test_the_assignment_check_is_one_indexed_statement_at_10k_users_and_1k_groups(directory):
    app = directory
    cases = {
        "direct": (_someone(app, direct=True, in_group=False), True),
        "through a group": (_someone(app, direct=False, in_group=True), True),
        "not assigned": (_someone(app, direct=False, in_group=False), False),
    }
    plans = []
    for name, (user, expected) in cases.items():
        assert user is not None, name
        with CaptureQueriesContext(connection) as queries:
            assert app.is_assigned_to(user) is expected, name
        assert len(queries.captured_queries) == 1, queries.captured_queries
        sql = queries.captured_queries[0]["sql"]
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        plans.append(f"-- {name}\n{sql}\n{plan}\n")
        for table in (GroupMembership, AppGroupAssignment, AppUserAssignment):
            assert f"Seq Scan on {table._meta.db_table}" not in plan, plan
    PLAN.write_text("\n".join(plans))
