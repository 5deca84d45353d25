"""The demo is for a laptop. ROTOR_DEMO=1 without DEBUG on an https issuer is most likely a production
server that copied a development environment, so `check`, `migrate` and `collectstatic` say so."""

from django.core import checks

PRODUCTION_MESSAGE = (
    "ROTOR_DEMO is on with DEBUG off and an https ROTOR_ISSUER: the try-it demo app is served at /demo/ "
    "and anyone can sign in to it. Unset ROTOR_DEMO in production."
)


def looks_like_production(settings) -> bool:
    return settings.ROTOR_DEMO and not settings.DEBUG and settings.ROTOR_ISSUER.startswith("https://")


@checks.register(checks.Tags.security, deploy=False)
def demo_in_production(app_configs, **kwargs):
    from django.conf import settings

    if looks_like_production(settings):
        return [checks.Warning(PRODUCTION_MESSAGE, hint="The demo is for `make run`.", id="rotor.demo.W001")]
    return []
