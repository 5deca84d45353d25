"""Creating, changing and retiring authorization servers and what is configured on them: the one path every
writer (the API, the console, commands) goes through.

Every function validates with tokens/servers/validation.py, writes in one transaction that first locks the
server's row (so concurrent changes to one server, priorities above all, happen one after another), records
its event, and moves the server's `last_updated`: tokens/servers/registry.py caches a server's whole
configuration per process and knows it is stale by that moment alone.

Priorities of a server's policies, and of a policy's rules, stay 1..n: creating or moving one at `p` shifts
the others, as Okta does; `None` puts it last.
"""

from collections.abc import Callable
from dataclasses import dataclass

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


def _save_server(server: AuthorizationServer, fields: dict, event_type: str, done: str, audit: Audit, then=None):
    """Set `fields` on the locked row, save, touch and record; `then(server)` runs before the event in the same
    transaction and returns the event's debug."""
    with transaction.atomic():
        server = _lock(server.pk)
        for name, value in fields.items():
            setattr(server, name, value)
        server.save()
        _touch(server)
        debug = then(server) if then is not None else {}
        _log(event_type, f"{done} authorization server '{server.name}'", [server_ref(server)], audit, **debug)
    return server


def update_server(server: AuthorizationServer, changes: dict, *, audit: Audit = SYSTEM) -> AuthorizationServer:
    """Change name, description or audiences (None = keep). The issuer and status do not change here."""
    clean = validate_server(changes, instance=server)
    return _save_server(server, clean, types.authorization_server("updated"), "Updated", audit)


def activate_server(server: AuthorizationServer, *, audit: Audit = SYSTEM) -> AuthorizationServer:
    fields = {"status": Status.ACTIVE}
    return _save_server(server, fields, types.authorization_server("activated"), "Activated", audit)


def deactivate_server(server: AuthorizationServer, *, audit: Audit = SYSTEM) -> AuthorizationServer:
    """INACTIVE: its endpoints answer 404 and every token family it issued is revoked, in one transaction."""

    def revoke(server: AuthorizationServer) -> dict:
        return {"revokedFamilies": revoke_server_families(server.id, reason=DEACTIVATED, audit=audit)}

    fields = {"status": Status.INACTIVE}
    return _save_server(server, fields, types.authorization_server("deactivated"), "Deactivated", audit, then=revoke)


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


# Scopes, claims, access policies and rules ----------------------------------------------------------------


@dataclass(frozen=True)
class Writer:
    """The writers of one kind of thing configured on a server, written once for scopes, claims, access policies
    and rules: each validates, locks the server, saves, moves the server's `last_updated` and records its event,
    named in `events` by what it does ("create", "update", "activate", "deactivate", "delete")."""

    model: type
    parent: str  # what one belongs to: "server", or a rule's "policy"
    validate: Callable  # validation.validate_<kind>(parent, data, instance=…)
    noun: str  # in the events' messages: "Deleted access policy 'Default'"
    ref: Callable  # the event target that names one
    events: dict[str, str]
    ranked: bool = False  # priorities 1..n among its siblings (policies, rules)
    taken: Callable | None = None  # an unranked one's name is unique: the message when a race took it
    debug: Callable = lambda item: {}
    check_deletable: Callable = lambda item: None
    created: str = "Created"  # a rule is "Added", as Okta's policy.rule.add says

    def _server_id(self, item) -> str:
        return item.policy.server_id if self.parent == "policy" else item.server_id

    def under(self, parent):
        """The ones on `parent` (the server, or a rule's policy)."""
        return self.model.objects.filter(**{self.parent: parent})

    def _siblings(self, item) -> list:
        parent_id = f"{self.parent}_id"
        return list(self.model.objects.filter(**{parent_id: getattr(item, parent_id)}))

    def _save(self, item, priority: int | None) -> None:
        if self.ranked:
            _place(self._siblings(item), item, priority)
            item.save()
        else:
            _save_unique(item, "name", self.taken(item))

    def _record(self, verb: str, item, server: AuthorizationServer, audit: Audit, **debug) -> None:
        done = self.created if verb == "create" else f"{verb.capitalize()}d"
        policy = [_policy_ref(item.policy)] if self.parent == "policy" else []
        targets = [server_ref(server), *policy, self.ref(item)]
        _log(self.events[verb], f"{done} {self.noun} '{item.name}'", targets, audit, **debug)

    def create(self, parent, data: dict, *, audit: Audit = SYSTEM):
        """A new one on `parent` (the server, or a rule's policy); a ranked one at its `priority` (None = last)."""
        clean = self.validate(parent, data)
        priority = clean.pop("priority", None)
        with transaction.atomic():
            if self.parent == "server":
                parent = server = _lock(parent.pk)
            else:
                server = _lock(parent.server_id)
            item = self.model(**{self.parent: parent}, **clean)
            self._save(item, priority)
            _touch(server)
            self._record("create", item, server, audit, **self.debug(item))
        return item

    def update(self, item, changes: dict, *, audit: Audit = SYSTEM):
        """The settings sent (None = keep each); a ranked one moves to its `priority`."""
        clean = self.validate(getattr(item, self.parent), changes, instance=item)
        priority = clean.pop("priority", None)
        with transaction.atomic():
            server = _lock(self._server_id(item))
            for name, value in clean.items():
                setattr(item, name, value)
            self._save(item, priority)
            _touch(server)
            self._record("update", item, server, audit, **self.debug(item))
        return item

    def reorder(self, item, priority: int, *, audit: Audit = SYSTEM):
        """Move it to `priority` among its siblings (the console's up and down buttons)."""
        return self.update(item, {"priority": priority}, audit=audit)

    def _set_status(self, item, status: str, verb: str, audit: Audit):
        with transaction.atomic():
            server = _lock(self._server_id(item))
            item.status = status
            item.save(update_fields=["status", "last_updated"])
            _touch(server)
            self._record(verb, item, server, audit)
        return item

    def activate(self, item, *, audit: Audit = SYSTEM):
        return self._set_status(item, Status.ACTIVE, "activate", audit)

    def deactivate(self, item, *, audit: Audit = SYSTEM):
        """An inactive policy or rule is skipped at evaluation; families it already started keep their lifetimes."""
        return self._set_status(item, Status.INACTIVE, "deactivate", audit)

    def delete(self, item, *, audit: Audit = SYSTEM) -> None:
        """A ranked one's siblings close ranks (1..n); a policy's rules go with it."""
        self.check_deletable(item)
        with transaction.atomic():
            server = _lock(self._server_id(item))
            self._record("delete", item, server, audit)
            item.delete()
            if self.ranked:
                _renumber(self._siblings(item))
            _touch(server)


