import json

from django.conf import settings
from rest_framework.parsers import BaseParser

from .errors import MalformedBody


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _check_text(value, path: str = "body") -> None:
    """Strings PostgreSQL cannot store (NUL, lone surrogates) are bad input, not a 500 later."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise MalformedBody(causes=[f"{path} contains a lone surrogate."]) from None
        if "\x00" in value:
            raise MalformedBody(causes=[f"{path} contains a NUL character."])
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, path)
            _check_text(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_text(item, f"{path}[{index}]")


class StrictJSONParser(BaseParser):
    """JSON in UTF-8, within ROTOR_API_MAX_BODY_BYTES; anything else is E0000003, never a 500."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.ROTOR_API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise MalformedBody(causes=[f"The request body is larger than {limit} bytes."])
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedBody(causes=["The request body is not valid UTF-8."]) from None
        try:
            data = json.loads(text, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            raise MalformedBody(causes=[f"The request body is not valid JSON: {exc}"[:300]]) from None
        _check_text(data)
        return data
