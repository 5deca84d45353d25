"""Helpers for console tests: token families made through the real lifecycle, not by hand."""

from django.utils import timezone

from tokens import lifecycle
from tokens.servers import get_server


def sign_in(app, user, *, rotations: int = 0, server: str = "default", scopes=("openid", "offline_access")):
    """Start a family as a sign-in would, refresh it `rotations` times; returns (family, latest token, tokens)."""
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
        token = lifecycle.refresh(client=app, server=srv, presented=token, requested_scopes=None).refresh_token
        tokens.append(token)
    family.refresh_from_db()
    return family, token, tokens


def text(response) -> str:
    return response.content.decode()
