"""Helpers for console tests: token families made through the real lifecycle, not by hand."""

from django.utils import timezone

from tokens.lifecycle import families as lifecycle
from tokens.servers.registry import get_server


def use(app, token: str, *, server: str = "default"):
    """Redeem a refresh token as the token endpoint does (find its row, then refresh)."""
    row = lifecycle.find_token(token)
    if row is None:
        from tokens.oauth.errors import invalid_grant_refresh

        raise invalid_grant_refresh()
    return lifecycle.refresh(row=row, presented=token, client=app, server=get_server(server), requested_scopes=None)


def make_family(app, user, *, rotations: int = 0, server: str = "default", scopes=("openid", "offline_access")):
    """Start a family as a sign-in would (no HTTP), refresh it `rotations` times; returns (family, latest token,
    tokens)."""
    srv = get_server(server)
    family, token = lifecycle.start_family(
        client=app,
        user=user,
        server=srv,
        scopes=list(scopes),
        auth_time=timezone.now(),
        grant_type="authorization_code",
    )
    tokens = [token]
    for _ in range(rotations):
        token = use(app, token, server=server).refresh_token
        tokens.append(token)
    family.refresh_from_db()
    return family, token, tokens


def text(response) -> str:
    return response.content.decode()
