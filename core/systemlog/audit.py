"""Who acted and from where, taken from the request once, so domain code never sees the request."""

from dataclasses import dataclass

from core.clientip import client_ip


@dataclass(frozen=True)
class Audit:
    """The request's client IP and user agent, and the signed-in person (admin or end user).

    `user` is None at the OAuth endpoints, where the app is the actor, and for the system
    (commands, cron). `ip` is None when there was no request at all; behind a trusted proxy it is
    the address the proxy saw (core/clientip.py), not the proxy's.
    """

    ip: str | None = None
    user_agent: str = ""
    user: object = None

    @classmethod
    def of(cls, request) -> "Audit":
        meta = request.META
        user = getattr(request, "user", None)
        return cls(
            ip=client_ip(request),
            # PostgreSQL's jsonb refuses NUL, and a header may carry one: a 500 for a logged event.
            user_agent=meta.get("HTTP_USER_AGENT", "").replace("\x00", "")[:255],
            user=user if user is not None and getattr(user, "is_authenticated", False) else None,
        )

    def client_info(self) -> dict:
        """Okta's LogEvent `client`, as stored with each event."""
        if self.ip is None:
            return {}
        return {"ipAddress": self.ip, "userAgent": {"rawUserAgent": self.user_agent}}


SYSTEM = Audit()  # commands, cron and tests: no request, nobody signed in
