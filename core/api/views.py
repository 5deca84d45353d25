"""What every `/api/v1/` view shares: SSWS authentication, admin-only access, a strict JSON
parser, JSON-only rendering and per-token rate limits. Set here, not in REST_FRAMEWORK, so
the OAuth endpoints (also DRF views) keep their own behaviour."""

import re

from django.conf import settings
from django.utils.module_loading import import_string
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from . import ratelimit
from .errors import ApiValidationFailed, RateLimited, ResourceNotFound
from .negotiation import JSONOnly
from .parsers import StrictJSONParser
from .permissions import IsAdmin

_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


class ManagementAPIView(APIView):
    permission_classes = [IsAdmin]
    parser_classes = [StrictJSONParser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnly
    rate_limit_bucket = "api"
    okta_errors = True  # core/api/errors.py answers this view's errors in Okta's shape

    def get_authenticators(self):
        """ROTOR_API_AUTHENTICATION names the scheme (accounts' SSWS API tokens), so this frame
        depends on no app."""
        return [import_string(path)() for path in settings.ROTOR_API_AUTHENTICATION]

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


def looks_like_id(value: str) -> bool:
    """Whether `value` could be an id or client_id at all; anything else is a 404 without a query."""
    return bool(_ID.match(value))


def or_404(found, what: str, value: str):
    """`found`, or Okta's 404 naming `value` and `what` (e.g. "AppInstance") when it is None."""
    if found is None:
        raise ResourceNotFound(f"{value} ({what})")
    return found


def find_or_404(queryset, what: str, **lookup):
    """The one row `lookup` names, or Okta's 404."""
    value = next(iter(lookup.values()))
    return or_404(queryset.filter(**lookup).first() if looks_like_id(value) else None, what, value)


class NotFoundView(ManagementAPIView):
    """Any unknown path under /api/v1/: Okta's 404 body, for every method."""

    permission_classes = []

    def get_authenticators(self):
        return []

    def initial(self, request, *args, **kwargs):
        raise ResourceNotFound()
