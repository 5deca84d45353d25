# The system log and the attempt counters move from `tokens` to `core` in Django's state only:
# their tables (tokens_event, tokens_attemptcounter) and indexes stay exactly as they are.

import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("tokens", "0004_equality_only_unique"),
    ]

    state_operations = [
        migrations.CreateModel(
            name="Event",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("uuid", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("published", models.DateTimeField(db_index=True)),
                ("event_type", models.CharField(max_length=80)),
                ("severity", models.CharField(default="INFO", max_length=8)),
                ("display_message", models.CharField(max_length=255)),
                ("outcome_result", models.CharField(default="SUCCESS", max_length=16)),
                ("outcome_reason", models.CharField(blank=True, default="", max_length=255)),
                ("actor", models.JSONField(default=dict)),
                ("client_info", models.JSONField(default=dict)),
                ("targets", models.JSONField(default=list)),
                ("debug_data", models.JSONField(default=dict)),
                ("app_id", models.CharField(blank=True, default="", max_length=100)),
                ("user_id", models.CharField(blank=True, default="", max_length=20)),
                ("family_id", models.CharField(blank=True, default="", max_length=20)),
            ],
            options={
                "db_table": "tokens_event",
                "ordering": ["-id"],
                "indexes": [
                    models.Index(fields=["event_type"], name="event_type_idx"),
                    models.Index(fields=["app_id"], name="event_app_idx"),
                    models.Index(fields=["user_id"], name="event_user_idx"),
                    models.Index(fields=["family_id"], name="event_family_idx"),
                ],
            },
        ),
        migrations.CreateModel(
            name="AttemptCounter",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=100)),
                ("window_start", models.DateTimeField(db_index=True)),
                ("count", models.PositiveIntegerField(default=0)),
            ],
            options={
                "db_table": "tokens_attemptcounter",
                "constraints": [
                    models.UniqueConstraint(fields=("key", "window_start"), name="one_counter_per_window")
                ],
            },
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
