"""Timestamps in the form Okta's JSON uses everywhere: UTC, milliseconds, `Z`."""


def iso(dt) -> str | None:
    """`2024-01-31T12:00:00.123Z`, or None for no time."""
    if dt is None:
        return None
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
