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

# Every event type Rotor records, with a readable name: the system log's event-type menu reads this list rather
# than scanning the events table. OAuth events appear twice, for the org server and custom servers (`.as.`);
# tests/test_event_catalogue.py checks that every name the code records is here.
_OAUTH_EVENTS = {
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
