"""Creating, changing and retiring authorization servers and what is configured on them: the one path every
writer (the API, the console, commands) goes through.

Every function validates with tokens/servers/validation.py, writes in one transaction that first locks the
server's row (so concurrent changes to one server, priorities above all, happen one after another), records
its event, and moves the server's `last_updated`: tokens/servers/registry.py caches a server's whole
configuration per process and knows it is stale by that moment alone.

Priorities of a server's policies, and of a policy's rules, stay 1..n: creating or moving one at `p` shifts
the others, as Okta does; `None` puts it last.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.systemlog import recording, types
from core.systemlog.audit import SYSTEM, Audit
from tokens.lifecycle.revocation import revoke_server_families
from tokens.models import SigningKey

from . import keys, registry
from .builtin import system_scopes
from .models import AuthorizationServer, Claim, Policy, PolicyRule, Scope, Status
from .validation import (
    ServerValidationError,
    check_scope_deletable,
    check_server_deletable,
    validate_claim,
    validate_policy,
    validate_rule,
    validate_scope,
    validate_server,
)

DEACTIVATED = "authorization_server_deactivated"  # the families' revoked_reason


# References in events -------------------------------------------------------------------------


def server_ref(server: AuthorizationServer) -> dict:
    return {"id": server.id, "type": "AuthorizationServer", "alternateId": server.id, "displayName": server.name}


def _scope_ref(scope: Scope) -> dict:
    return {"id": scope.id, "type": "OAuth2Scope", "alternateId": scope.name, "displayName": scope.name}


def _claim_ref(claim: Claim) -> dict:
    return {"id": claim.id, "type": "OAuth2Claim", "alternateId": claim.claim_type, "displayName": claim.name}


def _policy_ref(policy: Policy) -> dict:
    return {
        "id": policy.id,
        "type": "PolicyEntity",
        "alternateId": "OAUTH_AUTHORIZATION_POLICY",
        "displayName": policy.name,
    }


def _rule_ref(rule: PolicyRule) -> dict:
    return {"id": rule.id, "type": "PolicyRule", "alternateId": "RESOURCE_ACCESS", "displayName": rule.name}


def _log(event_type: str, message: str, targets: list[dict], audit: Audit, **debug) -> None:
    recording.record(
        event_type, message, audit=audit, actor=recording.actor_ref(audit.user), targets=targets, debug=debug or None
    )


# The server's lock and clock --------------------------------------------------------------------


def _lock(server_id: str) -> AuthorizationServer:
    """The server's row, locked until the transaction ends (one writer per server at a time)."""
    server = AuthorizationServer.objects.select_for_update().filter(pk=server_id).first()
    if server is None:
        raise ServerValidationError({"id": ["The authorization server no longer exists."]})
    return server


def _touch(server: AuthorizationServer) -> None:
    """Move `last_updated`: every worker's cached copy of this server is stale from now (registry.py), this
    process's at once, and again at commit so no copy read before the commit survives here."""
    server.last_updated = timezone.now()
    AuthorizationServer.objects.filter(pk=server.pk).update(last_updated=server.last_updated)
    registry.forget(server.pk)
    transaction.on_commit(lambda: registry.forget(server.pk))


