"""Revocation: the family's status is the one switch that revokes every refresh token and access
token of a sign-in; access tokens revoked one by one go on a small list until they expire.

Access tokens without a family (no `offline_access`) are reached by a "tokens valid after" moment
per user (User), per app (Application) and per user and app (TokensValidAfter): every "revoke
all" and every deactivation sets it in `revoke_families()`, and an access token issued before it
is refused. A user or app that is gone or inactive refuses its tokens too. The moment is compared
with `iat`, whole seconds: a token issued in the same second as a revocation is refused with it.
"""

from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from clients.models import Application
from core.systemlog import recording, types
from core.systemlog.audit import SYSTEM, Audit
from tokens.models import RevokedAccessToken, TokenFamily, TokensValidAfter
from tokens.servers.registry import AuthServer, any_server

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
        return revoke_in_transaction(family, any_server(family.server), reason=reason, audit=audit)


def refuse_tokens_issued_before(now: datetime, *, client=None, user=None) -> None:
    """Access tokens of the app, the user, or the user at the app issued before `now` stop working,
    family or not."""
    if client is not None and user is not None:
        TokensValidAfter.objects.update_or_create(user=user, client=client, defaults={"valid_after": now})
        return
    owner = client if client is not None else user
    type(owner).objects.filter(pk=owner.pk).update(tokens_valid_after=now)
    owner.tokens_valid_after = now


def revoke_families(*, client=None, user=None, reason: str, audit: Audit = SYSTEM) -> int:
    """Revoke every active family of an app and/or a user (deactivation, deletion, "revoke all"), and
    every access token issued to them so far, also those of sign-ins without a refresh token."""
    if client is None and user is None:
        raise ValueError("revoke_families() needs an app, a user or both")
    qs = TokenFamily.objects.filter(status=ACTIVE).select_related("client", "user")
    if client is not None:
        qs = qs.filter(client=client)
    if user is not None:
        qs = qs.filter(user=user)
    count = 0
    with transaction.atomic():
        refuse_tokens_issued_before(timezone.now(), client=client, user=user)
        for family in qs.select_for_update(of=("self",)).order_by("pk"):
            count += revoke_in_transaction(family, any_server(family.server), reason=reason, audit=audit)
    return count


def revoke_families_of_users_at(client, users, *, reason: str, audit: Audit = SYSTEM) -> int:
    """Revoke what `users` (a queryset) hold at one app: their active families there and, through a
    user-at-app moment each, their access tokens without a family. For an unassignment, which may
    touch every user at once (Everyone removed from an app): the moments are one statement
    (refuse_users_tokens_before()), and only the families that exist are visited."""
    now = timezone.now()
    count = 0
    with transaction.atomic():
        refuse_users_tokens_before(now, client, users)
        families = TokenFamily.objects.filter(status=ACTIVE, client=client, user__in=users.values("pk"))
        for family in families.select_related("client", "user").select_for_update(of=("self",)).order_by("pk"):
            count += revoke_in_transaction(family, any_server(family.server), reason=reason, audit=audit)
    return count


def refuse_users_tokens_before(now: datetime, client, users) -> None:
    """Set the user-at-app moment of each of `users` (a queryset) at `client` to `now`. On PostgreSQL one
    `INSERT … SELECT … ON CONFLICT` from the users' own query: 10,000 users are one statement, and none
    of their ids travels to Python and back. SQLite upserts the ids in batches."""
    users = users.order_by().values("pk")
    if connection.vendor != "postgresql":
        TokensValidAfter.objects.bulk_create(
            [TokensValidAfter(user_id=pk, client=client, valid_after=now) for pk in users.values_list("pk", flat=True)],
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["user", "client"],
            update_fields=["valid_after"],
        )
        return
    field = TokensValidAfter._meta.get_field
    table, user_col, client_col, after_col = (
        TokensValidAfter._meta.db_table,
        field("user").column,
        field("client").column,
        field("valid_after").column,
    )
    try:
        sql, params = users.query.sql_with_params()
    except EmptyResultSet:  # users known to be none (`pk__in=[]`: a group deleted without members)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({user_col}, {client_col}, {after_col}) "  # noqa: S608 (our own names)
            f"SELECT DISTINCT u.id, %s, %s FROM ({sql}) AS u (id) "
            f"ON CONFLICT ({user_col}, {client_col}) DO UPDATE SET {after_col} = EXCLUDED.{after_col}",
            (client.pk, now, *params),
        )


