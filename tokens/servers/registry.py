"""The two authorization servers: the org server and the built-in custom server `default`.

Both share one implementation; they differ in issuer, URL prefix, access-token audience and
refresh-token lifetimes (SPEC §4). Lifetimes are read when a family starts and kept on it.
"""

from dataclasses import dataclass

from django.conf import settings

from core.systemlog import types
from tokens.models import SERVER_CHOICES, SERVER_DEFAULT, SERVER_ORG


@dataclass(frozen=True)
class AuthServer:
    id: str
    name: str
    issuer: str
    audience: str
    prefix: str  # URL path of the endpoints, e.g. "/oauth2/v1"
    refresh_lifetime_minutes: int  # 0 = unlimited
    refresh_window_minutes: int

    @property
    def is_custom(self) -> bool:
        return self.id != SERVER_ORG

    def endpoint(self, name: str) -> str:
        return f"{settings.ROTOR_ISSUER}{self.prefix}/{name}"

    def event_type(self, suffix: str) -> str:
        """`app.oauth2.<suffix>` on the org server, `app.oauth2.as.<suffix>` on custom servers."""
        return types.oauth2(suffix, custom=self.is_custom)


def get_server(server_id: str) -> AuthServer:
    base = settings.ROTOR_ISSUER
    if server_id == SERVER_ORG:
        return AuthServer(
            id=SERVER_ORG,
            name="Org authorization server",
            issuer=base,
            audience=base,
            prefix="/oauth2/v1",
            refresh_lifetime_minutes=settings.ROTOR_ORG_REFRESH_LIFETIME_MINUTES,
            refresh_window_minutes=settings.ROTOR_ORG_REFRESH_LIFETIME_MINUTES,
        )
    if server_id == SERVER_DEFAULT:
        return AuthServer(
            id=SERVER_DEFAULT,
            name="default",
            issuer=f"{base}/oauth2/default",
            audience="api://default",
            prefix="/oauth2/default/v1",
            refresh_lifetime_minutes=settings.ROTOR_DEFAULT_REFRESH_LIFETIME_MINUTES,
            refresh_window_minutes=settings.ROTOR_DEFAULT_REFRESH_WINDOW_MINUTES,
        )
    raise KeyError(server_id)


SERVER_IDS = [server_id for server_id, _ in SERVER_CHOICES]


def all_servers() -> list[AuthServer]:
    return [get_server(s) for s in SERVER_IDS]
