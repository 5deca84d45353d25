"""Revocation: the family's status is the one switch that revokes every refresh token and access
token of a sign-in; access tokens revoked one by one go on a small list until they expire."""

from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Exists
from django.utils import timezone

from core.systemlog import recording
from core.systemlog.audit import SYSTEM, Audit
from tokens.models import RevokedAccessToken, TokenFamily
from tokens.servers.registry import AuthServer, get_server

ACTIVE = TokenFamily.Status.ACTIVE
REVOKED = TokenFamily.Status.REVOKED


def revoke_in_transaction(
    family: TokenFamily, server: AuthServer, *, reason: str, audit: Audit = SYSTEM, replayed_hash: str | None = None
) -> bool:
    """Revoke one family inside the caller's transaction; record the event once. The actor is
    the signed-in admin when there is one, else the app."""
    now = timezone.now()
    changed = TokenFamily.objects.filter(pk=family.pk, status=ACTIVE).update(
        status=REVOKED, revoked_at=now, revoked_reason=reason
    )
    actor = recording.user_ref(audit.user) if audit.user is not None else recording.app_ref(family.client)
    if replayed_hash is not None:
        recording.record(
            server.event_type("token.detect_reuse"),
            "Refresh token reuse detected; the token family was revoked",
            audit=audit,
            severity="WARN",
            result="FAILURE",
            reason="Refresh token reuse detected",
            actor=actor,
            targets=[recording.user_ref(family.user), recording.family_ref(family)],
            app=family.client,
            user=family.user,
            family=family,
            debug={
                "replayedTokenHash": replayed_hash,
                "familyTokenHashes": list(family.tokens.values_list("token_hash", flat=True)[:50]),
            },
        )
    elif changed:
        recording.record(
            server.event_type("token.revoke"),
            f"Refresh token family revoked ({reason.replace('_', ' ')})",
            audit=audit,
            actor=actor,
            targets=[recording.user_ref(family.user), recording.family_ref(family)],
            app=family.client,
            user=family.user,
            family=family,
            debug={"reason": reason},
        )
    if changed:
        family.status, family.revoked_at, family.revoked_reason = REVOKED, now, reason
    return bool(changed)


def revoke_family(family: TokenFamily, *, reason: str, audit: Audit = SYSTEM) -> bool:
    """Revoke a family: all its refresh tokens and the access tokens issued from it."""
    with transaction.atomic():
        return revoke_in_transaction(family, get_server(family.server), reason=reason, audit=audit)


def revoke_families(*, client=None, user=None, reason: str, audit: Audit = SYSTEM) -> int:
    """Revoke every active family of an app and/or a user (deactivation, deletion, "revoke all")."""
    qs = TokenFamily.objects.filter(status=ACTIVE).select_related("client", "user")
    if client is not None:
        qs = qs.filter(client=client)
    if user is not None:
        qs = qs.filter(user=user)
    count = 0
    with transaction.atomic():
        for family in qs.select_for_update(of=("self",)).order_by("pk"):
            count += revoke_in_transaction(family, get_server(family.server), reason=reason, audit=audit)
    return count


def revoke_access_token(jti: str, expires_at: int) -> None:
    """Put one access token on the revocation list until it expires (RFC 7009)."""
    RevokedAccessToken.objects.get_or_create(
        jti=jti, defaults={"expires_at": datetime.fromtimestamp(expires_at, tz=UTC)}
    )


def is_access_token_revoked(jti: str, family_id: str | None) -> bool:
    """Revoked on its own (RFC 7009) or through its family; one query either way."""
    listed = RevokedAccessToken.objects.filter(jti=jti)
    if family_id is None:
        return listed.exists()
    # No row: the family is gone or not active. A row: whether the token itself is listed.
    found = (
        TokenFamily.objects.filter(public_id=family_id, status=ACTIVE)
        .annotate(listed=Exists(listed))
        .values_list("listed", flat=True)
        .first()
    )
    return found is None or found