def _rule_debug(rule: PolicyRule) -> dict:
    """What the rule grants, so the log shows the lifetimes an admin set and when."""
    return {
        "accessTokenLifetimeMinutes": rule.access_token_lifetime_minutes,
        "refreshTokenLifetimeMinutes": rule.refresh_token_lifetime_minutes,
        "refreshTokenWindowMinutes": rule.refresh_token_window_minutes,
    }


# A system scope is not deleted; rules and claims that name a deleted scope keep the name.
SCOPES = Writer(
    model=Scope,
    parent="server",
    validate=validate_scope,
    noun="scope",
    ref=_scope_ref,
    events={
        "create": types.oauth2_scope("created"),
        "update": types.oauth2_scope("updated"),
        "delete": types.oauth2_scope("deleted"),
    },
    taken=lambda scope: f"A scope named '{scope.name}' already exists on this authorization server.",
    check_deletable=check_scope_deletable,
)
CLAIMS = Writer(
    model=Claim,
    parent="server",
    validate=validate_claim,
    noun="claim",
    ref=_claim_ref,
    events={
        "create": types.oauth2_claim("created"),
        "update": types.oauth2_claim("updated"),
        "delete": types.oauth2_claim("deleted"),
    },
    taken=lambda claim: f"A {claim.claim_type} claim named '{claim.name}' already exists.",
)
POLICIES = Writer(
    model=Policy,
    parent="server",
    validate=validate_policy,
    noun="access policy",
    ref=_policy_ref,
    events={
        "create": types.policy_lifecycle("create"),
        "update": types.policy_lifecycle("update"),
        "activate": types.policy_lifecycle("activate"),
        "deactivate": types.policy_lifecycle("deactivate"),
        "delete": types.policy_lifecycle("delete"),
    },
    ranked=True,
)
# Families already started keep the lifetimes a rule gave them when it changes.
RULES = Writer(
    model=PolicyRule,
    parent="policy",
    validate=validate_rule,
    noun="rule",
    ref=_rule_ref,
    events={
        "create": types.policy_rule("add"),
        "update": types.policy_rule("update"),
        "activate": types.policy_rule("activate"),
        "deactivate": types.policy_rule("deactivate"),
        "delete": types.policy_rule("delete"),
    },
    ranked=True,
    debug=_rule_debug,
    created="Added",
)

# The writers by name, as the API, the console, commands and tests call them.
create_scope, update_scope, delete_scope = SCOPES.create, SCOPES.update, SCOPES.delete
create_claim, update_claim, delete_claim = CLAIMS.create, CLAIMS.update, CLAIMS.delete
create_policy, update_policy, delete_policy = POLICIES.create, POLICIES.update, POLICIES.delete
reorder_policy, activate_policy, deactivate_policy = POLICIES.reorder, POLICIES.activate, POLICIES.deactivate
create_rule, update_rule, delete_rule = RULES.create, RULES.update, RULES.delete
reorder_rule, activate_rule, deactivate_rule = RULES.reorder, RULES.activate, RULES.deactivate
