# The built-in server `default` becomes a row, with its system scopes, the custom scopes that
# ROTOR_CUSTOM_SCOPES listed (still published in discovery), and "Default Policy" / "Default Policy
# Rule", whose refresh lifetimes come from ROTOR_DEFAULT_REFRESH_* as they were when this ran.
# tokens/servers/builtin.py writes them; its post_migrate receiver writes them again after a `flush`.

from django.db import migrations

from tokens.servers.builtin import ensure_default_server


def create_default(apps, schema_editor):
    ensure_default_server(apps, schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("tokens", "0007_authorization_servers")]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
