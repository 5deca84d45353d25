"""The shared tables: the system log (core/systemlog/models.py), the fixed-window counters and the
values seen once (core/replay.py).

The log and the counters were created by the `tokens` app and keep their tables (`tokens_event`,
`tokens_attemptcounter`); migration core.0001 moved only Django's state.
"""

from django.db import models

from .systemlog.models import Event

__all__ = ["AttemptCounter", "Event", "SeenValue"]


class AttemptCounter(models.Model):
    """Attempts counted per key and fixed time window, in the database so every worker shares them.

    `key` names a scope and a hashed subject (`activate-ip:<sha256>`), never a raw IP or session key.
    """

    key = models.CharField(max_length=100)
    window_start = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "tokens_attemptcounter"
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="one_counter_per_window")]


class SeenValue(models.Model):
    """A value that may be used only once until `expires_at` (core/replay.py), by hashed key."""

    key = models.CharField(max_length=100)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key"], name="seenvalue_key_uniq")]
