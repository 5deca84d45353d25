"""The rules for what admins configure on an authorization server, shared by the console and the API.

Each `validate_*()` takes the object's settings in a flat form (the model's field names), with the
object being changed (None on create), and returns them cleaned, or raises ServerValidationError
with every problem keyed by field, in a fixed order. The API maps the field names onto Okta's JSON
paths (`actions.token.accessTokenLifetimeMinutes`) for E0000001's causes (tokens/servers/serializers.py);
the console shows each message beside its field. Rules that depend on state (a name taken, a
system scope, a server still active) live here too, so both surfaces refuse the same things.
"""

import re
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from accounts.models import Group
from clients.models import GRANT_DEVICE_CODE, GRANT_TYPES, Application

from .builtin import SYSTEM_SCOPE_DESCRIPTIONS
from .models import ALL_CLIENTS, ALL_SCOPES, EVERYONE, AuthorizationServer, Claim, Policy, PolicyRule, Scope, Status

DEVICE_CODE_SHORT = "device_code"

# The scopes every server has (OIDC Core §5.4 and §11); they cannot be deleted or renamed.
SYSTEM_SCOPES = list(SYSTEM_SCOPE_DESCRIPTIONS)

# Okta's limits on a rule's `actions.token` (SPEC §4), in minutes.
ACCESS_TOKEN_MIN, ACCESS_TOKEN_MAX, ACCESS_TOKEN_DEFAULT = 5, 1440, 60
REFRESH_TOKEN_MAX = 5 * 365 * 24 * 60  # five years; 0 = unlimited
WINDOW_MIN, WINDOW_MAX, WINDOW_DEFAULT = 10, 2_628_000, 10080

STATUSES = [Status.ACTIVE, Status.INACTIVE]
CONSENTS = [c.value for c in Scope.Consent]
PUBLISH = [c.value for c in Scope.Publish]
CLAIM_TYPES = [c.value for c in Claim.ClaimType]
VALUE_TYPES = [c.value for c in Claim.ValueType]
GROUP_FILTERS = [c.value for c in Claim.GroupFilter]

# RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`.
_SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")
_CLAIM_NAME = re.compile(r"^[A-Za-z0-9_:.\-]+$")


