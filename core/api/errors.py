"""Management-API errors in Okta's shape, produced in one place (STYLE §6).

Views raise; this module turns every exception of an `/api/v1/` view into
`{errorCode, errorSummary, errorLink, errorId, errorCauses}`. Other DRF views (the OAuth
endpoints) keep DRF's default handling, so their RFC 6749 bodies are untouched.
"""

import logging
import secrets
import string

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1/"
_ID_ALPHABET = string.ascii_letters + string.digits


class OktaError(exceptions.APIException):
    """An API error; `default_code` is Okta's error code, `causes` become `errorCauses`.

    Each kind is one declaration, its HTTP status, code and summary given as class arguments:
    `class NoPermission(OktaError, http=403, code="E0000006", detail="…")`.
    """

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "E0000001"
    default_detail = "Api validation failed"

    def __init_subclass__(cls, *, http: int | None = None, code: str | None = None, detail: str | None = None):
        super().__init_subclass__()
        cls.status_code = http or cls.status_code
        cls.default_code = code or cls.default_code
        cls.default_detail = detail or cls.default_detail

    def __init__(self, detail: str | None = None, causes: list[str] | None = None):
        super().__init__(detail or self.default_detail, self.default_code)
        self.causes = list(causes or [])


class ApiValidationFailed(OktaError):
    def __init__(self, fields: dict[str, list[str]] | None = None, summary: str | None = None):
        """`fields` maps Okta JSON paths to messages; the summary names the first one, as Okta does."""
        fields = fields or {}
        causes = [f"{path}: {message}" for path, messages in fields.items() for message in messages]
        first = next(iter(fields), None)
        super().__init__(summary or (f"Api validation failed: {first}" if first else self.default_detail), causes)
        self.fields = fields


class ResourceNotFound(OktaError, http=404, code="E0000007", detail="Not found: Resource not found"):
    def __init__(self, what: str | None = None):
        super().__init__(f"Not found: Resource not found: {what}" if what else None)


class AppIsActive(OktaError, http=403, code="E0000056", detail="Delete application forbidden."):
    def __init__(self):
        super().__init__(causes=["The application must be deactivated before it can be deleted."])


# The kinds without behaviour of their own.
_MALFORMED = "The request body was not well-formed."


class MalformedBody(OktaError, code="E0000003", detail=_MALFORMED): ...


class UnsupportedMediaType(OktaError, http=415, code="E0000003", detail=_MALFORMED): ...


class NotAcceptable(OktaError, http=406, code="E0000001", detail="Api validation failed: Accept"): ...


class NoPermission(
    OktaError, http=403, code="E0000006", detail="You do not have permission to perform the requested action"
): ...


class InternalError(OktaError, http=500, code="E0000009", detail="Internal Server Error"): ...


class InvalidToken(OktaError, http=401, code="E0000011", detail="Invalid token provided"): ...


class MethodNotAllowed(
    OktaError, http=405, code="E0000022", detail="The endpoint does not support the provided HTTP method"
): ...


class UserStatusForbids(
    OktaError, http=403, code="E0000038", detail="This operation is not allowed in the user's current status."
): ...


class RateLimited(
    OktaError, http=429, code="E0000047", detail="API call exceeded rate limit due to too many requests."
): ...


def new_error_id() -> str:
    return "oae" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(19))


def error_body(code: str, summary: str, causes: list[str] = ()) -> dict:
    return {
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": new_error_id(),
        "errorCauses": [{"errorSummary": cause} for cause in causes],
    }


def _flatten(detail, path: str = "") -> dict[str, list[str]]:
    """DRF's nested ValidationError detail as {"a.b.c": [messages]}."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = path if key == "non_field_errors" else (f"{path}.{key}" if path else str(key))
            for sub, messages in _flatten(value, name).items():
                out.setdefault(sub, []).extend(messages)
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {path or "body": [str(item) for item in detail]}
        out = {}
        for index, item in enumerate(detail):
            for sub, messages in _flatten(item, f"{path}[{index}]").items():
                out.setdefault(sub, []).extend(messages)
        return out
    return {path or "body": [str(detail)]}


def as_okta_error(exc: Exception) -> OktaError | None:
    """Map DRF's and Django's exceptions onto our Okta-coded ones; None for unexpected errors."""
    if isinstance(exc, OktaError):
        return exc
    if isinstance(exc, exceptions.ValidationError):
        return ApiValidationFailed(_flatten(exc.detail))
    if isinstance(exc, exceptions.ParseError):
        return MalformedBody(causes=[str(exc.detail)])
    if isinstance(exc, exceptions.AuthenticationFailed | exceptions.NotAuthenticated):
        return InvalidToken()
    if isinstance(exc, exceptions.PermissionDenied | DjangoPermissionDenied):
        return NoPermission()
    if isinstance(exc, exceptions.NotFound | Http404):
        return ResourceNotFound()
    if isinstance(exc, exceptions.MethodNotAllowed):
        return MethodNotAllowed()
    if isinstance(exc, exceptions.Throttled):
        return RateLimited()
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return UnsupportedMediaType(causes=[str(exc.detail)])
    if isinstance(exc, exceptions.NotAcceptable):
        return NotAcceptable()
    if isinstance(exc, exceptions.APIException):
        error = OktaError(str(exc.detail))
        error.status_code = exc.status_code
        return error
    return None


def exception_handler(exc: Exception, context: dict):
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: Okta's error body for /api/v1, DRF's default elsewhere."""
    request = context.get("request")
    is_management_api = getattr(context.get("view"), "okta_errors", False) or (
        request is not None and request.path_info.startswith(API_PREFIX)
    )
    if not is_management_api:
        return drf_exception_handler(exc, context)
    error = as_okta_error(exc)
    if error is None:
        logger.exception("Unexpected error in %s %s", request.method, request.path)
        error = InternalError()
    headers = {}
    if isinstance(exc, exceptions.APIException):
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
    set_rollback()
    return Response(
        error_body(error.default_code, str(error.detail), error.causes), status=error.status_code, headers=headers
    )
