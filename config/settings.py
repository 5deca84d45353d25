"""Rotor settings: one module, read top to bottom. Every variable is listed in README.md."""

import ipaddress
import os
from pathlib import Path

import dj_database_url
from corsheaders.defaults import default_headers
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from core.clientip import parse_proxies
from core.ops.jsonlog import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean; anything but the usual spellings fails at startup, not on a request."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number >= 0:  # also NaN
        raise ImproperlyConfigured(f"{name} must be a number of seconds, 0 or more, not {value!r}")
    return number


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "rotor-insecure-development-key-only-for-make-run"

PORT = env_int("PORT", 8000)
# Reverse proxies whose X-Forwarded-For is believed (core/clientip.py): IPs or CIDRs; empty = none.
ROTOR_TRUSTED_PROXIES = env_list("ROTOR_TRUSTED_PROXIES", "")
try:
    parse_proxies(ROTOR_TRUSTED_PROXIES)
except ValueError as exc:
    raise ImproperlyConfigured(f"ROTOR_TRUSTED_PROXIES: {exc}") from None
ROTOR_ISSUER = os.environ.get("ROTOR_ISSUER", f"http://127.0.0.1:{PORT}").rstrip("/")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "oauth2_provider",
    "core",
    "accounts",
    "clients",
    "tokens",
]
# The try-it demo app at /demo/ (demo/): on with DEBUG (`make run`) or ROTOR_DEMO=1, else not even
# installed, so its URLs do not exist. demo/checks.py warns when it is on in what looks like production.
ROTOR_DEMO = env_bool("ROTOR_DEMO", DEBUG)
if ROTOR_DEMO:
    INSTALLED_APPS.append("demo")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "clients.cors.CorsMiddleware",  # django-cors-headers, echoing the headers a preflight asks for
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.AdminSessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",  # django-csp: the Content-Security-Policy below
    "core.middleware.NoStoreMiddleware",
]

# The OAuth endpoints that apps call server-to-server or by CORS, with no cookies (config/wsgi.py).
MACHINE_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "clients.cors.CorsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite is the zero-setup default of `make run`; PostgreSQL is production and CI.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'rotor.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 600),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN, so
    # parallel requests queue on busy_timeout instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so the live gunicorn of the end-to-end tests opens the same database.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test_rotor.sqlite3")}
elif env_bool("DB_PREPARED_STATEMENTS", True):
    # The token endpoint's statements (tokens/lifecycle/postgres.py) are prepared once per connection; Django's
    # own cursors bind client-side and are never prepared. Turn off behind a pooler that cannot keep
    # prepared statements (PgBouncer before 1.21 in transaction mode).
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 0

# A PostgreSQL read replica for what may lag a moment behind the primary: the system log in the
# console and /api/v1/logs, and the dashboard's counts (core/systemlog/reading.py `log_reads`). Everything
# that decides about a token, a client or a session reads the primary.
if os.environ.get("DATABASE_REPLICA_URL"):
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs DATABASE_URL on PostgreSQL.")
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=DATABASES["default"]["CONN_MAX_AGE"]
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/console/"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",  # user passwords: memory-hard (argon2-cffi)
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # older user hashes, upgraded at their next sign-in
    "clients.hashers.ClientSecretSHA256Hasher",  # client secrets (high-entropy, hot path)
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in protection (accounts/signin.py): failed sign-ins are counted per typed username and per client IP
# in fixed windows (core/counters.py); at the limit, sign-in is refused without hashing until the window ends.
ROTOR_SIGNIN_WINDOW_MINUTES = env_int("ROTOR_SIGNIN_WINDOW_MINUTES", 15)
ROTOR_SIGNIN_FAILURES_PER_ACCOUNT = env_int("ROTOR_SIGNIN_FAILURES_PER_ACCOUNT", 10)  # Okta's default lockout
ROTOR_SIGNIN_FAILURES_PER_IP = env_int("ROTOR_SIGNIN_FAILURES_PER_IP", 100)  # several people behind one NAT
if min(ROTOR_SIGNIN_WINDOW_MINUTES, ROTOR_SIGNIN_FAILURES_PER_ACCOUNT, ROTOR_SIGNIN_FAILURES_PER_IP) < 1:
    raise ImproperlyConfigured("ROTOR_SIGNIN_WINDOW_MINUTES and ROTOR_SIGNIN_FAILURES_* must be at least 1.")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
WHITENOISE_USE_FINDERS = DEBUG

