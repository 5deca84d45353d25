"""The built-in `default` server: its system scopes, the custom scopes it ships with, "Default Policy" and
"Default Policy Rule". A fresh install has these rows, and so must a database after `flush`.

One function writes them: migration tokens.0008 calls it with its historical models, and the post_migrate
receiver (tokens/apps.py) with the models Django hands it after every `migrate` and `flush`, as Django's
contenttypes and permissions are made. It changes nothing when the server is there (one query), so an
admin's edits of `default` survive every later `migrate`.
"""

import os

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS, IntegrityError, router, transaction

DEFAULT_SERVER_ID = "default"

# What a server's system scopes say on the consent page; every new server gets them (services.create_server()).
SYSTEM_SCOPE_DESCRIPTIONS = {
    "openid": "Signals that a request is an OpenID request.",
    "profile": "Allows this application to access your profile information.",
    "email": "Allows this application to access your email address.",
    "address": "Allows this application to access your address.",
    "phone": "Allows this application to access your phone number.",
    "offline_access": "Allows this application to access your data when you are not there.",
}
DEFAULT_RULE_GRANTS = [
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "urn:ietf:params:oauth:grant-type:device_code",
]


def system_scopes(scope_model, server) -> list:
    """Unsaved rows of the system scopes of `server` (`scope_model`: the real Scope or a migration's)."""
    return [
        scope_model(
            server=server,
            name=name,
            description=description,
            system=True,
            metadata_publish="ALL_CLIENTS",
            consent="IMPLICIT" if name == "openid" else "REQUIRED",
        )
        for name, description in SYSTEM_SCOPE_DESCRIPTIONS.items()
    ]


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def ensure_default_server(apps=global_apps, using: str = DEFAULT_DB_ALIAS) -> None:
    """Create `default` and what it ships with unless the server is there.

    The custom scopes (ROTOR_CUSTOM_SCOPES, once a setting; api:read and api:write without it) are
    `default` scopes, granted to a client_credentials grant that asks for none; the rule's refresh
    lifetimes come from ROTOR_DEFAULT_REFRESH_* the same way. Two processes migrating at once: the
    server's primary key lets one create it, the other finds it made.
    """
    try:
        Server = apps.get_model("tokens", "AuthorizationServer")
        Scope = apps.get_model("tokens", "Scope")
        Policy = apps.get_model("tokens", "Policy")
        Rule = apps.get_model("tokens", "PolicyRule")
    except LookupError:  # migrated back to before the servers existed
        return
    if not router.allow_migrate_model(using, Server):
        return
    if Server.objects.using(using).filter(id=DEFAULT_SERVER_ID).exists():
        return
    custom = [s.strip() for s in os.environ.get("ROTOR_CUSTOM_SCOPES", "api:read,api:write").split(",") if s.strip()]
    try:
        with transaction.atomic(using=using):
            server = Server.objects.using(using).create(
                id=DEFAULT_SERVER_ID,
                name=DEFAULT_SERVER_ID,
                description="Default Authorization Server for your Applications",
                audiences=["api://default"],
            )
            scopes = system_scopes(Scope, server) + [
                Scope(
                    server=server,
                    name=name,
                    description=f"Custom scope {name}",
                    metadata_publish="ALL_CLIENTS",
                    default=True,
                )
                for name in dict.fromkeys(custom)
                if name not in SYSTEM_SCOPE_DESCRIPTIONS
            ]
            Scope.objects.using(using).bulk_create(scopes)
            policy = Policy.objects.using(using).create(
                server=server,
                name="Default Policy",
                description="Default policy description",
                priority=1,
                clients_include=["ALL_CLIENTS"],
                system=True,
            )
            Rule.objects.using(using).create(
                policy=policy,
                name="Default Policy Rule",
                priority=1,
                system=True,
                grant_types=DEFAULT_RULE_GRANTS,
                scopes=["*"],
                groups_include=["EVERYONE"],
                access_token_lifetime_minutes=60,
                refresh_token_lifetime_minutes=_env_int("ROTOR_DEFAULT_REFRESH_LIFETIME_MINUTES", 0),
                refresh_token_window_minutes=_env_int("ROTOR_DEFAULT_REFRESH_WINDOW_MINUTES", 10080),
            )
    except IntegrityError:  # another process created it first
        if not Server.objects.using(using).filter(id=DEFAULT_SERVER_ID).exists():
            raise


def create_after_migrate(sender, *, using: str = DEFAULT_DB_ALIAS, apps=global_apps, **kwargs) -> None:
    """post_migrate receiver: after `migrate` (`apps` is the migrated state) and `flush` (the registry)."""
    ensure_default_server(apps, using)
