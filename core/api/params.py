"""Query parameters of `/api/v1` requests, refused with E0000001 when they are not valid."""

from .errors import ApiValidationFailed


def query_param(request, name: str, default: str | None = None) -> str | None:
    value = request.query_params.get(name, default)
    if value is not None and ("\x00" in value or len(value) > 1000):
        raise ApiValidationFailed({name: [f"'{name}' is not a valid value."]})
    return value


def query_bool(request, name: str, default: bool) -> bool:
    value = query_param(request, name)
    if value is None or value == "":
        return default
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ApiValidationFailed({name: [f"'{name}' must be true or false."]})
