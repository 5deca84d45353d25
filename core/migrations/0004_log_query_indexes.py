# Indexes for the system log's three slow queries (docs/system-log-queries.md has their plans and costs):
#
# - `event_published_idx` (published, id) replaces the plain index on `published`: every query that used it
#   still can, and a `since` page reads its first id from the index alone (reading.Log.page). Same entries.
# - `event_refresh_idx` (published, id) holds only the rows the dashboard counts as refreshes
#   (models.REFRESH_GRANT_ROWS): one entry per refresh, read without the table.
# - `event_targets_plain_idx`, a GIN index of `targets` for the rows that are not grant rows (PostgreSQL
#   only): `filter=target.id eq` finds them without reading the log. A grant row's targets are its user and
#   family, which the indexed `user_id` and `family_id` columns already find (reading.filter_events).
#
# On PostgreSQL each index is built CONCURRENTLY, outside a transaction, so token responses keep writing
# their events meanwhile; the new ones come first, the old one goes last, so `published` is never unindexed.

from django.db import migrations, models

TARGETS_INDEX = "event_targets_plain_idx"
NEW_INDEXES = [
    models.Index(fields=["published", "id"], name="event_published_idx"),
    models.Index(
        fields=["published", "id"],
        name="event_refresh_idx",
        condition=models.Q(
            ("debug_data__grantType", "refresh_token"),
            ("event_type__in", ["app.oauth2.token.grant", "app.oauth2.as.token.grant"]),
            ("issued__contains", "access_token"),
        ),
    ),
]


def _old_published_index(schema_editor, model) -> str:
    """The name Django gave `published`'s db_index (tokens_event_published_cfbceba3)."""
    return schema_editor._create_index_name(model._meta.db_table, ["published"])


def forwards(apps, schema_editor):
    model = apps.get_model("core", "Event")
    postgres = schema_editor.connection.vendor == "postgresql"
    for index in NEW_INDEXES:
        if postgres:  # a build that failed half-way leaves an invalid index: built again
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {index.name}")
            schema_editor.execute(index.create_sql(model, schema_editor, concurrently=True), params=None)
        else:
            schema_editor.add_index(model, index)
    if postgres:
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {TARGETS_INDEX} ON {model._meta.db_table} "
            "USING gin (targets jsonb_path_ops) WHERE issued = ''"
        )
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {_old_published_index(schema_editor, model)}")
    else:
        schema_editor.execute(f"DROP INDEX IF EXISTS {_old_published_index(schema_editor, model)}")


def backwards(apps, schema_editor):
    model = apps.get_model("core", "Event")
    postgres = schema_editor.connection.vendor == "postgresql"
    concurrently = "CONCURRENTLY " if postgres else ""
    table = model._meta.db_table
    schema_editor.execute(
        f"CREATE INDEX {concurrently}IF NOT EXISTS {_old_published_index(schema_editor, model)} ON {table} (published)"
    )
    for name in [TARGETS_INDEX] + [index.name for index in NEW_INDEXES]:
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("core", "0003_event_per_grant"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name="event", name="published", field=models.DateTimeField()),
                *[migrations.AddIndex(model_name="event", index=index) for index in NEW_INDEXES],
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
