# A token response's grant events become ONE row (core/systemlog/grants.py): `issued` lists its tokens.
# Indexes the log's queries do not need for grant rows leave them out (docs/system-log-queries.md):
# the event-type index and the uuid's uniqueness become partial (`issued = ''`).
#
# No data migration: rows written one per event keep `issued` empty and read as they always did, with
# the uuids SIEM pollers have already seen (merging them would give their events new ones), and
# rewriting a large log would hold its lock for minutes; purgetokens ages them out with the rest.
#
# The new indexes come first, the old ones go last, so the uuid is never unguarded and a filter by
# event type always has an index.

import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_seen_values"),
    ]

    operations = [
        migrations.AddField(
            model_name="event",
            name="issued",
            field=models.CharField(blank=True, default="", max_length=40),
        ),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.UniqueConstraint(
                condition=models.Q(("issued", "")), fields=("uuid",), name="event_uuid_unique"
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="uuid",
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(condition=models.Q(("issued", "")), fields=["event_type"], name="event_type_plain_idx"),
        ),
        migrations.RemoveIndex(
            model_name="event",
            name="event_type_idx",
        ),
    ]