SESSION_ENGINE = "core.sessions"  # database sessions, stored by a hash of the key (core/sessions.py)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG and ROTOR_ISSUER.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
ROTOR_ADMIN_SESSION_IDLE_MINUTES = env_int("ROTOR_ADMIN_SESSION_IDLE_MINUTES", 30)  # console: idle timeout
ROTOR_ADMIN_SESSION_MAX_HOURS = env_int("ROTOR_ADMIN_SESSION_MAX_HOURS", 12)  # console: longest session
# HSTS once Rotor is served over https (SecurityMiddleware sends it on secure requests only; behind a
# TLS-terminating proxy that needs SECURE_PROXY_SSL_HEADER, README "Running Rotor").
SECURE_HSTS_SECONDS = env_int("ROTOR_HSTS_SECONDS", 31536000) if ROTOR_ISSUER.startswith("https://") else 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# A strict CSP on every page: scripts and styles only from Rotor's own static files, never inline;
# no framing (clickjacking). No form-action: consent and sign-in forms end in a redirect to the
# client, which browsers would check against it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    }
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024  # OAuth and API bodies are small; larger ones get a 400

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Okta's error body for /api/v1 views only; every other DRF view keeps DRF's default handling.
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# The OpenAPI document of the management API, served at /api/v1/schema.
SPECTACULAR_SETTINGS = {
    "TITLE": "Rotor management API",
    "DESCRIPTION": "Okta-compatible management API: apps, users, tokens, signing keys and the system log.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"ActiveStatusEnum": ["ACTIVE"]},  # a new secret's and an AppUser's constant status
    "PREPROCESSING_HOOKS": ["core.api.schema.only_management_api"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.add_okta_errors",
    ],
}
ROTOR_API_AUTHENTICATION = ["accounts.authentication.SSWSAuthentication"]  # `Authorization: SSWS <api token>`
ROTOR_API_RATE_LIMIT_PER_MINUTE = env_int("ROTOR_API_RATE_LIMIT_PER_MINUTE", 600)  # per API token and bucket
ROTOR_API_MAX_BODY_BYTES = 64 * 1024  # larger management-API bodies are a 400

# Fixed-window counters (core/counters.py): in Redis when REDIS_URL is set (shared by every node, no
# database writes), else in the database. They count the API and OAuth rate limits and /activate's attempts.
REDIS_URL = os.environ.get("REDIS_URL", "")
# The OAuth endpoints' limits (tokens/oauth/limits.py), per minute; 0 turns one off. Requests: generous,
# so one busy service or a load balancer's single IP at thousands of requests a second passes.
ROTOR_OAUTH_RATE_LIMIT_PER_MINUTE = env_int("ROTOR_OAUTH_RATE_LIMIT_PER_MINUTE", 300_000)  # per client id
ROTOR_OAUTH_IP_RATE_LIMIT_PER_MINUTE = env_int("ROTOR_OAUTH_IP_RATE_LIMIT_PER_MINUTE", 600_000)  # per client IP
# Failed client authentications: tight, because they protect secrets; past one, even the right secret
# gets 429 until the minute ends.
ROTOR_OAUTH_AUTH_FAILURES_PER_MINUTE = env_int("ROTOR_OAUTH_AUTH_FAILURES_PER_MINUTE", 30)  # per client id
ROTOR_OAUTH_IP_AUTH_FAILURES_PER_MINUTE = env_int("ROTOR_OAUTH_IP_AUTH_FAILURES_PER_MINUTE", 60)  # per client IP
# Each worker sends its request counts at least this often (and reads the failure counts): a lockout reaches
# every worker and node within it. 0 = one round trip on every request (core/counters.py, "Batched").
ROTOR_OAUTH_LIMIT_SYNC_SECONDS = env_float("ROTOR_OAUTH_LIMIT_SYNC_SECONDS", 1.0)

# django-oauth-toolkit: we swap in our own Application (clients.Application); the token
# lifecycle lives in tokens/ (docs/architecture.md says why).
OAUTH2_PROVIDER_APPLICATION_MODEL = "clients.Application"
OAUTH2_PROVIDER = {
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https", "com.example.app"],
    "PKCE_REQUIRED": True,
    "CLIENT_SECRET_HASHER": "rotor_sha256",
}

# CORS: only origins that an active app trusts (clients.cors decides), never cookies.
CORS_URLS_REGEX = r"^/(\.well-known/|oauth2/)"
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_HEADERS = (
    *default_headers,
    "x-okta-user-agent-extended",  # Okta's auth SDKs send these on token calls
    "x-device-fingerprint",
    "x-okta-xsrftoken",
    "dpop",  # RFC 9449 proofs (clients/cors.py also exposes DPoP-Nonce)
)
CORS_PREFLIGHT_MAX_AGE = 3600

