"""The user search reads pg_trgm indexes on PostgreSQL (accounts migration 0003); the 100,000-user timings are in
the branch's report, this checks the indexes exist and the console's query is planned on them."""

import pytest
from django.db import connection

from accounts.forms import UserSearchForm
from accounts.models import User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

INDEXES = {
    "user_username_trgm": "username",
    "user_email_trgm": "email",
    "user_first_name_trgm": "first_name",
    "user_last_name_trgm": "last_name",
}


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")  # not the username b-tree walk either: a small table
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_pg_trgm_is_installed_and_each_searched_column_has_its_trigram_index():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone()
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'accounts_user'")
        found = dict(cursor.fetchall())
    for name, column in INDEXES.items():
        assert name in found, name
        assert "USING gin" in found[name] and f"upper(({column})::text) gin_trgm_ops" in found[name]
    assert set(User.SEARCH_FIELDS) == set(INDEXES.values())


def test_the_console_search_is_planned_on_the_trigram_indexes(db):
    for i in range(50):
        User.objects.create_user(f"person{i}", f"person{i}@example.com", None, first_name="Pat", last_name=f"L{i}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_user")
    plan = _plan(UserSearchForm({"q": "son4"}).filter(User.objects.all()).order_by("username", "pk")[:26])
    for name in INDEXES:
        assert f"Bitmap Index Scan on {name}" in plan, plan


def test_the_search_finds_substrings_in_any_column_case_blind(db):
    User.objects.create_user("jsmith", "john.smith@corp.test", None, first_name="John", last_name="Smith")
    User.objects.create_user("other", "other@example.com", None, first_name="Ann", last_name="Lee")
    for term in ("SMI", "corp.te", "ohn", "jsm"):
        found = UserSearchForm({"q": term}).filter(User.objects.all())
        assert [u.username for u in found] == ["jsmith"], term
