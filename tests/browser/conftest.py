"""What every browser test shares: Debian's Chromium, driven by Playwright, once per module."""

import os

import pytest

from tests.kit.live import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="module")
def chromium():
    """Chromium for a module. Playwright's sync API runs an event loop in this thread, so Django's ORM
    would refuse to run here; the tests touch the database only between browser steps."""
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture(autouse=True)
def _close_connections(chromium):
    """While Playwright's loop runs, Django keeps this test's connections apart from the session's
    (asgiref sees an async context); close them, or dropping the test database would find them open."""
    yield
    from django.db import connections

    connections.close_all()
