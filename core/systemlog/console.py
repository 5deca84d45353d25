"""The console's System Log page: newest first, filters, keyset paging, each event's LogEvent JSON, and the
filtered view's download as CSV or JSON Lines (export.py)."""

import base64
import binascii
import json

from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from core.console import staff_required
from core.console_paging import Sort, keyset_page

from . import export
from .forms import LogFilterForm
from .logevent import LogEventSerializer
from .reading import Log, log_reads, position

SORTS = [Sort("time", "id", "Time", descending=True, newest_first=True)]  # `id` is the log's monotonic order
_FORMATS = {
    "csv": ("text/csv; charset=utf-8", export.csv_lines),
    "jsonl": ("application/jsonl; charset=utf-8", export.jsonl_lines),
}


class _Events:
    """The log's events for keyset_page(): a cursor is an event's position (row id, part of a grant row), since
    one row can stand for several events and a page may end between them."""

    def __init__(self, log: Log):
        self.log = log

    def fetch(self, sort, *, descending: bool, beyond, n: int) -> list:
        return self.log.page(descending=descending, after=beyond, limit=n)

    def encode(self, event, sort) -> str:
        return base64.urlsafe_b64encode(json.dumps(position(event)).encode()).decode().rstrip("=")

    def decode(self, text: str, sort):
        """(row id, part or None), or None for anything malformed (the first page is shown)."""
        try:
            pk, part = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        except (ValueError, TypeError, binascii.Error):
            return None
        valid = type(pk) is int and (part is None or (type(part) is int and 0 <= part <= 2))
        return (pk, part) if valid else None


def _filtered(request) -> tuple[LogFilterForm, Log]:
    form = LogFilterForm(request.GET or None)
    log = Log(log_reads())
    return form, (form.filter(log) if request.GET else log)


@staff_required
def system_log(request):
    form, log = _filtered(request)
    page = keyset_page(request, _Events(log), SORTS)
    for event, details in zip(page, LogEventSerializer(page.object_list, many=True).data, strict=True):
        event.details_json = json.dumps(details, indent=2)
    query = request.GET.copy()
    for name in ("after", "before", "last", "page", "size"):  # the export keeps the filters and the order
        query.pop(name, None)
    return render(request, "tokens/system_log.html", {"form": form, "page": page, "query": query.urlencode()})


@staff_required
def system_log_export(request, fmt):
    """The events the log page's filters select, in the page's order, streamed as `fmt` (csv or jsonl)."""
    if fmt not in _FORMATS:
        raise Http404("Unknown export format")
    content_type, lines = _FORMATS[fmt]
    _form, log = _filtered(request)
    descending = request.GET.get("sort", "-time") != "time"  # the page's default: newest first
    events = log.iterator(descending=descending, chunk_size=export.BATCH)
    response = StreamingHttpResponse(lines(events), content_type=content_type)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="rotor-system-log-{stamp}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response
