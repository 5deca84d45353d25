"""The console's System Log page: newest first, filters, keyset paging, each event's LogEvent JSON, and the
filtered view's download as CSV or JSON Lines (export.py)."""

import json

from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from core.console import staff_required
from core.console_paging import Sort, keyset_page

from . import export
from .forms import LogFilterForm
from .logevent import LogEventSerializer
from .reading import log_reads

SORTS = [Sort("time", "id", "Time", descending=True, newest_first=True)]  # `id` is the log's monotonic order
_FORMATS = {
    "csv": ("text/csv; charset=utf-8", export.csv_lines),
    "jsonl": ("application/jsonl; charset=utf-8", export.jsonl_lines),
}


def _filtered(request):
    form = LogFilterForm(request.GET or None)
    log = log_reads()
    return form, (form.filter(log) if request.GET else log)


@staff_required
def system_log(request):
    form, log = _filtered(request)
    page = keyset_page(request, log, SORTS)
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
    response = StreamingHttpResponse(lines(log.order_by("-id" if descending else "id")), content_type=content_type)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="rotor-system-log-{stamp}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response
