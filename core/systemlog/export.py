"""The console's system log as a download: CSV or JSON Lines, streamed, of the events the page's filters select.

Rows come from the database in batches (a server-side cursor on PostgreSQL; reading.Log.iterator() reads each
grant row as its per-token events) and leave as they are written, so an export of the whole log holds one batch in
memory. Each line is the event's LogEvent JSON (logevent.py), the same
shape `/api/v1/logs` returns; the CSV takes its columns from that JSON. Events hold no token, only hashes and ids.
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator

from .logevent import LogEventSerializer

BATCH = 500
CSV_COLUMNS = [
    "published",
    "uuid",
    "eventType",
    "severity",
    "displayMessage",
    "outcome",
    "outcomeReason",
    "actorId",
    "actorType",
    "actorAlternateId",
    "targets",
    "clientIpAddress",
]
# A cell a spreadsheet would run as a formula is written with a leading quote (OWASP's CSV injection advice).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _batches(events: Iterable) -> Iterator[list[dict]]:
    """LogEvent JSON of `events` (reading.Log.iterator(): grant rows already read as their events), BATCH at a time."""
    batch = []
    for event in events:
        batch.append(event)
        if len(batch) == BATCH:
            yield LogEventSerializer(batch, many=True).data
            batch = []
    if batch:
        yield LogEventSerializer(batch, many=True).data


def jsonl_lines(events) -> Iterator[str]:
    for batch in _batches(events):
        yield "".join(json.dumps(item, separators=(",", ":"), ensure_ascii=False) + "\n" for item in batch)


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_row(item: dict) -> list[str]:
    actor = item.get("actor") or {}
    targets = " ".join(f"{t.get('type')}:{t.get('id')}" for t in item.get("target") or [])
    values = [
        item["published"],
        item["uuid"],
        item["eventType"],
        item["severity"],
        item["displayMessage"],
        item["outcome"]["result"],
        item["outcome"]["reason"],
        actor.get("id"),
        actor.get("type"),
        actor.get("alternateId"),
        targets,
        (item.get("client") or {}).get("ipAddress"),
    ]
    return [_cell(v) for v in values]


def _csv_text(rows: Iterable[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def csv_lines(events) -> Iterator[str]:
    yield _csv_text([CSV_COLUMNS])
    for batch in _batches(events):
        yield _csv_text(csv_row(item) for item in batch)