def _save_unique(obj, field: str, message: str) -> None:
    """Save; a concurrent request that took the same name first is a validation error, not a 500."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise ServerValidationError({field: [message]}) from None


def _renumber(items: list, keep=None) -> None:
    """Number `items` 1..n in their order; saves those whose priority moved, except `keep` (its caller saves it)."""
    changed = []
    for number, item in enumerate(items, start=1):
        if item.priority != number:
            item.priority = number
            if item is not keep:
                changed.append(item)
    if changed:
        type(items[0]).objects.bulk_update(changed, ["priority"])


def _place(siblings: list, obj, priority: int | None) -> None:
    """Put `obj` at `priority` (1-based; None or past the end = last) among `siblings` and renumber 1..n."""
    others = [s for s in siblings if s.pk != obj.pk]
    index = len(others) if priority is None else max(0, min(priority - 1, len(others)))
    others.insert(index, obj)
    _renumber(others, keep=obj)


# Servers --------------------------------------------------------------------------------------


def create_server(data: dict, *, audit: Audit = SYSTEM) -> AuthorizationServer:
    """A new ACTIVE server with the system scopes and its signing keys, and no policy yet (as in Okta, a
    sign-in through it fails policy evaluation until an admin adds one)."""
    clean = validate_server(data)
    with transaction.atomic():
        server = AuthorizationServer.objects.create(**clean, status=Status.ACTIVE)
        Scope.objects.bulk_create(system_scopes(Scope, server))
        keys.ensure_keys(server.id)
        _log(
            types.authorization_server("created"),
            f"Created authorization server '{server.name}'",
            [server_ref(server)],
            audit,
        )
    return server


def update_server(server: AuthorizationServer, changes: dict, *, audit: Audit = SYSTEM) -> AuthorizationServer:
    """Change name, description or audiences (None = keep). The issuer and status do not change here."""
    clean = validate_server(changes, instance=server)
    with transaction.atomic():
        server = _lock(server.pk)
        for name, value in clean.items():
            setattr(server, name, value)
        server.save()
        _touch(server)
        _log(
            types.authorization_server("updated"),
            f"Updated authorization server '{server.name}'",
            [server_ref(server)],
            audit,
        )
    return server


def activate_server(server: AuthorizationServer, *, audit: Audit = SYSTEM) -> AuthorizationServer:
    with transaction.atomic():
        server = _lock(server.pk)
        server.status = Status.ACTIVE
        server.save()
        _touch(server)
        _log(
            types.authorization_server("activated"),
            f"Activated authorization server '{server.name}'",
            [server_ref(server)],
            audit,
        )
    return server


def deactivate_server(server: AuthorizationServer, *, audit: Audit = SYSTEM) -> AuthorizationServer:
    """INACTIVE: its endpoints answer 404 and every token family it issued is revoked, in one transaction."""
    with transaction.atomic():
        server = _lock(server.pk)
        server.status = Status.INACTIVE
        server.save()
        _touch(server)
        revoked = revoke_server_families(server.id, reason=DEACTIVATED, audit=audit)
        _log(
            types.authorization_server("deactivated"),
            f"Deactivated authorization server '{server.name}'",
            [server_ref(server)],
            audit,
            revokedFamilies=revoked,
        )
    return server


def delete_server(server: AuthorizationServer, *, audit: Audit = SYSTEM) -> None:
    """Only an INACTIVE server other than `default`; its scopes, claims, policies, rules and keys go with it."""
    with transaction.atomic():
        server = _lock(server.pk)
        check_server_deletable(server)
        _log(
            types.authorization_server("deleted"),
            f"Deleted authorization server '{server.name}'",
            [server_ref(server)],
            audit,
        )
        SigningKey.objects.filter(server=server.id).delete()
        server.delete()
    keys.clear_cache()


# Scopes ---------------------------------------------------------------------------------------


def create_scope(server: AuthorizationServer, data: dict, *, audit: Audit = SYSTEM) -> Scope:
    clean = validate_scope(server, data)
    with transaction.atomic():
        server = _lock(server.pk)
        scope = Scope(server=server, **clean)
        _save_unique(scope, "name", f"A scope named '{scope.name}' already exists on this authorization server.")
        _touch(server)
        _log(
            types.oauth2_scope("created"),
            f"Created scope '{scope.name}'",
            [server_ref(server), _scope_ref(scope)],
            audit,
        )
    return scope


def update_scope(scope: Scope, changes: dict, *, audit: Audit = SYSTEM) -> Scope:
    clean = validate_scope(scope.server, changes, instance=scope)
    with transaction.atomic():
        server = _lock(scope.server_id)
        for name, value in clean.items():
            setattr(scope, name, value)
        _save_unique(scope, "name", f"A scope named '{scope.name}' already exists on this authorization server.")
        _touch(server)
        _log(
            types.oauth2_scope("updated"),
            f"Updated scope '{scope.name}'",
            [server_ref(server), _scope_ref(scope)],
            audit,
        )
    return scope


def delete_scope(scope: Scope, *, audit: Audit = SYSTEM) -> None:
    """Not a system scope. Rules and claims that name it keep the name; a sign-in can no longer ask for it."""
    check_scope_deletable(scope)
    with transaction.atomic():
        server = _lock(scope.server_id)
        _log(
            types.oauth2_scope("deleted"),
            f"Deleted scope '{scope.name}'",
            [server_ref(server), _scope_ref(scope)],
            audit,
        )
        scope.delete()
        _touch(server)


# Claims ---------------------------------------------------------------------------------------


def _claim_taken(claim: Claim) -> str:
    return f"A {claim.claim_type} claim named '{claim.name}' already exists."


def create_claim(server: AuthorizationServer, data: dict, *, audit: Audit = SYSTEM) -> Claim:
    clean = validate_claim(server, data)
    with transaction.atomic():
        server = _lock(server.pk)
        claim = Claim(server=server, **clean)
        _save_unique(claim, "name", _claim_taken(claim))
        _touch(server)
        _log(
            types.oauth2_claim("created"),
            f"Created claim '{claim.name}'",
            [server_ref(server), _claim_ref(claim)],
            audit,
        )
    return claim


def update_claim(claim: Claim, changes: dict, *, audit: Audit = SYSTEM) -> Claim:
    clean = validate_claim(claim.server, changes, instance=claim)
    with transaction.atomic():
        server = _lock(claim.server_id)
        for name, value in clean.items():
            setattr(claim, name, value)
        _save_unique(claim, "name", _claim_taken(claim))
        _touch(server)
        _log(
            types.oauth2_claim("updated"),
            f"Updated claim '{claim.name}'",
            [server_ref(server), _claim_ref(claim)],
            audit,
        )
    return claim


def delete_claim(claim: Claim, *, audit: Audit = SYSTEM) -> None:
    with transaction.atomic():
        server = _lock(claim.server_id)
        _log(
            types.oauth2_claim("deleted"),
            f"Deleted claim '{claim.name}'",
            [server_ref(server), _claim_ref(claim)],
            audit,
        )
        claim.delete()
        _touch(server)


# Policies -------------------------------------------------------------------------------------


def _policy_targets(server: AuthorizationServer, policy: Policy) -> list[dict]:
    return [server_ref(server), _policy_ref(policy)]


def create_policy(server: AuthorizationServer, data: dict, *, audit: Audit = SYSTEM) -> Policy:
    clean = validate_policy(server, data)
    priority = clean.pop("priority")
    with transaction.atomic():
        server = _lock(server.pk)
        policy = Policy(server=server, **clean)
        _place(list(Policy.objects.filter(server=server)), policy, priority)
        policy.save()
        _touch(server)
        _log(
            types.policy_lifecycle("create"),
            f"Created access policy '{policy.name}'",
            _policy_targets(server, policy),
            audit,
        )
    return policy


def update_policy(policy: Policy, changes: dict, *, audit: Audit = SYSTEM) -> Policy:
    """Name, description, clients, status and priority (None = keep each)."""
    clean = validate_policy(policy.server, changes, instance=policy)
    priority = clean.pop("priority")
    with transaction.atomic():
        server = _lock(policy.server_id)
        for name, value in clean.items():
            setattr(policy, name, value)
        _place(list(Policy.objects.filter(server=server)), policy, priority)
        policy.save()
        _touch(server)
        _log(
            types.policy_lifecycle("update"),
            f"Updated access policy '{policy.name}'",
            _policy_targets(server, policy),
            audit,
        )
    return policy


def reorder_policy(policy: Policy, priority: int, *, audit: Audit = SYSTEM) -> Policy:
    """Move the policy to `priority` (the console's up and down buttons)."""
    return update_policy(policy, {"priority": priority}, audit=audit)


def _set_policy_status(policy: Policy, status: str, action: str, audit: Audit) -> Policy:
    with transaction.atomic():
        server = _lock(policy.server_id)
        policy.status = status
        policy.save(update_fields=["status", "last_updated"])
        _touch(server)
        _log(
            types.policy_lifecycle(action),
            f"{action.capitalize()}d access policy '{policy.name}'",
            _policy_targets(server, policy),
            audit,
        )
    return policy


def activate_policy(policy: Policy, *, audit: Audit = SYSTEM) -> Policy:
    return _set_policy_status(policy, Status.ACTIVE, "activate", audit)


def deactivate_policy(policy: Policy, *, audit: Audit = SYSTEM) -> Policy:
    """An inactive policy is skipped at evaluation; families it already started keep their lifetimes."""
    return _set_policy_status(policy, Status.INACTIVE, "deactivate", audit)


def delete_policy(policy: Policy, *, audit: Audit = SYSTEM) -> None:
    """The policy and its rules; the others close ranks (1..n)."""
    with transaction.atomic():
        server = _lock(policy.server_id)
        _log(
            types.policy_lifecycle("delete"),
            f"Deleted access policy '{policy.name}'",
            _policy_targets(server, policy),
            audit,
        )
        policy.delete()
        _renumber(list(Policy.objects.filter(server=server)))
        _touch(server)


# Rules ----------------------------------------------------------------------------------------


def _rule_targets(server: AuthorizationServer, rule: PolicyRule) -> list[dict]:
    return [server_ref(server), _policy_ref(rule.policy), _rule_ref(rule)]


def _rule_debug(rule: PolicyRule) -> dict:
    """What the rule grants, so the log shows the lifetimes an admin set and when."""
    return {
        "accessTokenLifetimeMinutes": rule.access_token_lifetime_minutes,
        "refreshTokenLifetimeMinutes": rule.refresh_token_lifetime_minutes,
        "refreshTokenWindowMinutes": rule.refresh_token_window_minutes,
    }


def create_rule(policy: Policy, data: dict, *, audit: Audit = SYSTEM) -> PolicyRule:
    clean = validate_rule(policy, data)
    priority = clean.pop("priority")
    with transaction.atomic():
        server = _lock(policy.server_id)
        rule = PolicyRule(policy=policy, **clean)
        _place(list(PolicyRule.objects.filter(policy=policy)), rule, priority)
        rule.save()
        _touch(server)
        _log(
            types.policy_rule("add"),
            f"Added rule '{rule.name}'",
            _rule_targets(server, rule),
            audit,
            **_rule_debug(rule),
        )
    return rule


def update_rule(rule: PolicyRule, changes: dict, *, audit: Audit = SYSTEM) -> PolicyRule:
    """Conditions, lifetimes, status and priority (None = keep each). Families already started keep the
    lifetimes they were given."""
    clean = validate_rule(rule.policy, changes, instance=rule)
    priority = clean.pop("priority")
    with transaction.atomic():
        server = _lock(rule.policy.server_id)
        for name, value in clean.items():
            setattr(rule, name, value)
        _place(list(PolicyRule.objects.filter(policy_id=rule.policy_id)), rule, priority)
        rule.save()
        _touch(server)
        _log(
            types.policy_rule("update"),
            f"Updated rule '{rule.name}'",
            _rule_targets(server, rule),
            audit,
            **_rule_debug(rule),
        )
    return rule


def reorder_rule(rule: PolicyRule, priority: int, *, audit: Audit = SYSTEM) -> PolicyRule:
    """Move the rule to `priority` within its policy (the console's up and down buttons)."""
    return update_rule(rule, {"priority": priority}, audit=audit)


def _set_rule_status(rule: PolicyRule, status: str, action: str, audit: Audit) -> PolicyRule:
    with transaction.atomic():
        server = _lock(rule.policy.server_id)
        rule.status = status
        rule.save(update_fields=["status", "last_updated"])
        _touch(server)
        _log(
            types.policy_rule(action), f"{action.capitalize()}d rule '{rule.name}'", _rule_targets(server, rule), audit
        )
    return rule


def activate_rule(rule: PolicyRule, *, audit: Audit = SYSTEM) -> PolicyRule:
    return _set_rule_status(rule, Status.ACTIVE, "activate", audit)


def deactivate_rule(rule: PolicyRule, *, audit: Audit = SYSTEM) -> PolicyRule:
    return _set_rule_status(rule, Status.INACTIVE, "deactivate", audit)


def delete_rule(rule: PolicyRule, *, audit: Audit = SYSTEM) -> None:
    with transaction.atomic():
        server = _lock(rule.policy.server_id)
        _log(types.policy_rule("delete"), f"Deleted rule '{rule.name}'", _rule_targets(server, rule), audit)
        rule.delete()
        _renumber(list(PolicyRule.objects.filter(policy_id=rule.policy_id)))
        _touch(server)
