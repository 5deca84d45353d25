"""A token response's grant events, stored as ONE row and read as Okta's per-token events.

Okta logs one `app.oauth2[.as].token.grant.<kind>` event per token a response issues (access token,
ID token, refresh token). Rotor stores one row per response instead: `event_type` is the kind-less
`app.oauth2[.as].token.grant` and `issued` lists the kinds (`"access_token id_token refresh_token"`).
Every reader of the log turns such a row back into the events Okta would show, here: each derived
event is the row with the kind's `eventType` and message, a `uuid` derived from the row's uuid and
the kind (so it is the same at every read), and the row's `published`. A refresh costs one event row
and its index entries instead of three (bench/README.md has the figures).

Rows written before (one per event, `issued` empty) are events of their own and read as they are.
"""

import copy
import uuid
from collections.abc import Iterable, Iterator

from django.db.models import Q

from . import recording

KINDS = ("access_token", "id_token", "refresh_token")  # the order Okta's events of one response come in
_GRANT = ".token.grant"
_PREFIXES = ("app.oauth2", "app.oauth2.as")


def message(kind: str, grant_type: str) -> str:
    """The event's displayMessage, as each per-token row said it: "Access token granted (refresh token)"."""
    return f"{kind.replace('_', ' ').capitalize()} granted ({grant_type.replace('_', ' ')})"


def grant_row(grant_event_type: str, kinds: list[str], grant_type: str, **kwargs) -> dict:
    """The one row of a token response: `grant_event_type` is `app.oauth2[.as].token.grant`, `kinds` what it issued
    (in KINDS order); the keyword arguments are recording.columns()'."""
    kinds = [kind for kind in KINDS if kind in kinds]
    listed = " and ".join(kind.replace("_", " ") for kind in kinds)
    row = recording.columns(grant_event_type, message(listed, grant_type), **kwargs)
    row["issued"] = " ".join(kinds)
    return row


def split(event_type: str) -> tuple[str, str] | None:
    """(`app.oauth2[.as].token.grant`, kind) for a per-token grant event type, else None."""
    base, _, kind = event_type.rpartition(".")
    if kind in KINDS and base.endswith(_GRANT) and base[: -len(_GRANT)] in _PREFIXES:
        return base, kind
    return None


def of_type(event_type: str) -> Q:
    """The rows that hold an event of `event_type`: a row of its own, or a grant row that issued that kind.

    A row holds at most one event of each type, so counting these rows counts the events."""
    plain = Q(event_type=event_type, issued="")
    grant = split(event_type)
    if grant is None:
        return plain
    base, kind = grant
    return plain | Q(event_type=base, issued__contains=kind)


def of_types(event_types: Iterable[str]) -> Q:
    q = Q(pk__in=[])
    for event_type in event_types:
        q |= of_type(event_type)
    return q


def derive(row, kind: str):
    """The event of `kind` that grant row `row` stands for: an unsaved copy with its own uuid, type and message."""
    event = copy.copy(row)
    event.uuid = uuid.uuid5(row.uuid, kind)
    event.event_type = f"{row.event_type}.{kind}"
    event.display_message = message(kind, (row.debug_data or {}).get("grantType", ""))
    event.part = KINDS.index(kind)
    return event


def expand(row, *, types: frozenset[str] | None = None, descending: bool = False) -> list:
    """The events `row` stands for, in the log's order (`descending`: newest first), of `types` only when given.

    A row of its own is one event (`part` None); a grant row is one per issued kind (`part` its index in KINDS)."""
    if not row.issued:
        row.part = None
        return [row] if types is None or row.event_type in types else []
    issued = row.issued.split()
    events = [derive(row, kind) for kind in KINDS if kind in issued]
    if types is not None:
        events = [e for e in events if e.event_type in types]
    return events[::-1] if descending else events


def expand_all(rows: Iterable, *, types: frozenset[str] | None = None, descending: bool = False) -> Iterator:
    for row in rows:
        yield from expand(row, types=types, descending=descending)
