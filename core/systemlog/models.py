import uuid

from django.db import models


class Event(models.Model):
    """A system-log event (Okta's LogEvent). `id` is the monotonic order; never holds a token.

    The indexed id columns let the console and `/api/v1/logs` filter by app, user and family
    without a JSON query, and survive the deletion of what they name. Plain indexes (Meta), not
    `db_index`: on PostgreSQL that adds a second, LIKE-only index per column, which nothing queries
    and every token grant would pay for three times.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    published = models.DateTimeField(db_index=True)
    event_type = models.CharField(max_length=80)
    severity = models.CharField(max_length=8, default="INFO")
    display_message = models.CharField(max_length=255)
    outcome_result = models.CharField(max_length=16, default="SUCCESS")
    outcome_reason = models.CharField(max_length=255, blank=True, default="")
    actor = models.JSONField(default=dict)
    client_info = models.JSONField(default=dict)
    targets = models.JSONField(default=list)
    debug_data = models.JSONField(default=dict)
    app_id = models.CharField(max_length=100, blank=True, default="")
    user_id = models.CharField(max_length=20, blank=True, default="")
    family_id = models.CharField(max_length=20, blank=True, default="")

    class Meta:
        app_label = "core"
        db_table = "tokens_event"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["event_type"], name="event_type_idx"),
            models.Index(fields=["app_id"], name="event_app_idx"),
            models.Index(fields=["user_id"], name="event_user_idx"),
            models.Index(fields=["family_id"], name="event_family_idx"),
        ]
