"""Template filters for the authorization servers' console pages (templates/tokens/server_*.html)."""

import json

from django import template

from tokens.servers.forms import GRANT_LABELS, describe_minutes

register = template.Library()


@register.filter
def lifetime(minutes: int, unlimited: str = "Unlimited") -> str:
    """A rule's lifetime in words: 0 is `unlimited` (a refresh token's "no limit")."""
    return describe_minutes(minutes) if minutes else unlimited


@register.filter
def grant_label(grant_type: str) -> str:
    return GRANT_LABELS.get(grant_type, grant_type)


@register.filter
def pretty_json(value) -> str:
    """A token's claims as the token would carry them, indented (the template escapes the text)."""
    return json.dumps(value, indent=2, ensure_ascii=False)
