"""Every authorization server's endpoints: the org server under /oauth2/v1, a custom server `{id}`
(`default` among them) under /oauth2/{id}/v1, each with its discovery documents; the device
activation pages; the console.

An unknown or INACTIVE server's endpoints answer Okta's 404 (`_served`). `machine_patterns()`
lists the endpoints that apps call without cookies, so config/wsgi.py can serve them with the lean
middleware stack."""

import functools
import re

from django.http import JsonResponse
from django.urls import path, register_converter

from core.api.errors import error_body
from core.systemlog.console import system_log, system_log_export

from . import console
from .device.views import DeviceAuthorizeView, activate, activate_done
from .oauth.authorize import authorize
from .oauth.discovery import jwks_view, oauth_metadata_view, openid_configuration_view
from .oauth.introspect import IntrospectView
from .oauth.logout import logout_view
from .oauth.revoke import RevokeView
from .oauth.token import TokenView
from .oauth.userinfo import userinfo_view
from .ops import observed
from .servers import console as server_console
from .servers.registry import DEFAULT, ORG, ServerNotFound, get_server

app_name = "tokens"

# (name, view, whether apps call it server-to-server or by CORS, without cookies)
_ENDPOINTS = [
    ("authorize", authorize, False),
    ("token", TokenView.as_view(), True),
    ("revoke", RevokeView.as_view(), True),
    ("introspect", IntrospectView.as_view(), True),
    ("keys", jwks_view, True),
    ("userinfo", userinfo_view, True),
    ("logout", logout_view, False),
    ("device/authorize", DeviceAuthorizeView.as_view(), True),
]
_URL_NAMES = {"device/authorize": "device"}
_DISCOVERY = [
    ("openid-configuration", openid_configuration_view, "openid-configuration"),
    ("oauth-authorization-server", oauth_metadata_view, "oauth-metadata"),
]
SERVER_ID = "[A-Za-z0-9]{1,20}"  # `default` or Okta's `aus…` ids


class ServerIdConverter:
    regex = SERVER_ID

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ServerIdConverter, "server")


def not_found(server_id: str) -> JsonResponse:
    """Okta's answer on the endpoints of a missing or inactive authorization server."""
    body = error_body("E0000007", str(ServerNotFound(server_id)))
    return JsonResponse(body, status=404, headers={"Cache-Control": "no-store"})


def _served(view):
    """Run `view` only for an ACTIVE server (no statement while registry.py's copy is fresh); else the 404."""

    @functools.wraps(view)
    def wrapped(request, *args, server_id, **kwargs):
        try:
            get_server(server_id)
            return view(request, *args, server_id=server_id, **kwargs)
        except ServerNotFound:  # also when it went inactive meanwhile
            return not_found(server_id)

    return wrapped


def _patterns(base: str, name: str, kw: dict | None) -> list:
    """`base` is "oauth2/" (org), "oauth2/default/" or "oauth2/<server:server_id>/"; discovery sits at the
    site root for the org server."""
    well_known = "" if base == "oauth2/" else base
    endpoints = [
        path(f"{base}v1/{route}", _served(observed(route, view)), kw, name=f"{name}-{_URL_NAMES.get(route, route)}")
        for route, view, _machine in _ENDPOINTS
    ]
    discovery = [
        path(f"{well_known}.well-known/{doc}", _served(view), kw, name=f"{name}-{url}") for doc, view, url in _DISCOVERY
    ]
    return endpoints + discovery


def machine_patterns() -> list[str]:
    """Regular expressions of every endpoint apps call without cookies, discovery included, on any server."""
    machine = "|".join(re.escape(route) for route, _view, is_machine in _ENDPOINTS if is_machine)
    docs = "|".join(re.escape(doc) for doc, _view, _url in _DISCOVERY)
    return [
        rf"/oauth2/(?:{SERVER_ID}/)?v1/(?:{machine})",
        rf"(?:/oauth2/{SERVER_ID})?/\.well-known/(?:{docs})",
    ]


_device_activation = [
    path("activate", activate, name="device-activate"),
    path("activate/done", activate_done, name="device-activate-done"),
]

