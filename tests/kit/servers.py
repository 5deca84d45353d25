"""Authorization-server rows for tests: a new custom server with its system scopes, policies and rules,
and edits of the built-in `default` server's rule and scopes (what ROTOR_DEFAULT_REFRESH_* and
ROTOR_CUSTOM_SCOPES used to set). Rows are written with the ORM; tokens/servers/registry.py drops its
copy on every save, so the next request sees them."""

from tokens.servers import registry
from tokens.servers.models import AuthorizationServer, Claim, Policy, PolicyRule, Scope

OIDC = ["openid", "profile", "email", "address", "phone", "offline_access"]
ALL_GRANTS = [
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "urn:ietf:params:oauth:grant-type:device_code",
]


def make_server(name="Orders API", *, audience="api://orders", scopes=(), status="ACTIVE", **fields):
    """A custom server with the system scopes and the custom `scopes` (names), all published."""
    server = AuthorizationServer.objects.create(name=name, audiences=[audience], status=status, **fields)
    for scope in OIDC:
        Scope.objects.create(
            server=server,
            name=scope,
            system=True,
            metadata_publish="ALL_CLIENTS",
            consent="IMPLICIT" if scope == "openid" else "REQUIRED",
            description=f"System scope {scope}",
        )
    for scope in scopes:
        add_scope(server, scope)
    return server


def add_scope(server, name, **fields):
    fields.setdefault("description", f"Custom scope {name}")
    fields.setdefault("metadata_publish", "ALL_CLIENTS")
    return Scope.objects.create(server_id=getattr(server, "id", server), name=name, **fields)


def add_policy(server, name="Policy", *, clients=("ALL_CLIENTS",), priority=1, **fields):
    return Policy.objects.create(
        server_id=getattr(server, "id", server), name=name, clients_include=list(clients), priority=priority, **fields
    )


def add_rule(policy, name="Rule", *, priority=1, grants=ALL_GRANTS, scopes=("*",), groups=("EVERYONE",), **fields):
    return PolicyRule.objects.create(
        policy=policy,
        name=name,
        priority=priority,
        grant_types=list(grants),
        scopes=list(scopes),
        groups_include=list(groups),
        **fields,
    )


def add_claim(server, name, value, *, claim_type="RESOURCE", **fields):
    return Claim.objects.create(
        server_id=getattr(server, "id", server), name=name, value=value, claim_type=claim_type, **fields
    )


def default_rule() -> PolicyRule:
    return PolicyRule.objects.get(policy__server_id="default", name="Default Policy Rule")


def set_default_lifetimes(*, access=None, refresh=None, window=None) -> PolicyRule:
    """Edit the `default` server's "Default Policy Rule" lifetimes (minutes; refresh 0 = unlimited)."""
    rule = default_rule()
    if access is not None:
        rule.access_token_lifetime_minutes = access
    if refresh is not None:
        rule.refresh_token_lifetime_minutes = refresh
    if window is not None:
        rule.refresh_token_window_minutes = window
    rule.save()
    return rule


def set_default_custom_scopes(names, **fields) -> None:
    """Make `names` the `default` server's custom scopes (replacing the others)."""
    Scope.objects.filter(server_id="default", system=False).exclude(name__in=names).delete()
    for name in names:
        if not Scope.objects.filter(server_id="default", name=name).exists():
            add_scope("default", name, **fields)
    registry.forget("default")
