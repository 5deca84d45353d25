"""Keyset paging for the console's lists: a page is the rows after (or before) one row's sort key and primary key.

No `COUNT(*)` and no `OFFSET`: a page costs an index range scan of `size + 1` rows wherever it is, and rows inserted
or deleted between two page loads neither shift nor repeat the rows the next page shows, because the cursor names a
row's (sort value, primary key), not a position. The primary key breaks ties, so the order is total.

A list declares its sorts (`Sort`: URL key, model field, label, default direction) and calls `keyset_page(request,
queryset, sorts)`; the result iterates like a Django `Page` and carries the pager's links
(templates/includes/pager.html). URL parameters: `sort` (a sort key, `-` first for descending), `size` (25, 50 or
100), and at most one of `after=<cursor>`, `before=<cursor>` or `last=1`. A cursor that does not decode is ignored
(the first page is shown), so a stale or edited link never fails.
"""

import base64
import binascii
import json
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Q

PAGE_SIZES = (25, 50, 100)
_PAGING_PARAMS = ("after", "before", "last", "page")


@dataclass(frozen=True)
class Sort:
    key: str  # in the URL
    field: str  # an ORM path of a non-null, preferably indexed column (`created`, `user__username`)
    label: str
    descending: bool = False  # the direction a click on it first chooses
    newest_first: bool = False  # a time column: its descending order reads "Newer / Older"


@dataclass
class SortLink:
    label: str
    query: str
    current: bool
    descending: bool


@dataclass
class KeysetPage:
    object_list: list
    size: int
    sizes: list[tuple[int, str, bool]] = field(default_factory=list)  # (size, query, current)
    sort_links: list[SortLink] = field(default_factory=list)
    has_next: bool = False
    has_previous: bool = False
    first_query: str = ""
    previous_query: str = ""
    next_query: str = ""
    last_query: str = ""
    newest_first: bool = False
    is_first: bool = True
    is_last: bool = False

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    def __getitem__(self, index):
        return self.object_list[index]

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous


def _field_of(model, path: str):
    parts = path.split("__")
    for part in parts[:-1]:
        model = model._meta.get_field(part).related_model
    return model._meta.get_field(parts[-1])


def _value_of(obj, path: str):
    for part in path.split("__"):
        obj = getattr(obj, part)
    return obj


def encode_cursor(obj, sort: Sort) -> str:
    value = _value_of(obj, sort.field)
    value = value.isoformat() if hasattr(value, "isoformat") else value
    raw = json.dumps([value, obj.pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str, model, sort: Sort):
    """(sort value, pk) as Python values of their fields, or None for anything malformed."""
    try:
        value, pk = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        return _field_of(model, sort.field).to_python(value), model._meta.pk.to_python(pk)
    except (ValueError, TypeError, binascii.Error, ValidationError, json.JSONDecodeError):
        return None


def _beyond(sort_field: str, value, pk, *, descending: bool) -> Q:
    """Rows strictly after (value, pk) in the order (sort_field, pk), both `descending` or both ascending."""
    op = "lt" if descending else "gt"
    return Q(**{f"{sort_field}__{op}": value}) | Q(**{sort_field: value, f"pk__{op}": pk})


def _query(params, **changes) -> str:
    q = params.copy()
    for name in _PAGING_PARAMS:
        q.pop(name, None)
    for name, value in changes.items():
        q.pop(name, None)
        if value is not None:
            q[name] = value
    return q.urlencode()


def _parse_sort(request, sorts: list[Sort]) -> tuple[Sort, bool]:
    wanted = request.GET.get("sort", "")
    descending = wanted.startswith("-")
    for sort in sorts:
        if sort.key == wanted.lstrip("-"):
            return sort, descending
    return sorts[0], sorts[0].descending


def _parse_size(request) -> int:
    try:
        size = int(request.GET.get("size", PAGE_SIZES[0]))
    except ValueError:
        return PAGE_SIZES[0]
    return size if size in PAGE_SIZES else PAGE_SIZES[0]


class Rows:
    """What keyset_page() pages: a queryset's rows. Anything with the same three methods can be paged instead
    (the system log pages the events its rows stand for, core/systemlog/console.py)."""

    def __init__(self, queryset):
        self.queryset = queryset

    def fetch(self, sort: Sort, *, descending: bool, beyond, n: int) -> list:
        """Up to `n` rows in the order (sort field, pk), strictly after cursor `beyond` when given."""
        prefix = "-" if descending else ""
        qs = self.queryset.order_by(f"{prefix}{sort.field}", f"{prefix}pk")
        if beyond:
            qs = qs.filter(_beyond(sort.field, *beyond, descending=descending))
        return list(qs[:n])

    def encode(self, item, sort: Sort) -> str:
        return encode_cursor(item, sort)

    def decode(self, text: str, sort: Sort):
        return decode_cursor(text, self.queryset.model, sort)


def keyset_page(request, queryset, sorts: list[Sort]) -> KeysetPage:
    """One page of `queryset` (or of a `Rows`-like source) as the request's `sort`, `size` and cursor ask; the
    first sort is the default."""
    source = queryset if hasattr(queryset, "fetch") else Rows(queryset)
    sort, descending = _parse_sort(request, sorts)
    size = _parse_size(request)
    prefix = "-" if descending else ""
    params = request.GET
    after = source.decode(params["after"], sort) if params.get("after") else None
    before = source.decode(params["before"], sort) if params.get("before") and not after else None
    last = params.get("last") == "1" and not (after or before)

    rows = None
    if before or last:
        rows = source.fetch(sort, descending=not descending, beyond=before, n=size + 1)
        has_previous, has_next = len(rows) > size, bool(before)
        rows = rows[:size][::-1]
        if before and len(rows) < size:  # stepped back to the start: show the whole first page
            rows = None
    if rows is None:
        rows = source.fetch(sort, descending=descending, beyond=after, n=size + 1)
        has_next, has_previous = len(rows) > size, bool(after)
        rows = rows[:size]

    sort_param = f"{prefix}{sort.key}"
    base = {"sort": sort_param, "size": str(size)}
    page = KeysetPage(
        object_list=rows,
        size=size,
        has_next=has_next,
        has_previous=has_previous,
        newest_first=sort.newest_first and descending,
        is_first=not has_previous,
        is_last=not has_next,
    )
    page.first_query = _query(params, **base)
    page.last_query = _query(params, **base, last="1")
    if rows:
        page.next_query = _query(params, **base, after=source.encode(rows[-1], sort))
        page.previous_query = _query(params, **base, before=source.encode(rows[0], sort))
    page.sizes = [(n, _query(params, sort=sort_param, size=str(n)), n == size) for n in PAGE_SIZES]
    for option in sorts:
        current = option is sort
        option_desc = not descending if current else option.descending
        key = f"{'-' if option_desc else ''}{option.key}"
        shown = descending if current else option.descending
        page.sort_links.append(SortLink(option.label, _query(params, sort=key, size=str(size)), current, shown))
    return page
