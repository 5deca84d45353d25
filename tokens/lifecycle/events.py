"""The system-log events of a token response, written through the database path in use."""

from core.systemlog import grants, recording
from core.systemlog.audit import SYSTEM, Audit

from .paths import database


def grant_events(
    server, app, user, family, scopes: list[str], grant_type: str, audit: Audit = SYSTEM, *, refresh_issued: bool
) -> list[dict]:
    """The grant events of one token response: ONE row (core/systemlog/grants.py) that lists the tokens
    issued (`access_token`, `id_token`, `refresh_token`) and reads as Okta's event per token, as a
    one-item list of column values for `save_events()` or the database path's writes.

    The events of one response share the row's `published` moment: that is how the console's family
    timeline tells a response that minted a refresh token (it has a `token.grant.refresh_token` event)
    from a persistent token's refresh (it has none), without guessing from time windows."""
    kinds = ["access_token"]
    if user is not None and "openid" in scopes:
        kinds.append("id_token")
    if refresh_issued:
        kinds.append("refresh_token")
    targets = ([recording.user_ref(user)] if user else []) + ([recording.family_ref(family)] if family else [])
    return [
        grants.grant_row(
            server.event_type("token.grant"),
            kinds,
            grant_type,
            audit=audit,
            actor=recording.app_ref(app),
            targets=targets,
            app=app,
            user=user,
            family=family,
            debug={"grantType": grant_type, "scopes": " ".join(scopes)},
        )
    ]


def save_events(rows: list[dict], *, confirm=None) -> bool:
    """Save events in one statement on PostgreSQL. `confirm`: an app from tokens/oauth/client_cache.py,
    saved only while its row is unchanged (False: nothing saved)."""
    return database().insert_events(rows, confirm=confirm)
