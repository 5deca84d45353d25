"""Test settings: choose the database before Django reads config.settings.

DATABASE_URL if set; else the local PostgreSQL if it answers; else SQLite (the PostgreSQL-only
race tests are then skipped and listed at the end of the run).
"""

import os
import socket

os.environ.setdefault("SECRET_KEY", "rotor-test-secret-key")
if not os.environ.get("DATABASE_URL"):
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=0.5).close()
        os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/rotor"
    except OSError:
        pass

from config.settings import *  # noqa: E402, F403

# In-process tests render templates without running collectstatic; the live server runs it.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_AUTOREFRESH = True

# In-process tests run inside a transaction that a second (replica) connection would not see; only
# the live server of tests/test_read_replica.py keeps its replica.
if not os.environ.get("ROTOR_TEST_LIVE_REPLICA"):
    DATABASES.pop("replica", None)  # noqa: F405

# The OAuth endpoints' rate limits are off unless the environment turns one on, so other tests neither
# write counter rows nor depend on how many requests they send. The live servers load these settings
# too; tests/tokens/test_oauth_rate_limits*.py turn limits on (settings, or the live server's env).
REDIS_URL = os.environ.get("REDIS_URL", "")
ROTOR_OAUTH_RATE_LIMIT_PER_MINUTE = env_int("ROTOR_OAUTH_RATE_LIMIT_PER_MINUTE", 0)  # noqa: F405
ROTOR_OAUTH_IP_RATE_LIMIT_PER_MINUTE = env_int("ROTOR_OAUTH_IP_RATE_LIMIT_PER_MINUTE", 0)  # noqa: F405
ROTOR_OAUTH_AUTH_FAILURES_PER_MINUTE = env_int("ROTOR_OAUTH_AUTH_FAILURES_PER_MINUTE", 0)  # noqa: F405
ROTOR_OAUTH_IP_AUTH_FAILURES_PER_MINUTE = env_int("ROTOR_OAUTH_IP_AUTH_FAILURES_PER_MINUTE", 0)  # noqa: F405
