"""Event-type names. OAuth events of custom authorization servers insert `.as` (SPEC §8)."""


def oauth2(suffix: str, *, custom: bool) -> str:
    """`app.oauth2.<suffix>` on the org server, `app.oauth2.as.<suffix>` on custom servers."""
    return f"app.oauth2.as.{suffix}" if custom else f"app.oauth2.{suffix}"


def oauth2_both(suffix: str) -> list[str]:
    """Both forms of an OAuth event type, for reading the log of every server at once."""
    return [oauth2(suffix, custom=False), oauth2(suffix, custom=True)]


REUSE = oauth2_both("token.detect_reuse")
REVOKE = oauth2_both("token.revoke")
ACCESS_TOKEN_GRANT = oauth2_both("token.grant.access_token")
REFRESH_TOKEN_GRANT = oauth2_both("token.grant.refresh_token")
INVALID_CLIENT = "app.oauth2.invalid_client_credentials"
DEVICE_ACTIVATE = "app.oauth2.device.activate"


def client_lifecycle(action: str) -> str:
    return f"app.oauth2.client.lifecycle.{action}"


# An admin's changes to authorization servers, in Okta's names: the server, its scopes and its claims have
# their own (`oauth2.as.created`, `oauth2.scope.updated`, `oauth2.claim.deleted`); access policies and their
# rules are recorded as Okta records every policy type's (`policy.lifecycle.create`, `policy.rule.add`).
AS_ACTIONS = ["created", "updated", "activated", "deactivated", "deleted"]
SCOPE_ACTIONS = CLAIM_ACTIONS = ["created", "updated", "deleted"]
POLICY_ACTIONS = ["create", "update", "activate", "deactivate", "delete"]
RULE_ACTIONS = ["add", "update", "activate", "deactivate", "delete"]


def authorization_server(action: str) -> str:
    return f"oauth2.as.{action}"


def oauth2_scope(action: str) -> str:
    return f"oauth2.scope.{action}"


def oauth2_claim(action: str) -> str:
    return f"oauth2.claim.{action}"


def policy_lifecycle(action: str) -> str:
    return f"policy.lifecycle.{action}"


def policy_rule(action: str) -> str:
    return f"policy.rule.{action}"


def credentials_lifecycle(action: str) -> str:
    """A client secret or public key created, activated, deactivated or deleted (Okta's names)."""
    return f"app.oauth2.credentials.lifecycle.{action}"


def user_lifecycle(action: str) -> str:
    return f"user.lifecycle.{action}"


def api_token(action: str) -> str:
    return f"system.api_token.{action}"


# Sign-in, in Okta's names: a session starts (SUCCESS, or FAILURE with a reason) and ends; an account
# locks after too many failures and an admin may unlock it before the lock ends by itself.
SESSION_START = "user.session.start"
SESSION_END = "user.session.end"
SESSION_CLEAR = "user.session.clear"  # an admin ended every session of the user
ACCOUNT_LOCK = "user.account.lock"
ACCOUNT_UNLOCK_BY_ADMIN = "user.account.unlock_by_admin"

# An admin's changes to a user, and the user's own password change, in Okta's names.
USER_UPDATE_PROFILE = "user.account.update_profile"
USER_RESET_PASSWORD = "user.account.reset_password"
USER_UPDATE_PASSWORD = "user.account.update_password"

# Groups and app assignments, in Okta's names.
GROUP_CREATE = "group.lifecycle.create"
GROUP_DELETE = "group.lifecycle.delete"
GROUP_UPDATE = "group.profile.update"
GROUP_MEMBER_ADD = "group.user_membership.add"
GROUP_MEMBER_REMOVE = "group.user_membership.remove"
APP_GROUP_ASSIGN = "group.application_assignment.add"
APP_GROUP_UNASSIGN = "group.application_assignment.remove"
APP_USER_ASSIGN = "application.user_membership.add"
APP_USER_UNASSIGN = "application.user_membership.remove"

