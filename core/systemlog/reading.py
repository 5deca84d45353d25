"""Reading the system log: from the read replica when DATABASE_REPLICA_URL is set, the `filter`
expressions of `/api/v1/logs`, and `Log`, the events a reader asks for (a grant row read as its
per-token events, grants.py), in pages or streamed."""

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.db import OperationalError, connection, connections
from django.db.models import F, Min, Q, QuerySet

from . import grants
from .models import Event

logger = logging.getLogger(__name__)

_CLAUSE = re.compile(r'^(eventType|target\.id|actor\.id|outcome\.result|severity)\s+eq\s+"([^"\\]{1,255})"$')
HEAD_ROWS = 1000  # the log's first rows, where Log.first_id_since() looks first
FILTER_HELP = 'Use eventType, target.id, actor.id, outcome.result or severity eq "value", joined by and.'


def log_reads():
    """Events to read the system log from: the read replica when DATABASE_REPLICA_URL is set.

    The log only grows, and the people and SIEM pollers who read it tolerate a moment of lag;
    nothing that decides about a token reads it, so it is the one place the replica serves. A
    replica that cannot be reached is skipped for the primary, so the log never fails with it."""
    if "replica" not in settings.DATABASES:
        return Event.objects.all()
    try:
        connections["replica"].ensure_connection()
    except OperationalError:
        logger.warning("The read replica cannot be reached; the system log is read from the primary.")
        return Event.objects.all()
    return Event.objects.using("replica")


class BadFilter(ValueError):
    """A `filter` expression outside the supported syntax (FILTER_HELP says what is)."""


@dataclass(frozen=True)
class Log:
    """The events a reader asks for: the rows that hold them, and the event types a filter keeps.

    A grant row stands for up to three events (grants.py); `types`, set by an event-type filter, says
    which of them to show. A position in the log is (row id, part): `part` orders a row's events.
    `since`, set by published_since(), lets the first page of an ascending read start at its first row."""

    rows: QuerySet
    types: frozenset[str] | None = None
    since: datetime | None = None

    def filter(self, *args, **kwargs) -> "Log":
        return replace(self, rows=self.rows.filter(*args, **kwargs))

    def published_since(self, moment: datetime) -> "Log":
        return replace(self, rows=self.rows.filter(published__gte=moment), since=moment)

    def first_id_since(self) -> int | None:
        """The smallest id published at or after `since` (None: no such row), with `since`'s filter alone.

        Ids and times grow together, which the planner cannot know: for `published >= since ORDER BY id` it
        expects matching rows all along `id` and walks it from the log's start, past every older row (0.26 s
        at 200,000 rows). An old `since` matches among the log's first rows: found there, in HEAD_ROWS rows.
        Else the minimum is read from `event_published_idx` alone, one entry per row since `since` (`+ 0`
        keeps PostgreSQL from answering min(id) by the same walk)."""
        events = self.rows.model.objects.using(self.rows.db).order_by()
        head = events.filter(pk__in=events.order_by("pk").values("pk")[:HEAD_ROWS])
        first = head.filter(published__gte=self.since).aggregate(first=Min("pk"))["first"]
        if first is None:
            first = events.filter(published__gte=self.since).aggregate(first=Min(F("pk") + 0))["first"]
        return first

    def page_rows(self, *, descending: bool, after: tuple[int, int | None] | None, limit: int) -> QuerySet:
        """The rows page() reads for `limit` events after position `after`. An ascending first page of a
        `since` starts at its first id (first_id_since()): the same rows, found without walking older ones."""
        rows = self.rows
        if after is not None:
            pk, part = after
            op = ("lt" if descending else "gt") + ("e" if part is not None else "")
            rows = rows.filter(**{f"pk__{op}": pk})
        elif self.since is not None and not descending:
            first = self.first_id_since()
            rows = rows.none() if first is None else rows.filter(pk__gte=first)
        return rows.order_by("-pk" if descending else "pk")[: limit + 2]

    def of_type(self, event_type: str) -> "Log":
        types = {event_type} if self.types is None else self.types & {event_type}
        rows = self.rows.filter(grants.of_type(event_type)) if types else self.rows.none()
        return replace(self, rows=rows, types=frozenset(types))

    def page(self, *, descending: bool, after: tuple[int, int | None] | None, limit: int) -> list:
        """Up to `limit` events after position `after` (None: from the start) in id order, newest first if
        `descending`. Each row fetched holds at least one event the filter keeps, so `limit + 2` rows are
        enough: one more than asked, and the cursor's own row, whose remaining events may be none."""
        events = []
        for row in self.page_rows(descending=descending, after=after, limit=limit):
            events += [
                e for e in grants.expand(row, types=self.types, descending=descending) if _beyond(e, after, descending)
            ]
            if len(events) >= limit:
                break
        return events[:limit]

    def iterator(self, *, descending: bool, chunk_size: int) -> Iterator:
        """Every event, streamed from the database in chunks of rows (a server-side cursor on PostgreSQL)."""
        rows = self.rows.order_by("-pk" if descending else "pk").iterator(chunk_size=chunk_size)
        return grants.expand_all(rows, types=self.types, descending=descending)


def _beyond(event, after, descending: bool) -> bool:
    """Whether `event` comes after position `after`; the query already left out the rows before the cursor's."""
    if after is None or after[1] is None or event.pk != after[0]:
        return True
    if event.part is None:  # a row of its own under a grant row's cursor (an edited link): already shown
        return False
    return event.part < after[1] if descending else event.part > after[1]


def position(event) -> tuple[int, int | None]:
    """Where `event` is in the log, as Log.page() takes it: its row's id, and its part of a grant row."""
    return event.pk, event.part


def filter_events(log: Log, expression: str) -> Log:
    """Apply an Okta `filter` expression: clauses `field eq "value"` joined by `and`."""
    for clause in re.split(r"\s+and\s+", expression.strip()):
        match = _CLAUSE.match(clause.strip())
        if not match:
            raise BadFilter(FILTER_HELP)
        field, value = match.groups()
        if field == "eventType":
            log = log.of_type(value)
        elif field == "outcome.result":
            log = log.filter(outcome_result=value)
        elif field == "severity":
            log = log.filter(severity=value)
        elif field == "actor.id":
            log = log.filter(actor__id=value)
        else:
            ids = Q(app_id=value) | Q(user_id=value) | Q(family_id=value)
            if connection.vendor == "postgresql":
                # A grant row's targets are its user and family (tokens/lifecycle/events.py), which the
                # columns above find; the other rows' targets have a GIN index (event_targets_plain_idx).
                ids |= Q(issued="", targets__contains=[{"id": value}])
            else:  # SQLite has no JSON containment; match the quoted value in the stored text
                ids |= Q(targets__icontains=json.dumps(value))
            log = log.filter(ids)
    return log
