"""The authorization servers at run time: the org server (fixed, not a row) and the custom servers
(rows of tokens/servers/models.py, `default` among them).

`get_server(id)` is what every OAuth endpoint starts from. It returns an `AuthServer` with the
server's whole configuration (scopes, claims, policies with their rules in priority order), cached
per process so that a refresh or a cached client_credentials grant spends no statement on it.

Propagation: a worker trusts its copy for ROTOR_SERVER_CACHE_SECONDS (5 s). After that, one
`SELECT last_updated, status` tells it whether the copy is still good; only a changed
`last_updated` reloads the configuration (five small SELECTs). Every change to a server or to
anything under it moves the server's `last_updated` (tokens/servers/services.py), so an edit or a
deactivation reaches every worker within ROTOR_SERVER_CACHE_SECONDS. In the process that made the
change it applies at once: saving or deleting any of the rows drops that server's copy here
(`forget()`, connected to the models' signals in tokens/apps.py); code that changes rows with
`QuerySet.update()` calls `forget()` itself.
"""

import threading
import time
from dataclasses import dataclass, field

from django.conf import settings

from core.systemlog import types

ORG = "org"
DEFAULT = "default"
ACTIVE = "ACTIVE"


class ServerNotFound(Exception):
    """No such authorization server, or it is INACTIVE: its endpoints answer Okta's 404."""

    def __init__(self, server_id: str):
        super().__init__(f"Not found: Resource not found: {server_id} (AuthorizationServer)")
        self.server_id = server_id


@dataclass(frozen=True)
class ServerConfig:
    """What admins configure on a custom server, as loaded: model instances, read-only by convention."""

    scopes: dict = field(default_factory=dict)  # name -> Scope
    claims: tuple = ()  # Claim rows, ACTIVE or not (tokens/servers/scopes.py filters)
    policies: tuple = ()  # (Policy, (PolicyRule, ...)) in priority order, rules in priority order


@dataclass(frozen=True)
class AuthServer:
    id: str
    name: str
    issuer: str
    audience: str
    prefix: str  # URL path of the endpoints, e.g. "/oauth2/v1"
    status: str = ACTIVE
    # The org server's fixed lifetimes (SPEC §4); custom servers take theirs from a policy rule.
    refresh_lifetime_minutes: int = 0  # 0 = unlimited
    refresh_window_minutes: int = 0
    config: ServerConfig = field(default_factory=ServerConfig)
    last_updated: object = None

    @property
    def is_custom(self) -> bool:
        return self.id != ORG

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE

    def endpoint(self, name: str) -> str:
        return f"{settings.ROTOR_ISSUER}{self.prefix}/{name}"

    def event_type(self, suffix: str) -> str:
        """`app.oauth2.<suffix>` on the org server, `app.oauth2.as.<suffix>` on custom servers."""
        return types.oauth2(suffix, custom=self.is_custom)


def org_server() -> AuthServer:
    base = settings.ROTOR_ISSUER
    return AuthServer(
        id=ORG,
        name="Org authorization server",
        issuer=base,
        audience=base,
        prefix="/oauth2/v1",
        refresh_lifetime_minutes=settings.ROTOR_ORG_REFRESH_LIFETIME_MINUTES,
        refresh_window_minutes=settings.ROTOR_ORG_REFRESH_LIFETIME_MINUTES,
    )


def _from_row(row, config: ServerConfig) -> AuthServer:
    return AuthServer(
        id=row.id,
        name=row.name,
        issuer=f"{settings.ROTOR_ISSUER}/oauth2/{row.id}",
        audience=(row.audiences or [f"api://{row.id}"])[0],
        prefix=f"/oauth2/{row.id}/v1",
        status=row.status,
        config=config,
        last_updated=row.last_updated,
    )


