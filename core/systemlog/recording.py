"""Recording events: one `record()` that every part of Rotor writes Okta-shaped events through.

Events name tokens only by hash or id, never by value (SPEC §8).
"""

import uuid

from django.utils import timezone

from .audit import SYSTEM, Audit
from .models import Event


def app_ref(app) -> dict:
    return {"id": app.public_id, "type": "AppInstance", "alternateId": app.client_id, "displayName": app.name}


def user_ref(user) -> dict:
    name = user.get_full_name() or user.username
    return {"id": user.uid, "type": "User", "alternateId": user.username, "displayName": name}


def actor_ref(user) -> dict:
    """Who did it: the admin or user, or the system (commands, cron) when nobody is signed in."""
    return user_ref(user) if user is not None else {"id": "system", "type": "System"}


def family_ref(family) -> dict:
    return {"id": family.public_id, "type": "RefreshTokenFamily", "alternateId": family.server}


def columns(
    event_type: str,
    message: str,
    *,
    audit: Audit = SYSTEM,
    actor: dict | None = None,
    targets: list[dict] = (),
    result: str = "SUCCESS",
    reason: str = "",
    severity: str = "INFO",
    app=None,
    user=None,
    family=None,
    debug: dict | None = None,
) -> dict:
    """One event as its column values. The token endpoint saves these without building model
    instances: three `Event`s per refresh cost 0.08 ms of CPU, the dicts 0.02 ms."""
    return {
        "uuid": uuid.uuid4(),
        "published": timezone.now(),
        "event_type": event_type,
        "severity": severity,
        "display_message": message[:255],
        "outcome_result": result,
        "outcome_reason": reason[:255],
        "actor": actor or {},
        "client_info": audit.client_info(),
        "targets": list(targets),
        "debug_data": debug or {},
        "app_id": app.public_id if app is not None else "",
        "user_id": user.uid if user is not None else "",
        "family_id": family.public_id if family is not None else "",
        "issued": "",
    }


def record(event_type: str, message: str, **kwargs) -> Event:
    """Save one event now (`columns()` takes the keyword arguments)."""
    event = Event(**columns(event_type, message, **kwargs))
    event.save()
    return event


def save_all(rows: list[dict]) -> None:
    """Save several events (`columns()` values) at once."""
    Event.objects.bulk_create([Event(**row) for row in rows])
