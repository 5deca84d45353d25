"""The token-grant events of `/api/v1/logs`, pinned as they were when each event was a row of its own.

The expectation in data/grant_events.json was captured from the code before a grant became one row
(issue 19): what a code exchange, a rotation, a persistent refresh and a client_credentials call on a
custom server show in the log. Values that differ between runs by nature are replaced by placeholders
in order of appearance (`<uuid 1>`, `<app 1>`, `<published 1>`, …), so the events' fields, order,
messages, targets, debug data, and which events share a `published` moment all stay compared.
`transaction.id` is the one value left out: it was each row's id and is now the grant row's id.
"""

import json
import re
from pathlib import Path

import pytest

from tests.kit.oauth import refresh, token_request, tokens_for

EXPECTED = Path(__file__).parent / "data" / "grant_events.json"
_VOLATILE = {
    "uuid": re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
    "app": re.compile(r"^0oa[0-9A-Za-z]+$"),
    "user": re.compile(r"^00u[0-9A-Za-z]+$"),
    "family": re.compile(r"^oar[0-9A-Za-z]+$"),
    "client": re.compile(r"^[0-9A-Za-z]{20}$"),
}


def normalized(events: list[dict]) -> list[dict]:
    """`events` with run-dependent values replaced by numbered placeholders (one number per distinct value)."""
    names: dict[str, str] = {}

    def name(kind: str, value: str) -> str:
        if value not in names:
            names[value] = f"<{kind} {sum(1 for n in names.values() if n.startswith(f'<{kind} ')) + 1}>"
        return names[value]

    def walk(value, key=None):
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str):
            if key == "published":
                return name("published", value)
            for kind, pattern in _VOLATILE.items():
                if pattern.match(value):
                    return name(kind, value)
        return value

    out = []
    for event in events:
        event = dict(event, transaction={k: v for k, v in event["transaction"].items() if k != "id"})
        out.append(walk(event))
    return out


def grant_log(api_client) -> list[dict]:
    body = api_client.get("/api/v1/logs?limit=1000").json()
    return [e for e in body if ".token.grant." in e["eventType"]]


@pytest.fixture
def service_app(make_app):
    app, secret = make_app(label="Reporting job", application_type="service", grant_types=["client_credentials"])
    app.plain_secret = secret
    return app


def scenario(client, rotating_app, static_app, service_app, end_user):
    """A code exchange, a rotation, two persistent refreshes and a client_credentials call on `default`."""
    issued = tokens_for(client, rotating_app, end_user)
    assert refresh(client, rotating_app, issued["refresh_token"]).status_code == 200
    persistent = tokens_for(client, static_app, end_user, secret=static_app.plain_secret)
    for _ in range(2):
        assert (
            refresh(client, static_app, persistent["refresh_token"], secret=static_app.plain_secret).status_code == 200
        )
    response = token_request(
        client,
        {"grant_type": "client_credentials", "scope": "api:read"},
        app=service_app,
        secret=service_app.plain_secret,
        server="default",
    )
    assert response.status_code == 200, response.content


@pytest.mark.postgres
def test_grant_events_keep_the_shape_they_had_as_rows(
    client, api_client, rotating_app, static_app, service_app, end_user
):
    scenario(client, rotating_app, static_app, service_app, end_user)
    assert normalized(grant_log(api_client)) == json.loads(EXPECTED.read_text())