class ServerValidationError(Exception):
    """Problems with an authorization server's settings, keyed by field, each a list of messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class _Check:
    clean: dict = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def done(self) -> dict:
        if self.errors:
            raise ServerValidationError(self.errors)
        return self.clean


def _start(defaults: dict, data: dict, instance=None) -> _Check:
    """For what was not sent the instance's settings (the defaults' keys; lists copied, so the instance changes
    only when a write saves), or the defaults on create; then what was sent (None means "not sent")."""
    if instance is not None:
        defaults = {name: _copied(getattr(instance, name)) for name in defaults}
    return _Check(clean=defaults | {k: v for k, v in data.items() if v is not None and k in defaults})


def _copied(value):
    return list(value) if isinstance(value, list) else value


def _text(check: _Check, name: str, label: str, max_length: int, *, required: bool) -> None:
    value = check.clean.get(name)
    if not isinstance(value, str):
        check.fail(name, f"{label} must be text.")
        return
    value = value.strip()
    if required and not value:
        check.fail(name, f"{label} is required.")
    elif len(value) > max_length:
        check.fail(name, f"{label} must be at most {max_length} characters.")
    elif "\x00" in value:
        check.fail(name, f"{label} must not contain NUL characters.")
    check.clean[name] = value


def _choice(check: _Check, name: str, label: str, choices: list[str]) -> None:
    if check.clean.get(name) not in choices:
        check.fail(name, f"{label} must be one of: {', '.join(choices)}.")


def _boolean(check: _Check, name: str, label: str) -> None:
    if not isinstance(check.clean.get(name), bool):
        check.fail(name, f"{label} must be true or false.")


def _whole(value: object) -> bool:
    """A whole number as JSON sends it: `True` is an int to Python but not a number of minutes."""
    return isinstance(value, int) and not isinstance(value, bool)


def _string_list(check: _Check, name: str, label: str, *, required: bool, max_items: int = 100) -> list[str] | None:
    """A list of non-blank strings, repeats dropped; None (and a problem recorded) when it is not one."""
    value = check.clean.get(name)
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        check.fail(name, f"{label} must be a list of names.")
        return None
    value = list(dict.fromkeys(v.strip() for v in value))
    if required and not value:
        check.fail(name, f"{label} needs at least one entry.")
        return None
    if len(value) > max_items:
        check.fail(name, f"{label} may have at most {max_items} entries.")
        return None
    check.clean[name] = value
    return value


def _priority(check: _Check) -> None:
    """1 is evaluated first; a number past the last puts it last (services.py keeps them 1..n)."""
    value = check.clean.get("priority")
    if value is not None and (not _whole(value) or value < 1):
        check.fail("priority", "Priority must be a whole number of at least 1.")


# Servers --------------------------------------------------------------------------------------


def validate_server(data: dict, *, instance: AuthorizationServer | None = None) -> dict:
    """Keys: name, description, audiences (Okta allows one audience: the access token's `aud`)."""
    defaults = {"name": "", "description": "", "audiences": []}
    check = _start(defaults, data, instance)
    _text(check, "name", "The name", 100, required=True)
    _text(check, "description", "The description", 1000, required=False)
    audiences = _string_list(check, "audiences", "Audiences", required=True, max_items=1)
    for audience in audiences or []:
        if len(audience) > 1024 or any(ch.isspace() or not ch.isprintable() for ch in audience):
            check.fail("audiences", f"'{audience[:100]}' is not a valid audience: no spaces, at most 1024 characters.")
    return check.done()


def check_server_deletable(server: AuthorizationServer) -> None:
    """`default` is built in; any other server is deleted only once it is INACTIVE (its families revoked)."""
    if server.id == "default":
        raise ServerValidationError({"id": ["The default authorization server cannot be deleted."]})
    if server.status != Status.INACTIVE:
        raise ServerValidationError(
            {"status": ["The authorization server must be deactivated before it can be deleted."]}
        )


# Scopes ---------------------------------------------------------------------------------------


def validate_scope(server: AuthorizationServer, data: dict, *, instance: Scope | None = None) -> dict:
    """Keys: name, display_name, description, consent, metadata_publish, default. A system scope keeps its name."""
    defaults = {
        "name": "",
        "display_name": "",
        "description": "",
        "consent": Scope.Consent.IMPLICIT,
        "metadata_publish": Scope.Publish.NO_CLIENTS,
        "default": False,
    }
    check = _start(defaults, data, instance)
    _text(check, "name", "The scope name", 255, required=True)
    name = check.clean["name"]
    if "name" not in check.errors:
        if instance is not None and instance.system and name != instance.name:
            check.fail("name", f"'{instance.name}' is a system scope; its name cannot be changed.")
        elif not _SCOPE_TOKEN.match(name):
            check.fail("name", "A scope name is printable ASCII without spaces, '\"' or '\\' (RFC 6749 §3.3).")
        elif name == ALL_SCOPES:
            check.fail("name", "'*' stands for every scope in a rule and cannot be a scope's name.")
        elif name.lower().startswith("okta."):
            check.fail("name", "Scope names starting with 'okta.' are reserved.")
        else:
            taken = Scope.objects.filter(server=server, name=name)
            if instance is not None:
                taken = taken.exclude(pk=instance.pk)
            if taken.exists():
                check.fail("name", f"A scope named '{name}' already exists on this authorization server.")
    _text(check, "display_name", "The display name", 255, required=False)
    _text(check, "description", "The description", 1000, required=False)
    _choice(check, "consent", "Consent", CONSENTS)
    _choice(check, "metadata_publish", "Metadata publish", PUBLISH)
    _boolean(check, "default", "Default")
    return check.done()


def check_scope_deletable(scope: Scope) -> None:
    if scope.system:
        raise ServerValidationError({"name": [f"'{scope.name}' is a system scope and cannot be deleted."]})


# Claims ---------------------------------------------------------------------------------------


def _claim_rules():
    """The reserved names and the value parser, owned by tokens/servers/scopes.py (which applies claims)."""
    from . import scopes

    return scopes.RESERVED_CLAIMS, scopes.parse_claim_expression


def group_filter(filter_type: str, value: str):
    from . import scopes

    return scopes.group_filter(filter_type, value)


def validate_claim(server: AuthorizationServer, data: dict, *, instance: Claim | None = None) -> dict:
    """Keys: name, claim_type, value_type, value, group_filter_type (GROUPS only), status,
    always_include_in_token, conditions_scopes."""
    defaults = {
        "name": "",
        "claim_type": "",
        "value_type": Claim.ValueType.EXPRESSION,
        "value": "",
        "group_filter_type": "",
        "status": Status.ACTIVE,
        "always_include_in_token": True,
        "conditions_scopes": [],
    }
    check = _start(defaults, data, instance)
    reserved, parse_value = _claim_rules()
    _text(check, "name", "The claim name", 255, required=True)
    name = check.clean["name"]
    if "name" not in check.errors:
        if not _CLAIM_NAME.match(name):
            check.fail("name", "A claim name is letters, digits, '_', ':', '.' or '-'.")
        elif name in reserved:
            check.fail("name", f"'{name}' is a reserved claim name.")
    _choice(check, "claim_type", "The claim type", CLAIM_TYPES)
    _choice(check, "value_type", "The value type", VALUE_TYPES)
    _text(check, "value", "The value", 1024, required=True)
    if check.clean.get("value_type") == Claim.ValueType.GROUPS:
        # Okta's groups claim: the value is a filter on the group names, applied as group_filter_type says.
        check.clean["group_filter_type"] = check.clean.get("group_filter_type") or ""
        if check.clean["group_filter_type"] not in GROUP_FILTERS:
            check.fail("group_filter_type", f"A groups claim needs a filter: {', '.join(GROUP_FILTERS)}.")
        elif "value" not in check.errors:
            try:
                group_filter(check.clean["group_filter_type"], check.clean["value"])
            except ValueError as exc:
                check.fail("value", str(exc))
    else:
        check.clean["group_filter_type"] = ""  # only a groups claim has one
        if "value" not in check.errors:
            try:
                parse_value(check.clean["value"])
            except ValueError as exc:
                check.fail("value", str(exc))
    _choice(check, "status", "Status", STATUSES)
    _boolean(check, "always_include_in_token", "Always include in token")
    names = _string_list(check, "conditions_scopes", "Scopes", required=False)
    if names:
        known = set(Scope.objects.filter(server=server, name__in=names).values_list("name", flat=True))
        for missing in [n for n in names if n not in known]:
            check.fail("conditions_scopes", f"'{missing}' is not a scope of this authorization server.")
    if "name" not in check.errors and "claim_type" not in check.errors:
        taken = Claim.objects.filter(server=server, name=name, claim_type=check.clean["claim_type"])
        if instance is not None:
            taken = taken.exclude(pk=instance.pk)
        if taken.exists():
            check.fail("name", f"A {check.clean['claim_type']} claim named '{name}' already exists.")
    return check.done()


# Policies -------------------------------------------------------------------------------------


def validate_policy(server: AuthorizationServer, data: dict, *, instance: Policy | None = None) -> dict:
    """Keys: name, description, status, priority (None = last), clients_include (["ALL_CLIENTS"] or client ids)."""
    defaults = {"name": "", "description": "", "status": Status.ACTIVE, "priority": None, "clients_include": []}
    check = _start(defaults, data, instance)
    _text(check, "name", "The policy name", 100, required=True)
    _text(check, "description", "The description", 255, required=False)
    _choice(check, "status", "Status", STATUSES)
    _priority(check)
    clients = _string_list(check, "clients_include", "Clients", required=True)
    if clients and ALL_CLIENTS in clients and len(clients) > 1:
        check.fail("clients_include", "Use ALL_CLIENTS alone, or a list of client IDs.")
    elif clients and ALL_CLIENTS not in clients:
        known = set(Application.objects.filter(client_id__in=clients).values_list("client_id", flat=True))
        for missing in [c for c in clients if c not in known]:
            check.fail("clients_include", f"'{missing[:100]}' is not the client ID of an app.")
    return check.done()


# Rules ----------------------------------------------------------------------------------------


def _lifetimes(check: _Check) -> None:
    """Okta's `actions.token` limits: access 5–1440; refresh 0 (unlimited) or from the access lifetime to five
    years; the idle window 10–2,628,000 and, when the refresh lifetime is set, no longer than it."""
    access = check.clean["access_token_lifetime_minutes"]
    refresh = check.clean["refresh_token_lifetime_minutes"]
    window = check.clean["refresh_token_window_minutes"]
    access_ok = _whole(access) and ACCESS_TOKEN_MIN <= access <= ACCESS_TOKEN_MAX
    if not access_ok:
        check.fail(
            "access_token_lifetime_minutes",
            f"The access token lifetime must be {ACCESS_TOKEN_MIN} to {ACCESS_TOKEN_MAX} minutes.",
        )
    refresh_ok = _whole(refresh) and (
        refresh == 0 or (refresh <= REFRESH_TOKEN_MAX and (not access_ok or refresh >= access))
    )
    if not refresh_ok:
        if _whole(refresh) and 0 < refresh <= REFRESH_TOKEN_MAX:
            message = "The refresh token lifetime must be at least the access token lifetime, or 0 for unlimited."
        else:
            message = (
                f"The refresh token lifetime must be 0 (unlimited) or at most {REFRESH_TOKEN_MAX} minutes (5 years)."
            )
        check.fail("refresh_token_lifetime_minutes", message)
    if not (_whole(window) and WINDOW_MIN <= window <= WINDOW_MAX):
        check.fail(
            "refresh_token_window_minutes",
            f"The refresh token window must be {WINDOW_MIN} to {WINDOW_MAX} minutes.",
        )
    elif refresh_ok and refresh and window > refresh:
        check.fail("refresh_token_window_minutes", "The refresh token window must not be longer than its lifetime.")


def validate_rule(policy: Policy, data: dict, *, instance: PolicyRule | None = None) -> dict:
    """Keys: name, status, priority (None = last), grant_types, scopes (["*"] or names), users_include and
    users_exclude (user ids), groups_include (["EVERYONE"] or group ids) and groups_exclude (group ids),
    and the three lifetimes."""
    defaults = {
        "name": "",
        "status": Status.ACTIVE,
        "priority": None,
        "grant_types": [],
        "scopes": [],
        "users_include": [],
        "users_exclude": [],
        "groups_include": [EVERYONE],
        "groups_exclude": [],
        "access_token_lifetime_minutes": ACCESS_TOKEN_DEFAULT,
        "refresh_token_lifetime_minutes": 0,
        "refresh_token_window_minutes": WINDOW_DEFAULT,
    }
    check = _start(defaults, data, instance)
    _text(check, "name", "The rule name", 255, required=True)
    _choice(check, "status", "Status", STATUSES)
    _priority(check)
    grants = _string_list(check, "grant_types", "Grant types", required=True) or []
    for grant in grants:
        if grant not in GRANT_TYPES and grant != DEVICE_CODE_SHORT:
            check.fail("grant_types", f"'{grant[:100]}' is not a supported grant type.")
    if grants:  # `device_code` (the console's and the short name) is stored as Okta's URN
        check.clean["grant_types"] = list(
            dict.fromkeys(GRANT_DEVICE_CODE if g == DEVICE_CODE_SHORT else g for g in grants)
        )
    names = _string_list(check, "scopes", "Scopes", required=True)
    if names and ALL_SCOPES in names and len(names) > 1:
        check.fail("scopes", "Use '*' alone, or a list of scope names.")
    elif names and ALL_SCOPES not in names:
        known = set(Scope.objects.filter(server_id=policy.server_id, name__in=names).values_list("name", flat=True))
        for missing in [n for n in names if n not in known]:
            check.fail("scopes", f"'{missing[:100]}' is not a scope of this authorization server.")
    for name, label in (("users_include", "Users"), ("users_exclude", "Excluded users")):
        users = _string_list(check, name, label, required=False)
        if users:
            known = set(get_user_model().objects.filter(uid__in=users).values_list("uid", flat=True))
            for missing in [u for u in users if u not in known]:
                check.fail(name, f"'{missing[:100]}' is not the id of a user.")
    for name, label in (("groups_include", "Groups"), ("groups_exclude", "Excluded groups")):
        groups = _string_list(check, name, label, required=False)
        if not groups:
            continue
        if name == "groups_exclude" and EVERYONE in groups:
            check.fail(name, "EVERYONE cannot be excluded: the rule would match no one.")
        named = [g for g in groups if g != EVERYONE]
        known = set(Group.objects.filter(public_id__in=named).values_list("public_id", flat=True))
        for missing in [g for g in named if g not in known]:
            check.fail(name, f"'{missing[:100]}' is not the id of a group (or EVERYONE).")
    _lifetimes(check)
    return check.done()
