import uuid

from django.db import models

from . import types

# The rows the dashboard counts as refreshes: a token response (a grant row, grants.py) to a refresh_token
# grant that issued an access token. Written once: the partial index `event_refresh_idx` below is built on
# it and tokens/reports.py filters with it, so PostgreSQL proves the query is within the index.
# (Rows written one per event before grant rows, `issued` empty, are counted apart: grants.of_type.)
REFRESH_GRANT_ROWS = models.Q(
    event_type__in=types.oauth2_both("token.grant"),
    issued__contains="access_token",
    debug_data__grantType="refresh_token",
)


class Event(models.Model):
    """A system-log event (Okta's LogEvent). `id` is the monotonic order; never holds a token.

    A token response's grant events are ONE row (`issued` lists the tokens, grants.py derives Okta's
    per-token events when the log is read); every other event is a row of its own (`issued` empty).

    The indexed id columns let the console and `/api/v1/logs` filter by app, user and family
    without a JSON query, and survive the deletion of what they name. Plain indexes (Meta), not
    `db_index`: on PostgreSQL that adds a second, LIKE-only index per column, which nothing queries.
    Only indexes a query of the log uses are kept (docs/system-log-queries.md has each plan). The
    event-type index and the uuid's uniqueness leave grant rows out: the bulk of the log, found by
    walking `id` (they are most rows of any stretch of it), and never looked up by uuid.
    `published` is indexed with `id` so that the first id of a `since` is read from the index alone
    (reading.Log.page); the dashboard's refresh count has a partial index of the rows it counts, and
    `targets` a GIN index of the rows that are not grant rows (core/migrations/0004_log_query_indexes.py).
    """

    uuid = models.UUIDField(default=uuid.uuid4, editable=False)
    published = models.DateTimeField()
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
    # A grant row's tokens, space-separated in grants.KINDS order ("access_token id_token refresh_token").
    issued = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        app_label = "core"
        db_table = "tokens_event"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["event_type"], name="event_type_plain_idx", condition=models.Q(issued="")),
            models.Index(fields=["app_id"], name="event_app_idx"),
            models.Index(fields=["user_id"], name="event_user_idx"),
            models.Index(fields=["family_id"], name="event_family_idx"),
            models.Index(fields=["published", "id"], name="event_published_idx"),
            models.Index(fields=["published", "id"], name="event_refresh_idx", condition=REFRESH_GRANT_ROWS),
        ]
        constraints = [
            # tokens/oauth/limits.py finds its aggregated event by uuid (with `issued=""`, so this index serves it)
            models.UniqueConstraint(fields=["uuid"], condition=models.Q(issued=""), name="event_uuid_unique"),
        ]