# Rotor tunables.
ROTOR_ACCESS_TOKEN_MINUTES = env_int("ROTOR_ACCESS_TOKEN_MINUTES", 60)  # org server (custom: policy rules)
ROTOR_ID_TOKEN_MINUTES = env_int("ROTOR_ID_TOKEN_MINUTES", 60)  # ID-token lifetime
ROTOR_AUTH_CODE_SECONDS = 300  # authorization codes are single-use and short-lived
ROTOR_ORG_REFRESH_LIFETIME_MINUTES = 90 * 24 * 60  # org server: 90 days absolute (SPEC §4)
ROTOR_FAST_SQL = env_bool(
    "ROTOR_FAST_SQL", True
)  # token endpoint's hand-written SQL on PostgreSQL (tokens/lifecycle/postgres.py)
ROTOR_KEY_CACHE_SECONDS = env_int("ROTOR_KEY_CACHE_SECONDS", 5)  # how long a worker trusts its cached signing key
ROTOR_SERVER_CACHE_SECONDS = env_int("ROTOR_SERVER_CACHE_SECONDS", 5)  # a worker's copy of a server's config
# private_key_jwt clients' keys from a jwks_uri (tokens/oauth/client_jwks.py): how long a fetched set is used,
# how long a fetch may take, and whether loopback URIs are allowed (tests and local experiments only).
# The longest a private_key_jwt assertion may live (its `exp` ahead of now): 300 s; Okta allows 3600, which is
# also authlib's default, so set 3600 for clients that keep it.
ROTOR_CLIENT_ASSERTION_MAX_SECONDS = env_int("ROTOR_CLIENT_ASSERTION_MAX_SECONDS", 300)
ROTOR_JWKS_URI_CACHE_SECONDS = env_int("ROTOR_JWKS_URI_CACHE_SECONDS", 300)
ROTOR_JWKS_URI_TIMEOUT_SECONDS = env_int("ROTOR_JWKS_URI_TIMEOUT_SECONDS", 3)
ROTOR_JWKS_URI_MIN_REFETCH_SECONDS = env_int(
    "ROTOR_JWKS_URI_MIN_REFETCH_SECONDS", 10
)  # pause between unknown-kid refetches
ROTOR_JWKS_URI_ALLOW_LOOPBACK = env_bool("ROTOR_JWKS_URI_ALLOW_LOOPBACK", False)
# JWKS Cache-Control max-age. A NEXT key is published a whole rotation before it signs, so any cache
# shorter than the rotation interval already holds it; 5 min also bounds how long caches keep trusting
# a key that an emergency double rotation unpublished. Keep it well below the time between rotations.
ROTOR_JWKS_MAX_AGE = env_int("ROTOR_JWKS_MAX_AGE", 300)
ROTOR_KEY_ENCRYPTION_SECRET = os.environ.get("ROTOR_KEY_ENCRYPTION_SECRET", SECRET_KEY)  # Fernet for keys
ROTOR_DEVICE_CODE_SECONDS = 600  # device authorization: how long the user has to approve (RFC 8628 expires_in)
ROTOR_DEVICE_POLL_INTERVAL = env_int("ROTOR_DEVICE_POLL_INTERVAL", 5)  # seconds between polls; +5 per slow_down
if ROTOR_DEVICE_POLL_INTERVAL < 1:
    raise ImproperlyConfigured("ROTOR_DEVICE_POLL_INTERVAL must be at least 1 second.")
ROTOR_ACTIVATE_WINDOW_SECONDS = 900  # /activate counts code attempts per 15-minute window...
ROTOR_ACTIVATE_ATTEMPTS_PER_SESSION = 10  # ...at most this many wrong codes per browser session
ROTOR_ACTIVATE_ATTEMPTS_PER_USER = 20  # ...and per signed-in user, across their sessions: the bound on guessing
# ...and per client IP, counted only behind ROTOR_TRUSTED_PROXIES and only for wrong codes (0 = off)
ROTOR_ACTIVATE_ATTEMPTS_PER_IP = env_int("ROTOR_ACTIVATE_ATTEMPTS_PER_IP", 30)
# purgetokens (tokens/purge.py, README "Running Rotor" says what each kind keeps).
ROTOR_PURGE_RETENTION_DAYS = env_int("ROTOR_PURGE_RETENTION_DAYS", 7)  # keep ended token families this long
ROTOR_EVENT_RETENTION_DAYS = env_int("ROTOR_EVENT_RETENTION_DAYS", 90)  # keep system-log events this long
ROTOR_PURGE_BATCH_SIZE = env_int("ROTOR_PURGE_BATCH_SIZE", 1000)  # rows per purge transaction

# Operators' endpoints (core/ops/). /readyz runs these checks in order; /metrics adds these
# scrape-time collectors to the workers' counters. Both are tokens' code, named here because core
# imports no app.
ROTOR_READINESS_CHECKS = {"database": "core.ops.health.database", "signing_keys": "tokens.ops.signing_keys"}
ROTOR_METRICS_COLLECTORS = ["tokens.ops.KeyAgeCollector"]
# /metrics answers only a scraper with this bearer token and/or from these IPs/CIDRs; neither set: 404.
ROTOR_METRICS_TOKEN = os.environ.get("ROTOR_METRICS_TOKEN", "")
ROTOR_METRICS_ALLOW = env_list("ROTOR_METRICS_ALLOW", "")
try:
    [ipaddress.ip_network(item, strict=False) for item in ROTOR_METRICS_ALLOW]
except ValueError as exc:
    raise ImproperlyConfigured(f"ROTOR_METRICS_ALLOW must list IPs or CIDRs: {exc}") from None

# LOG_FORMAT=json: JSON lines, and one line per OAuth endpoint request (core/ops/jsonlog.py).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")
LOGGING = logging_config(LOG_FORMAT, os.environ.get("LOG_LEVEL", "WARNING"))
