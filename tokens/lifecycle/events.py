"""The system-log events of a token response, written through the database path in use."""

from django.utils import timezone

from core.systemlog import recording
from core.systemlog.audit import SYSTEM, Audit

from .paths import database


def grant_events(
    server, app, user, family, scopes: list[str], grant_type: str, audit: Audit = SYSTEM, *, refresh_issued: bool
) -> list[dict]:
    """The `token.grant.{access_token,id_token,refresh_token}` events of one token response, as
    column values for `save_events()` or the database path's writes.

    The events of one response share one `published` moment: that is how the console's family timeline
    tells a response that minted a refresh token (it has a `token.grant.refresh_token` event) from a
    persistent token's refresh (it has none), without guessing from time windows."""
    moment = timezone.now()
    kinds = ["access_token"]
    if user is not None and "openid" in scopes:
        kinds.append("id_token")
    if refresh_issued:
        kinds.append("refresh_token")
    targets = ([recording.user_ref(user)] if user else []) + ([recording.family_ref(family)] if family else [])
    rows = [
        recording.columns(
            server.event_type(f"token.grant.{kind}"),
            f"{kind.replace('_', ' ').capitalize()} granted ({grant_type.replace('_', ' ')})",
            audit=audit,
            actor=recording.app_ref(app),
            targets=targets,
            app=app,
            user=user,
            family=family,
            debug={"grantType": grant_type, "scopes": " ".join(scopes)},
        )
        for kind in kinds
    ]
    for row in rows:
        row["published"] = moment
    return rows


def save_events(rows: list[dict], *, confirm=None) -> bool:
    """Save events in one statement on PostgreSQL. `confirm`: an app from tokens/oauth/client_cache.py,
    saved only while its row is unchanged (False: nothing saved)."""
    return database().insert_events(rows, confirm=confirm)
