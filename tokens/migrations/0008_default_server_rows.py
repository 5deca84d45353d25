# The built-in server `default` becomes a row, with its system scopes, the custom scopes that
# ROTOR_CUSTOM_SCOPES listed (still published in discovery), and "Default Policy" / "Default Policy
# Rule", whose refresh lifetimes come from ROTOR_DEFAULT_REFRESH_* as they were when this ran.

import os

from django.db import migrations

OIDC_SCOPES = {
    "openid": "Signals that a request is an OpenID request.",
    "profile": "Allows this application to access your profile information.",
    "email": "Allows this application to access your email address.",
    "address": "Allows this application to access your address.",
    "phone": "Allows this application to access your phone number.",
    "offline_access": "Allows this application to access your data when you are not there.",
}
GRANTS = ["authorization_code", "refresh_token", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code"]


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def create_default(apps, schema_editor):
    Server = apps.get_model("tokens", "AuthorizationServer")
    Scope = apps.get_model("tokens", "Scope")
    Policy = apps.get_model("tokens", "Policy")
    Rule = apps.get_model("tokens", "PolicyRule")
    if Server.objects.filter(id="default").exists():
        return
    server = Server.objects.create(
        id="default",
        name="default",
        description="Default Authorization Server for your Applications",
        audiences=["api://default"],
    )
    for name, description in OIDC_SCOPES.items():
        Scope.objects.create(
            server=server,
            name=name,
            description=description,
            system=True,
            metadata_publish="ALL_CLIENTS",
            consent="REQUIRED" if name != "openid" else "IMPLICIT",
        )
    custom = [s.strip() for s in os.environ.get("ROTOR_CUSTOM_SCOPES", "api:read,api:write").split(",") if s.strip()]
    for name in dict.fromkeys(custom):
        if name not in OIDC_SCOPES:
            Scope.objects.create(
                server=server, name=name, description=f"Custom scope {name}", metadata_publish="ALL_CLIENTS"
            )
    policy = Policy.objects.create(
        server=server,
        name="Default Policy",
        description="Default policy description",
        priority=1,
        clients_include=["ALL_CLIENTS"],
        system=True,
    )
    Rule.objects.create(
        policy=policy,
        name="Default Policy Rule",
        priority=1,
        system=True,
        grant_types=GRANTS,
        scopes=["*"],
        groups_include=["EVERYONE"],
        access_token_lifetime_minutes=60,
        refresh_token_lifetime_minutes=_env_int("ROTOR_DEFAULT_REFRESH_LIFETIME_MINUTES", 0),
        refresh_token_window_minutes=_env_int("ROTOR_DEFAULT_REFRESH_WINDOW_MINUTES", 10080),
    )


class Migration(migrations.Migration):
    dependencies = [("tokens", "0007_authorization_servers")]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
