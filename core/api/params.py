"""Query parameters of `/api/v1` requests, refused with E0000001 when they are not valid, and
their OpenAPI declarations, which state the same rules."""

from drf_spectacular.utils import OpenApiParameter

from .errors import ApiValidationFailed
from .fields import NO_NUL

MAX_LENGTH = 1000  # query_param() refuses longer values


def text_param(name: str, description: str, **schema) -> OpenApiParameter:
    """A string query parameter as query_param() reads it: at most MAX_LENGTH characters, no NUL;
    `schema` adds the parameter's own rules (a `pattern` replaces the NUL one)."""
    return OpenApiParameter(
        name, {"type": "string", "maxLength": MAX_LENGTH, "pattern": NO_NUL, **schema}, description=description
    )


def query_param(request, name: str, default: str | None = None) -> str | None:
    value = request.query_params.get(name, default)
    if value is not None and ("\x00" in value or len(value) > MAX_LENGTH):
        raise ApiValidationFailed({name: [f"'{name}' is not a valid value."]})
    return value


def query_bool(request, name: str, default: bool) -> bool:
    value = query_param(request, name)
    if value is None or value == "":
        return default
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ApiValidationFailed({name: [f"'{name}' must be true or false."]})
