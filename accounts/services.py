"""Creating and retiring users, and API tokens: shared by the console, the API and commands."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core import sessions
from core.crypto import hash_token, new_token
from core.systemlog import recording, types
from core.systemlog.audit import SYSTEM, Audit
from tokens.lifecycle.revocation import revoke_families
from tokens.models import TokenFamily

from .models import ApiToken, User


class UserValidationError(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def _log(action: str, message: str, user: User, audit: Audit, *, event_type: str = "", debug=None) -> None:
    """Record `user.lifecycle.<action>` (or `event_type`) for `user`."""
    recording.record(
        event_type or types.user_lifecycle(action),
        message,
        audit=audit,
        actor=recording.actor_ref(audit.user),
        targets=[recording.user_ref(user)],
        user=user,
        debug=debug,
    )


def create_user(
    *,
    username: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    is_staff: bool = False,
    activate: bool = True,
    audit: Audit = SYSTEM,
) -> User:
    errors: dict[str, list[str]] = {}
    username = (username or "").strip()
    if not username:
        errors["username"] = ["A username (login) is required."]
    elif len(username) > 150:
        errors["username"] = ["A username must be at most 150 characters."]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = ["A user with this username already exists."]
    if password:
        try:
            validate_password(password, User(username=username, email=email))
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise UserValidationError(errors)
    with transaction.atomic():
        user = User.objects.create_user(
            username, email, password, first_name=first_name, last_name=last_name, is_staff=is_staff, is_active=activate
        )
        if not password:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        _log("create", f"Created user {username}", user, audit)
    return user


def _set_active(user: User, is_active: bool, action: str, audit: Audit) -> User:
    """Activate or deactivate; deactivation revokes every token family the user holds (SPEC §3)."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=is_active)
        user.is_active = is_active
        if not is_active:
            revoke_families(user=user, reason="user_deactivated", audit=audit)
        _log(action, f"{action.capitalize()}d user {user.username}", user, audit)
    return user


def deactivate_user(user: User, *, audit: Audit = SYSTEM) -> User:
    """Deactivate a user and revoke every token family they hold."""
    return _set_active(user, False, "deactivate", audit)


def activate_user(user: User, *, audit: Audit = SYSTEM) -> User:
    return _set_active(user, True, "activate", audit)


PROFILE_FIELDS = ("first_name", "last_name", "email")


def update_profile(user: User, *, audit: Audit = SYSTEM, **changes: str) -> list[str]:
    """Change the user's name and email (PROFILE_FIELDS); returns the fields that changed, and logs
    Okta's `user.account.update_profile` naming them (never their values) when any did."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"Not profile fields: {sorted(unknown)}")
    errors: dict[str, list[str]] = {}
    for name, value in changes.items():
        if len(value or "") > User._meta.get_field(name).max_length:
            errors[name] = [f"At most {User._meta.get_field(name).max_length} characters."]
    if errors:
        raise UserValidationError(errors)
    changed = [name for name, value in changes.items() if (value or "").strip() != getattr(user, name)]
    if not changed:
        return []
    with transaction.atomic():
        for name in changed:
            setattr(user, name, changes[name].strip())
        user.save(update_fields=changed)
        _log(
            "update_profile",
            f"Updated the profile of {user.username}",
            user,
            audit,
            event_type=types.USER_UPDATE_PROFILE,
            debug={"changedAttributes": ",".join(changed)},
        )
    return changed


def set_temporary_password(user: User, password: str, *, audit: Audit = SYSTEM) -> None:
    """An admin's password reset: `password` works once, for a sign-in that must choose a new one first.

    Setting a password changes the session hash Django keeps in each session, so the user's
    existing sessions end with it."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise UserValidationError({"password": list(exc.messages)}) from None
    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = True
        user.save(update_fields=["password", "must_change_password"])
        _log(
            "reset_password",
            f"Set a temporary password for {user.username}",
            user,
            audit,
            event_type=types.USER_RESET_PASSWORD,
        )


def finish_password_change(user: User, new_password: str, *, audit: Audit = SYSTEM) -> None:
    """The user chose a new password in place of a temporary one (after PasswordChangeForm checked it)."""
    with transaction.atomic():
        user.set_password(new_password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        recording.record(
            types.USER_UPDATE_PASSWORD,
            f"{user.username} replaced a temporary password",
            audit=audit,
            actor=recording.user_ref(user),
            targets=[recording.user_ref(user)],
            user=user,
        )


def active_family_count(user: User) -> int:
    """How many token families "revoke all tokens" would revoke now."""
    return TokenFamily.objects.filter(user=user, status=TokenFamily.Status.ACTIVE).count()


def revoke_all_tokens(user: User, *, audit: Audit = SYSTEM) -> int:
    """Revoke every active family of the user and every access token issued to them so far; returns the count."""
    return revoke_families(user=user, reason="revoked_by_admin", audit=audit)


def sign_out_everywhere(user: User, *, audit: Audit = SYSTEM) -> tuple[int, int]:
    """End every console and sign-in session of the user and revoke their tokens; returns (sessions, families).

    The sessions go first: a family revoked while a session lives could be started again by /authorize
    without a password."""
    with transaction.atomic():
        ended = sessions.end_sessions_of(user.pk)
        revoked = revoke_families(user=user, reason="signed_out_everywhere", audit=audit)
        _log(
            "session_clear",
            f"Signed {user.username} out everywhere",
            user,
            audit,
            event_type=types.SESSION_CLEAR,
            debug={"sessionsEnded": ended, "familiesRevoked": revoked},
        )
    return ended, revoked


class UserIsActive(Exception):
    """Only a deactivated user can be deleted."""


def delete_user(user: User, *, audit: Audit = SYSTEM) -> None:
    if user.is_active:
        raise UserIsActive(user.uid)
    with transaction.atomic():
        _log("delete", f"Deleted user {user.username}", user, audit)
        user.delete()


def create_api_token(user: User, name: str, *, audit: Audit = SYSTEM) -> tuple[ApiToken, str]:
    """Make an API token owned by `user`; returns it with the plaintext, which is shown once and never stored."""
    plain = "00" + new_token()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name.strip() or "API token", token_hash=hash_token(plain), prefix=plain[:6]
        )
        recording.record(
            types.api_token("create"),
            f"Created API token '{token.name}' ({token.prefix}…)",
            audit=audit,
            actor=recording.user_ref(user),
            targets=[{"id": str(token.pk), "type": "Token", "alternateId": token.prefix, "displayName": token.name}],
            user=user,
        )
    return token, plain


def authenticate_api_token(plain: str) -> ApiToken | None:
    """The API token for `plain`, with its last use recorded, or None."""
    token = ApiToken.objects.select_related("user").filter(token_hash=hash_token(plain)).first()
    if token is not None:
        now = timezone.now()
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now
    return token


def revoke_api_token(token: ApiToken, *, audit: Audit = SYSTEM) -> None:
    """Delete an API token; the next management-API call with it gets 401."""
    with transaction.atomic():
        recording.record(
            types.api_token("revoke"),
            f"Revoked API token '{token.name}' ({token.prefix}…)",
            audit=audit,
            actor=recording.actor_ref(audit.user),
            targets=[{"id": str(token.pk), "type": "Token", "alternateId": token.prefix, "displayName": token.name}],
            user=token.user,
        )
        token.delete()
