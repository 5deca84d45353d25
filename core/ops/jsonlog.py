"""JSON-lines logging (`LOG_FORMAT=json`): one object per line, for log shippers.

A record's own fields go out as they are; of the `extra` fields only strings, numbers, booleans
and None are written, so objects that Django passes along (the request on `django.request`'s
records) never reach the log with whatever they hold. Request lines come from the
`rotor.requests` logger (tokens/ops.py), which is off unless LOG_FORMAT is json.
"""

import json
import logging
from datetime import UTC, datetime

REQUEST_LOGGER = "rotor.requests"

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}
_PLAIN = (str, int, float, bool, type(None))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        line = {
            "time": when.replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line |= {k: v for k, v in vars(record).items() if k not in _STANDARD and isinstance(v, _PLAIN)}
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


def logging_config(log_format: str, level: str) -> dict:
    """settings.LOGGING: plain text by default; JSON lines and per-request lines with LOG_FORMAT=json."""
    as_json = log_format == "json"
    handler = {"class": "logging.StreamHandler"} | ({"formatter": "json"} if as_json else {})
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"console": handler},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {REQUEST_LOGGER: {"level": "INFO" if as_json else "WARNING"}},
    }
