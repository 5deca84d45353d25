"""Trigram indexes for the user search (console and `/api/v1/users?q=`), on PostgreSQL only.

Both searches filter `UPPER(column::text) LIKE UPPER(pattern)` (Django's `icontains` and `istartswith`), so each
searched column gets a GIN index of pg_trgm over exactly that expression: substring and prefix matches of three or
more characters then read the index instead of every row. pg_trgm is a trusted extension (PostgreSQL 13+), so the
database owner may create it. Built CONCURRENTLY, outside a transaction, so signing in is not blocked meanwhile.
SQLite gets nothing (it has neither; the search stays a scan there).
"""

from django.db import migrations

# index name -> the column it serves (accounts.models.User.SEARCH_FIELDS)
TRIGRAM_INDEXES = {
    "user_username_trgm": "username",
    "user_email_trgm": "email",
    "user_first_name_trgm": "first_name",
    "user_last_name_trgm": "last_name",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} "
            f"ON accounts_user USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("accounts", "0003_must_change_password")]

    operations = [migrations.RunPython(create, drop)]
