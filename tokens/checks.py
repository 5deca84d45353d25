"""System checks: configurations that would quietly break tokens in production."""

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def issuer_check(app_configs, **kwargs):
    problems = []
    issuer = settings.ROTOR_ISSUER
    if not issuer.startswith(("http://", "https://")):
        problems.append(
            Error(
                f"ROTOR_ISSUER {issuer!r} is not an http(s) URL.",
                hint="Set ROTOR_ISSUER to Rotor's public base URL.",
                id="tokens.E001",
            )
        )
    elif (
        not settings.DEBUG
        and not issuer.startswith("https://")
        and "://127.0.0.1" not in issuer
        and "://localhost" not in issuer
    ):
        problems.append(
            Warning(
                f"ROTOR_ISSUER {issuer!r} is not https.",
                hint="Serve Rotor over https outside local development.",
                id="tokens.W001",
            )
        )
    return problems
