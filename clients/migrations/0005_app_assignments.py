"""App assignments to groups and users. Every existing app is assigned to Everyone, so nobody who could
sign in before loses access (a new app gets the same from clients/services.py create_app())."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def assign_everyone(apps, schema_editor):
    Group = apps.get_model("accounts", "Group")
    Application = apps.get_model("clients", "Application")
    AppGroupAssignment = apps.get_model("clients", "AppGroupAssignment")
    everyone = Group.objects.filter(type="BUILT_IN").first()
    if everyone is None:
        return
    AppGroupAssignment.objects.bulk_create(
        [AppGroupAssignment(app_id=pk, group=everyone) for pk in Application.objects.values_list("pk", flat=True)],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_groups"),
        ("clients", "0004_client_keys_and_secrets"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AppGroupAssignment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("priority", models.PositiveIntegerField(default=0)),
                ("created", models.DateTimeField(auto_now_add=True)),
                ("last_updated", models.DateTimeField(auto_now=True)),
                (
                    "app",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="group_assignments",
                        to=settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
                    ),
                ),
                (
                    "group",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="app_assignments", to="accounts.group"
                    ),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("app", "group"), name="clients_app_group_unique")],
            },
        ),
        migrations.CreateModel(
            name="AppUserAssignment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created", models.DateTimeField(auto_now_add=True)),
                ("last_updated", models.DateTimeField(auto_now=True)),
                (
                    "app",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="user_assignments",
                        to=settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="app_assignments",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("app", "user"), name="clients_app_user_unique")],
            },
        ),
        migrations.RunPython(assign_everyone, migrations.RunPython.noop),
    ]