SERVER_BATCH = 1000  # families revoked per statement when a server goes inactive


def revoke_server_families(server_id: str, *, reason: str, audit: Audit = SYSTEM) -> int:
    """Revoke every active family of one authorization server (its deactivation), in the caller's transaction.

    The same switch as every other revocation (the family's status) and the same `token.revoke` event per
    family, but a few statements per batch of families instead of two per family: a busy server may hold
    hundreds of thousands. A family that a concurrent refresh holds is waited for (FOR UPDATE), so none
    rotates past its server's deactivation. Access tokens without a family die with the server's endpoints,
    which answer 404 while it is inactive.
    """
    event_type = types.oauth2("token.revoke", custom=True)  # only custom servers are rows that deactivate
    now, count = timezone.now(), 0
    with transaction.atomic():
        while True:
            batch = list(
                TokenFamily.objects.select_for_update(of=("self",))
                .select_related("client", "user")
                .filter(server=server_id, status=ACTIVE)
                .order_by("pk")[:SERVER_BATCH]
            )
            if not batch:
                return count
            TokenFamily.objects.filter(pk__in=[f.pk for f in batch]).update(
                status=REVOKED, revoked_at=now, revoked_reason=reason
            )
            actor = recording.user_ref(audit.user) if audit.user is not None else recording.actor_ref(None)
            recording.save_all(
                [
                    recording.columns(
                        event_type,
                        f"Refresh token family revoked ({reason.replace('_', ' ')})",
                        audit=audit,
                        actor=actor,
                        targets=[recording.user_ref(f.user), recording.family_ref(f)],
                        app=f.client,
                        user=f.user,
                        family=f,
                        debug={"reason": reason},
                    )
                    for f in batch
                ]
            )
            count += len(batch)


def revoke_access_token(jti: str, expires_at: int) -> None:
    """Put one access token on the revocation list until it expires (RFC 7009)."""
    RevokedAccessToken.objects.get_or_create(
        jti=jti, defaults={"expires_at": datetime.fromtimestamp(expires_at, tz=UTC)}
    )


def _valid_after(iat: datetime) -> Q:
    return Q(tokens_valid_after__isnull=True) | Q(tokens_valid_after__lte=iat)


def is_access_token_revoked(claims: dict) -> bool:
    """Whether an access token we signed no longer counts, in ONE query: it is on the list (RFC 7009);
    its family is not active; its app is gone, inactive or revoked all since `iat`; its user (by `uid`,
    never by the reusable username) likewise, or revoked all at this app since `iat`."""
    iat = datetime.fromtimestamp(claims["iat"], tz=UTC)
    uid, family_id = claims.get("uid"), family_of_jti(claims["jti"])
    checks = {"listed": Exists(RevokedAccessToken.objects.filter(jti=claims["jti"]))}
    if family_id is not None:
        checks["family_live"] = Exists(TokenFamily.objects.filter(public_id=family_id, status=ACTIVE))
    if uid is not None:
        checks["user_live"] = Exists(get_user_model().objects.filter(_valid_after(iat), uid=uid, is_active=True))
        checks["cut_off"] = Exists(
            TokensValidAfter.objects.filter(user__uid=uid, client=OuterRef("pk"), valid_after__gt=iat)
        )
    # No row: the app is gone, inactive, or has refused tokens issued since.
    row = (
        Application.objects.filter(_valid_after(iat), client_id=claims["cid"], status=Application.Status.ACTIVE)
        .order_by()
        .annotate(**checks)
        .values(*checks)
        .first()
    )
    if row is None:
        return True
    live = row.get("family_live", True) and row.get("user_live", True) and not row.get("cut_off", False)
    return bool(row["listed"] or not live)


def family_of_jti(jti: str) -> str | None:
    """The family an access token's `jti` names (`AT.<random>.<family id>`), if any."""
    parts = jti.split(".")
    return parts[2] if len(parts) == 3 and parts[0] == "AT" else None
