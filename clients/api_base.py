"""What every `/api/v1/` view shares: SSWS authentication, admin-only access, a strict JSON
parser, JSON-only rendering and per-token rate limits. Set here, not in REST_FRAMEWORK, so
the OAuth endpoints (also DRF views) keep their own behaviour."""

import json

from django.conf import settings
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from accounts.authentication import SSWSAuthentication

from . import ratelimit
from .api_errors import ApiValidationFailed, MalformedBody, RateLimited, ResourceNotFound
from .permissions import IsAdmin


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


class JSONOnlyNegotiation(DefaultContentNegotiation):
    """Okta answers JSON whatever the Accept header says; so do we. Bodies must still be JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ManagementAPIView(APIView):
    authentication_classes = [SSWSAuthentication]
    permission_classes = [IsAdmin]
    parser_classes = [StrictJSONParser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnlyNegotiation
    rate_limit_bucket = "api"
    okta_errors = True  # clients/api_errors.py answers this view's errors in Okta's shape

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        state = ratelimit.hit(f"{request.auth.pk}:{self.rate_limit_bucket}")
        request.rate_limit = state
        if state.exceeded:
            raise RateLimited()

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        state = getattr(request, "rate_limit", None)
        if state is not None:
            for name, value in state.headers().items():
                response[name] = value
        return response

    def body(self) -> dict:
        """The request's JSON object; a list or a scalar is a validation error."""
        data = self.request.data
        if not isinstance(data, dict):
            raise ApiValidationFailed({"body": ["The request body must be a JSON object."]})
        return data


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


class NotFoundView(ManagementAPIView):
    """Any unknown path under /api/v1/: Okta's 404 body, for every method."""

    authentication_classes = []
    permission_classes = []

    def initial(self, request, *args, **kwargs):
        raise ResourceNotFound()
