"""Groups and memberships, and the built-in Everyone group (its membership is implicit: no rows), written by
accounts/builtin.py, whose post_migrate receiver writes it again after a `flush`."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import accounts.models
from accounts.builtin import ensure_everyone


def create_everyone(apps, schema_editor):
    ensure_everyone(apps, schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_search_trigram_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="Group",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "public_id",
                    models.CharField(default=accounts.models.new_group_id, editable=False, max_length=20, unique=True),
                ),
                (
                    "type",
                    models.CharField(
                        choices=[("BUILT_IN", "Built In"), ("OKTA_GROUP", "Okta Group")],
                        default="OKTA_GROUP",
                        max_length=10,
                    ),
                ),
                ("name", models.CharField(max_length=255)),
                ("description", models.CharField(blank=True, default="", max_length=1024)),
                ("created", models.DateTimeField(auto_now_add=True)),
                ("last_updated", models.DateTimeField(auto_now=True)),
                ("last_membership_updated", models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.CreateModel(
            name="GroupMembership",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created", models.DateTimeField(auto_now_add=True)),
                (
                    "group",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="memberships",
                        to="accounts.group",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="group_memberships",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="group",
            name="members",
            field=models.ManyToManyField(
                related_name="okta_groups", through="accounts.GroupMembership", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddIndex(
            model_name="groupmembership",
            index=models.Index(fields=["user", "group"], name="accounts_membership_user_group"),
        ),
        migrations.AddConstraint(
            model_name="groupmembership",
            constraint=models.UniqueConstraint(fields=("group", "user"), name="accounts_membership_group_user"),
        ),
        migrations.AddIndex(
            model_name="group",
            index=models.Index(fields=["name"], name="accounts_group_name"),
        ),
        migrations.AddConstraint(
            model_name="group",
            constraint=models.UniqueConstraint(
                condition=models.Q(("type", "BUILT_IN")), fields=("type",), name="accounts_group_one_built_in"
            ),
        ),
        migrations.RunPython(create_everyone, migrations.RunPython.noop),
    ]
