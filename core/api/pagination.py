"""Okta's cursor paging: `limit` and an opaque `after` cursor, with `Link` headers `self` and `next`.

The cursor is the primary key of the last item returned, so a page boundary never shifts when
rows are added or removed in between (unlike offsets).
"""

from urllib.parse import urlencode

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter

from .errors import ApiValidationFailed
from .params import query_param


def limit_param(default: int, maximum: int) -> OpenApiParameter:
    """`limit` as paginate() takes it: at least 1; a larger value than `maximum` is served as `maximum`,
    but declared out of range, as in Okta's document."""
    schema = {"type": "integer", "minimum": 1, "maximum": maximum, "default": default}
    return OpenApiParameter("limit", schema, description=f"Page size (default {default}, at most {maximum}).")


LIMIT = limit_param(20, 200)
# The cursor is the last item's key (digits, see _int_param); empty is the first page.
AFTER = OpenApiParameter(
    "after", {"type": "string", "pattern": "^[0-9]{0,18}$"}, description="Cursor from the `next` Link header."
)
# For rows keyed by a public id (`aus…`, `scp…`): the cursor is that id.
AFTER_ID = OpenApiParameter(
    "after", {"type": "string", "pattern": "^[A-Za-z0-9]{0,20}$"}, description="Cursor from the `next` Link header."
)


def _int_param(request, name: str) -> int | None:
    value = query_param(request, name)
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise ApiValidationFailed({name: [f"'{name}' must be a positive integer."]})
    return int(value)


def _id_param(request, name: str) -> str | None:
    value = query_param(request, name)
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isalnum() or len(value) > 20:
        raise ApiValidationFailed({name: [f"'{name}' is not a valid cursor."]})
    return value


def page_limit(request, *, default_limit: int, max_limit: int) -> int:
    """The request's `limit`: at least 1, `default_limit` when absent, at most `max_limit`."""
    limit = _int_param(request, "limit")
    if limit is None:
        limit = default_limit
    if limit < 1:
        raise ApiValidationFailed({"limit": ["'limit' must be at least 1."]})
    return min(limit, max_limit)


def links(request, *, next_after, limit: int) -> str:
    """The `Link` header value: `self`, and `next` with cursor `next_after` unless it is None."""
    base = f"{settings.ROTOR_ISSUER}{request.path}"
    params = {k: v for k, v in request.query_params.items() if k != "after"}
    self_query = urlencode(request.query_params)
    out = [f'<{base}{"?" + self_query if self_query else ""}>; rel="self"']
    if next_after is not None:
        out.append(f'<{base}?{urlencode(params | {"after": next_after, "limit": limit})}>; rel="next"')
    return ", ".join(out)


def paginate(
    request,
    queryset,
    *,
    descending: bool = False,
    default_limit: int = 20,
    max_limit: int = 200,
    text_keys: bool = False,
):
    """One page of `queryset` ordered by pk, and the `Link` header value for the response. `text_keys`:
    the pk is a public id (AFTER_ID), not a number."""
    limit = page_limit(request, default_limit=default_limit, max_limit=max_limit)
    after = _id_param(request, "after") if text_keys else _int_param(request, "after")
    if after is not None:
        queryset = queryset.filter(pk__lt=after) if descending else queryset.filter(pk__gt=after)
    items = list(queryset.order_by("-pk" if descending else "pk")[: limit + 1])
    has_next = len(items) > limit
    items = items[:limit]
    return items, links(request, next_after=items[-1].pk if has_next else None, limit=limit)