def _load(server_id: str) -> AuthServer | None:
    from .models import AuthorizationServer, Claim, Policy, PolicyRule, Scope

    row = AuthorizationServer.objects.filter(id=server_id).first()
    if row is None:
        return None
    rules: dict[str, list] = {}
    for rule in PolicyRule.objects.filter(policy__server_id=server_id).order_by("priority", "created"):
        rules.setdefault(rule.policy_id, []).append(rule)
    policies = tuple(
        (policy, tuple(rules.get(policy.id, ())))
        for policy in Policy.objects.filter(server_id=server_id).order_by("priority", "created")
    )
    config = ServerConfig(
        scopes={s.name: s for s in Scope.objects.filter(server_id=server_id)},
        claims=tuple(Claim.objects.filter(server_id=server_id).order_by("created", "id")),
        policies=policies,
    )
    return _from_row(row, config)


# server id -> (monotonic deadline, AuthServer). Unknown ids are not cached: made-up ids must not fill memory.
_cache: dict[str, tuple[float, AuthServer]] = {}
_lock = threading.Lock()
MAX_ENTRIES = 512


def _fresh(server_id: str) -> AuthServer | None:
    """The server from the cache while it is trusted, else checked or reloaded; None if there is no row."""
    from .models import AuthorizationServer

    now = time.monotonic()
    cached = _cache.get(server_id)
    if cached and cached[0] > now:
        return cached[1]
    if cached:
        stamp = AuthorizationServer.objects.filter(id=server_id).values_list("last_updated", "status").first()
        if stamp is None:
            forget(server_id)
            return None
        if stamp == (cached[1].last_updated, cached[1].status):
            _cache[server_id] = (now + settings.ROTOR_SERVER_CACHE_SECONDS, cached[1])
            return cached[1]
    server = _load(server_id)
    with _lock:
        if server is None:
            _cache.pop(server_id, None)
            return None
        if len(_cache) >= MAX_ENTRIES:
            _cache.clear()
        _cache[server_id] = (now + settings.ROTOR_SERVER_CACHE_SECONDS, server)
    return server


def get_server(server_id: str) -> AuthServer:
    """The ACTIVE server `server_id`; raises ServerNotFound for an unknown or INACTIVE one."""
    if server_id == ORG:
        return org_server()
    server = _fresh(server_id)
    if server is None or not server.is_active:
        raise ServerNotFound(server_id)
    return server


def any_server(server_id: str) -> AuthServer:
    """The server `server_id` whatever its status, for what outlives it (revoking its families, logging):
    a deleted server's id still names a custom server."""
    if server_id == ORG:
        return org_server()
    server = _fresh(server_id)
    if server is None:
        base = settings.ROTOR_ISSUER
        return AuthServer(server_id, server_id, f"{base}/oauth2/{server_id}", "", f"/oauth2/{server_id}/v1", "DELETED")
    return server


def forget(server_id: str) -> None:
    """Drop this process's copy of one server (its rows changed here)."""
    with _lock:
        _cache.pop(server_id, None)


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def server_ids() -> list[str]:
    """The org server and every custom server, active or not."""
    from .models import AuthorizationServer

    return [ORG, *AuthorizationServer.objects.order_by("created", "id").values_list("id", flat=True)]


def all_servers() -> list[AuthServer]:
    return [any_server(s) for s in server_ids()]


def _server_of(instance) -> str | None:
    from .models import AuthorizationServer, PolicyRule

    if isinstance(instance, AuthorizationServer):
        return instance.pk
    if isinstance(instance, PolicyRule):
        return instance.policy.server_id if instance.policy_id else None
    return getattr(instance, "server_id", None)


def _changed(sender, instance, **kwargs) -> None:
    server_id = _server_of(instance)
    if server_id:
        forget(server_id)


def connect_signals() -> None:
    """Saving or deleting a server or anything under it drops this process's copy (the others wait out the TTL)."""
    from django.db.models.signals import post_delete, post_save

    from .models import AuthorizationServer, Claim, Policy, PolicyRule, Scope

    for model in (AuthorizationServer, Scope, Claim, Policy, PolicyRule):
        post_save.connect(_changed, sender=model, dispatch_uid=f"registry-{model.__name__}-save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"registry-{model.__name__}-delete")
