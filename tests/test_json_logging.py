"""LOG_FORMAT=json: JSON lines, one per OAuth request, never holding a token, code or secret."""

import json
import logging

from core.ops.jsonlog import REQUEST_LOGGER, JsonFormatter, logging_config
from tests.kit.oauth import refresh, tokens_for


def test_request_lines_are_off_unless_json():
    text, as_json = logging_config("text", "WARNING"), logging_config("json", "WARNING")
    assert text["loggers"][REQUEST_LOGGER]["level"] == "WARNING"  # INFO lines dropped
    assert "formatter" not in text["handlers"]["console"]
    assert as_json["loggers"][REQUEST_LOGGER]["level"] == "INFO"
    assert as_json["handlers"]["console"]["formatter"] == "json"


def test_formatter_writes_plain_extras_only():
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "hello %s", ("you",), None)
    record.status_code, record.request, record.note = 400, object(), "line\nbreak"
    line = JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["message"] == "hello you" and data["level"] == "WARNING" and data["time"].endswith("Z")
    assert data["status_code"] == 400 and data["note"] == "line\nbreak"
    assert "request" not in data


def test_a_refresh_logs_one_line_without_its_secrets(client, confidential_app, end_user, request_lines):
    secret = confidential_app.plain_secret
    first = tokens_for(client, confidential_app, end_user, secret=secret)
    request_lines.clear()
    response = refresh(client, confidential_app, first["refresh_token"], secret=secret)  # Basic auth
    assert response.status_code == 200
    assert len(request_lines) == 1
    line = request_lines[0]
    data = json.loads(line)
    assert data["logger"] == REQUEST_LOGGER
    assert {k: data[k] for k in ("endpoint", "server", "grant_type", "outcome", "client_id", "status")} == {
        "endpoint": "token",
        "server": "org",
        "grant_type": "refresh_token",
        "outcome": "issued",
        "client_id": confidential_app.client_id,
        "status": 200,
    }
    assert data["duration_ms"] > 0
    body = response.json()
    for value in (secret, first["refresh_token"], body["refresh_token"], body["access_token"], body["id_token"]):
        assert value not in line
        assert value[:12] not in line


def test_an_error_line_has_the_error_code(client, confidential_app, request_lines):
    response = refresh(client, confidential_app, "not-a-token", secret=confidential_app.plain_secret)
    assert response.status_code == 400
    (line,) = request_lines
    data = json.loads(line)
    assert (data["outcome"], data["status"], data["client_id"]) == ("invalid_grant", 400, confidential_app.client_id)
    assert "not-a-token" not in line and confidential_app.plain_secret not in line