# Every event type Rotor records, with a readable name: the system log's event-type menu reads this list rather
# than scanning the events table. OAuth events appear twice, for the org server and custom servers (`.as.`);
# tests/test_event_catalogue.py checks that every name the code records is here.
_OAUTH_EVENTS = {
    "token.grant": "Token request refused by the access policy",
    "token.grant.access_token": "Access token granted",
    "token.grant.id_token": "ID token granted",
    "token.grant.refresh_token": "Refresh token granted",
    "token.detect_reuse": "Refresh token reuse detected",
    "token.revoke": "Token family revoked",
    "key.rollover": "Signing keys rotated",
    "device.authorize": "Device authorization started",
    "device.approve": "Device sign-in approved",
    "device.deny": "Device sign-in denied",
}
_OTHER_EVENTS = {
    INVALID_CLIENT: "Invalid client credentials",
    DEVICE_ACTIVATE: "Device activation failed",
    **{
        client_lifecycle(action): f"App {label}"
        for action, label in [
            ("create", "created"),
            ("update", "updated"),
            ("activate", "activated"),
            ("deactivate", "deactivated"),
            ("delete", "deleted"),
        ]
    },
    **{
        credentials_lifecycle(action): f"App credential (secret or key) {label}"
        for action, label in [
            ("create", "created"),
            ("activate", "activated"),
            ("deactivate", "deactivated"),
            ("delete", "deleted"),
        ]
    },
    **{
        user_lifecycle(action): f"User {label}"
        for action, label in [
            ("create", "created"),
            ("activate", "activated"),
            ("deactivate", "deactivated"),
            ("delete", "deleted"),
        ]
    },
    SESSION_START: "Sign-in (session started)",
    SESSION_END: "Sign-out (session ended)",
    ACCOUNT_LOCK: "Account locked",
    ACCOUNT_UNLOCK_BY_ADMIN: "Account unlocked by an admin",
    SESSION_CLEAR: "Signed out everywhere by an admin",
    USER_UPDATE_PROFILE: "User profile updated",
    USER_RESET_PASSWORD: "Temporary password set by an admin",
    USER_UPDATE_PASSWORD: "Password changed",
    GROUP_CREATE: "Group created",
    GROUP_DELETE: "Group deleted",
    GROUP_UPDATE: "Group profile updated",
    GROUP_MEMBER_ADD: "User added to a group",
    GROUP_MEMBER_REMOVE: "User removed from a group",
    APP_GROUP_ASSIGN: "Group assigned to an app",
    APP_GROUP_UNASSIGN: "Group unassigned from an app",
    APP_USER_ASSIGN: "User assigned to an app",
    APP_USER_UNASSIGN: "User unassigned from an app",
    **{authorization_server(action): f"Authorization server {action}" for action in AS_ACTIONS},
    **{oauth2_scope(action): f"Scope {action}" for action in SCOPE_ACTIONS},
    **{oauth2_claim(action): f"Claim {action}" for action in CLAIM_ACTIONS},
    **{
        policy_lifecycle(action): f"Access policy {label}"
        for action, label in zip(POLICY_ACTIONS, AS_ACTIONS, strict=True)
    },
    **{
        policy_rule(action): f"Access policy rule {label}"
        for action, label in zip(RULE_ACTIONS, AS_ACTIONS, strict=True)
    },
    api_token("create"): "API token created",
    api_token("revoke"): "API token revoked",
}

CATALOGUE: dict[str, str] = {
    **{oauth2(suffix, custom=False): f"{label} (org server)" for suffix, label in _OAUTH_EVENTS.items()},
    **{oauth2(suffix, custom=True): f"{label} (custom server)" for suffix, label in _OAUTH_EVENTS.items()},
    **_OTHER_EVENTS,
}


def choices() -> list[tuple[str, str]]:
    """(event type, readable name) for a menu, by readable name."""
    return sorted(CATALOGUE.items(), key=lambda item: (item[1].lower(), item[0]))
