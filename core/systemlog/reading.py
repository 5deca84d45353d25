"""Reading the system log: from the read replica when DATABASE_REPLICA_URL is set, and the
`filter` expressions of `/api/v1/logs`."""

import json
import logging
import re

from django.conf import settings
from django.db import OperationalError, connection, connections
from django.db.models import Q

from .models import Event

logger = logging.getLogger(__name__)

_CLAUSE = re.compile(r'^(eventType|target\.id|actor\.id|outcome\.result|severity)\s+eq\s+"([^"\\]{1,255})"$')
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


def filter_events(queryset, expression: str):
    """Apply an Okta `filter` expression: clauses `field eq "value"` joined by `and`."""
    for clause in re.split(r"\s+and\s+", expression.strip()):
        match = _CLAUSE.match(clause.strip())
        if not match:
            raise BadFilter(FILTER_HELP)
        field, value = match.groups()
        if field == "eventType":
            queryset = queryset.filter(event_type=value)
        elif field == "outcome.result":
            queryset = queryset.filter(outcome_result=value)
        elif field == "severity":
            queryset = queryset.filter(severity=value)
        elif field == "actor.id":
            queryset = queryset.filter(actor__id=value)
        else:
            ids = Q(app_id=value) | Q(user_id=value) | Q(family_id=value)
            if connection.vendor == "postgresql":
                ids |= Q(targets__contains=[{"id": value}])
            else:  # SQLite has no JSON containment; match the quoted value in the stored text
                ids |= Q(targets__icontains=json.dumps(value))
            queryset = queryset.filter(ids)
    return queryset
