import logging

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger(__name__)


class DemoConfig(AppConfig):
    name = "demo"

    def ready(self):
        from . import checks

        if checks.looks_like_production(settings):  # gunicorn runs no system checks: say it in its log too
            logger.warning(checks.PRODUCTION_MESSAGE)
