"""Access-policy evaluation (Okta's authorization-server policies and rules).

A custom server's policies are tried in priority order, ACTIVE ones only; the first whose clients
include the app (`ALL_CLIENTS` or its client id) is the one used. Inside it, the first ACTIVE rule
(priority order) whose grant types, scopes and people all match decides: its `actions.token`
gives the lifetimes, which a family stores at sign-in and keeps. The org server has no policies:
its lifetimes are fixed (SPEC §4).

Evaluated at the sign-in (authorize; the token exchange of the code and device grants) and at every
client_credentials grant, never at a refresh. Everything here reads the cached configuration
(registry.py), so it costs no statement.
"""

from dataclasses import dataclass

from django.conf import settings

from clients.models import GRANT_DEVICE_CODE

from .models import ALL_CLIENTS, ALL_SCOPES, EVERYONE
from .registry import AuthServer

POLICY_FAILED = "Policy evaluation failed for this request, please check the policy configurations."
DEVICE_CODE_SHORT = "device_code"  # the name the rules use; rows may hold either form


@dataclass(frozen=True)
class Lifetimes:
    access_minutes: int
    id_minutes: int
    refresh_minutes: int  # absolute; 0 = unlimited
    window_minutes: int  # idle window, restarted by every use


@dataclass(frozen=True)
class Decision:
    """What a sign-in or grant gets: the matching policy and rule (None on the org server) and the lifetimes."""

    lifetimes: Lifetimes
    policy: object = None
    rule: object = None

    @property
    def allows_refresh(self) -> bool:
        """Okta issues a refresh token only when the rule allows the refresh_token grant."""
        return self.rule is None or "refresh_token" in (self.rule.grant_types or [])


class PolicyDenied(Exception):
    """No rule matches. `reason` says why, for the console's Token Preview; clients see POLICY_FAILED."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def org_lifetimes() -> Lifetimes:
    return Lifetimes(
        access_minutes=settings.ROTOR_ACCESS_TOKEN_MINUTES,
        id_minutes=settings.ROTOR_ID_TOKEN_MINUTES,
        refresh_minutes=settings.ROTOR_ORG_REFRESH_LIFETIME_MINUTES,
        window_minutes=settings.ROTOR_ORG_REFRESH_LIFETIME_MINUTES,
    )


def user_group_ids(user) -> set[str]:
    """The ids of the groups `user` belongs to, for the rules' group conditions.

    Empty until groups exist: the groups issue (15) fills this in. Only `EVERYONE` matches meanwhile.
    """
    return set()


def _grant_matches(rule, grant_type: str) -> bool:
    allowed = set(rule.grant_types or [])
    if GRANT_DEVICE_CODE in allowed:
        allowed.add(DEVICE_CODE_SHORT)
    if DEVICE_CODE_SHORT in allowed:
        allowed.add(GRANT_DEVICE_CODE)
    return grant_type in allowed


def _scopes_match(rule, scopes: list[str]) -> bool:
    """`*` matches any request; otherwise every requested scope must be among the rule's."""
    listed = rule.scopes or []
    return ALL_SCOPES in listed or set(scopes) <= set(listed)


def _people_match(rule, user) -> bool:
    """Users and groups included (none named = everyone), and not excluded. Without a user
    (client_credentials) only a rule that names no particular user or group applies."""
    users_in, groups_in = rule.users_include or [], rule.groups_include or []
    everyone = (not users_in and not groups_in) or EVERYONE in groups_in
    if user is None:
        return everyone
    ids = {user.uid, str(user.pk)}
    groups = user_group_ids(user)
    if ids & set(rule.users_exclude or []) or groups & set(rule.groups_exclude or []):
        return False
    return everyone or bool(ids & set(users_in)) or bool(groups & set(groups_in))


def rule_mismatch(rule, *, grant_type: str, scopes: list[str], user) -> str | None:
    """Why `rule` does not match this request, or None when it does."""
    if rule.status != "ACTIVE":
        return "the rule is inactive"
    if not _grant_matches(rule, grant_type):
        return f"grant type {grant_type} is not one of the rule's"
    if not _scopes_match(rule, scopes):
        missing = sorted(set(scopes) - set(rule.scopes or []))
        return f"the rule does not include the scopes {', '.join(missing)}"
    if not _people_match(rule, user):
        return "the user is not one the rule applies to" if user is not None else "the rule applies to users only"
    return None


def covering_policy(server: AuthServer, app):
    """The first ACTIVE policy (priority order) whose clients include `app`, with its rules; None if none."""
    for policy, rules in server.config.policies:
        if policy.status != "ACTIVE":
            continue
        clients = policy.clients_include or []
        if ALL_CLIENTS in clients or app.client_id in clients:
            return policy, rules
    return None


def lifetimes_of(rule) -> Lifetimes:
    return Lifetimes(
        access_minutes=rule.access_token_lifetime_minutes,
        id_minutes=settings.ROTOR_ID_TOKEN_MINUTES,  # Okta's ID tokens live one hour whatever the rule
        refresh_minutes=rule.refresh_token_lifetime_minutes,
        window_minutes=rule.refresh_token_window_minutes,
    )


def evaluate(server: AuthServer, app, *, grant_type: str, scopes: list[str], user=None) -> Decision:
    """The decision for one sign-in or client_credentials grant; raises PolicyDenied when no rule matches."""
    if not server.is_custom:
        return Decision(org_lifetimes())
    found = covering_policy(server, app)
    if found is None:
        raise PolicyDenied(f"no active policy covers the client {app.client_id}")
    policy, rules = found
    reasons = []
    for rule in rules:
        mismatch = rule_mismatch(rule, grant_type=grant_type, scopes=scopes, user=user)
        if mismatch is None:
            return Decision(lifetimes_of(rule), policy, rule)
        reasons.append(f"{rule.name}: {mismatch}")
    if not reasons:
        raise PolicyDenied(f"the policy {policy.name} has no rules")
    raise PolicyDenied(f"no rule of the policy {policy.name} matches ({'; '.join(reasons)})")


def decide(server: AuthServer, app, *, grant_type: str, scopes: list[str], user=None, audit=None) -> Decision:
    """`evaluate()` for the token endpoint: no match records the failure event (the only write) and raises
    `401 access_denied` with Okta's description."""
    try:
        return evaluate(server, app, grant_type=grant_type, scopes=scopes, user=user)
    except PolicyDenied as denied:
        from core.systemlog import recording
        from core.systemlog.audit import SYSTEM
        from tokens.oauth.errors import OAuthError

        recording.record(
            server.event_type("token.grant"),
            "Token request refused by the access policy",
            audit=audit or SYSTEM,
            actor=recording.app_ref(app),
            targets=[recording.user_ref(user)] if user is not None else [],
            result="FAILURE",
            reason=POLICY_FAILED,
            app=app,
            user=user,
            debug={"grantType": grant_type, "scopes": " ".join(scopes), "policyEvaluation": denied.reason},
        )
        raise OAuthError("access_denied", POLICY_FAILED, status=401) from None
