# Server ids become plain ids (any custom server's, not just org/default), and a family keeps the
# access-token lifetime its sign-in was granted. The scopes that ROTOR_CUSTOM_SCOPES listed were what a
# client_credentials grant without a scope received; they become `default` scopes so it still does.

from django.db import migrations, models


def custom_scopes_become_defaults(apps, schema_editor):
    Scope = apps.get_model("tokens", "Scope")
    custom = Scope.objects.filter(server_id="default", system=False)
    if not custom.filter(default=True).exists():
        custom.update(default=True)


class Migration(migrations.Migration):
    dependencies = [
        ("tokens", "0008_default_server_rows"),
    ]

    operations = [
        migrations.AddField(
            model_name="tokenfamily",
            name="access_minutes",
            field=models.PositiveIntegerField(default=60, help_text="Access-token lifetime granted at sign-in."),
        ),
        migrations.AlterField(
            model_name="authorizationcode",
            name="server",
            field=models.CharField(max_length=32),
        ),
        migrations.AlterField(
            model_name="devicecode",
            name="server",
            field=models.CharField(max_length=32),
        ),
        migrations.AlterField(
            model_name="signingkey",
            name="server",
            field=models.CharField(max_length=32),
        ),
        migrations.AlterField(
            model_name="tokenfamily",
            name="server",
            field=models.CharField(max_length=32),
        ),
        migrations.RunPython(custom_scopes_become_defaults, migrations.RunPython.noop),
    ]
