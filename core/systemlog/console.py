"""The console's System Log page: newest first, filters, paging, each event's LogEvent JSON."""

import json

from django.core.paginator import Paginator
from django.shortcuts import render

from core.console import staff_required

from .forms import LogFilterForm
from .logevent import LogEventSerializer
from .reading import log_reads


@staff_required
def system_log(request):
    form = LogFilterForm(request.GET or None)
    log = log_reads().order_by("-id")
    log = form.filter(log) if request.GET else log
    page = Paginator(log, 25).get_page(request.GET.get("page"))
    for event, details in zip(page, LogEventSerializer(page, many=True).data, strict=True):
        event.details_json = json.dumps(details, indent=2)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "tokens/system_log.html", {"form": form, "page": page, "query": query.urlencode()})