# Security → Authorization servers: the list, each server's tabs, and the forms and actions under them. A row's
# fourth item is the kind (scopes, claims, policies, rules) whose one set of views it shows.
_sc = server_console
_S, _P = "<str:server_id>/", "<str:server_id>/policies/<str:policy_id>/"
_SERVER_PAGES = [
    ("", _sc.server_list, "server-list"),
    ("new/", _sc.server_create, "server-create"),
    (_S, _sc.server_settings, "server-settings"),
    (f"{_S}edit/", _sc.server_edit, "server-edit"),
    (f"{_S}activate/", _sc.server_activate, "server-activate"),
    (f"{_S}deactivate/", _sc.server_deactivate, "server-deactivate"),
    (f"{_S}delete/", _sc.server_delete, "server-delete"),
    (f"{_S}rotate/", _sc.server_rotate, "server-rotate"),
    (f"{_S}scopes/", _sc.server_scopes, "server-scopes"),
    (f"{_S}scopes/new/", _sc.item_create, "server-scope-create", _sc.SCOPES),
    (f"{_S}scopes/<str:scope_id>/edit/", _sc.item_edit, "server-scope-edit", _sc.SCOPES),
    (f"{_S}scopes/<str:scope_id>/delete/", _sc.item_delete, "server-scope-delete", _sc.SCOPES),
    (f"{_S}claims/", _sc.server_claims, "server-claims"),
    (f"{_S}claims/new/", _sc.item_create, "server-claim-create", _sc.CLAIMS),
    (f"{_S}claims/<str:claim_id>/edit/", _sc.item_edit, "server-claim-edit", _sc.CLAIMS),
    (f"{_S}claims/<str:claim_id>/delete/", _sc.item_delete, "server-claim-delete", _sc.CLAIMS),
    (f"{_S}policies/", _sc.server_policies, "server-policies"),
    (f"{_S}policies/new/", _sc.item_create, "server-policy-create", _sc.POLICIES),
    (f"{_P}edit/", _sc.item_edit, "server-policy-edit", _sc.POLICIES),
    (f"{_P}move/", _sc.item_move, "server-policy-move", _sc.POLICIES),
    (f"{_P}activate/", _sc.item_activate, "server-policy-activate", _sc.POLICIES),
    (f"{_P}deactivate/", _sc.item_deactivate, "server-policy-deactivate", _sc.POLICIES),
    (f"{_P}delete/", _sc.item_delete, "server-policy-delete", _sc.POLICIES),
    (f"{_P}rules/new/", _sc.item_create, "server-rule-create", _sc.RULES),
    (f"{_P}rules/<str:rule_id>/edit/", _sc.item_edit, "server-rule-edit", _sc.RULES),
    (f"{_P}rules/<str:rule_id>/move/", _sc.item_move, "server-rule-move", _sc.RULES),
    (f"{_P}rules/<str:rule_id>/activate/", _sc.item_activate, "server-rule-activate", _sc.RULES),
    (f"{_P}rules/<str:rule_id>/deactivate/", _sc.item_deactivate, "server-rule-deactivate", _sc.RULES),
    (f"{_P}rules/<str:rule_id>/delete/", _sc.item_delete, "server-rule-delete", _sc.RULES),
    (f"{_S}preview/", _sc.server_preview, "server-preview"),
]

_console = [
    path("console/", console.dashboard, name="dashboard"),
    path("console/tokens/", console.family_list, name="family-list"),
    path("console/families/<str:public_id>/", console.family_detail, name="family-detail"),
    path("console/families/<str:public_id>/revoke/", console.family_revoke, name="family-revoke"),
    *[
        path(f"console/security/authorization-servers/{route}", view, {"kind": kind[0]} if kind else {}, name=name)
        for route, view, name, *kind in _SERVER_PAGES
    ],
    path("console/system-log/", system_log, name="system-log"),
    path("console/system-log/export.csv", system_log_export, {"fmt": "csv"}, name="system-log-csv"),
    path("console/system-log/export.jsonl", system_log_export, {"fmt": "jsonl"}, name="system-log-jsonl"),
]

urlpatterns = (
    _patterns("oauth2/", ORG, {"server_id": ORG})
    + _patterns(f"oauth2/{DEFAULT}/", DEFAULT, {"server_id": DEFAULT})  # keeps its URL names
    + _patterns("oauth2/<server:server_id>/", "server", None)
    + _device_activation
    + _console
)
