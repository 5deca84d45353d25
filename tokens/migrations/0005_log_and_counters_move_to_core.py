# Event and AttemptCounter now belong to the shared `core` app (core.0001); only Django's state
# changes, the tables stay.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tokens", "0004_equality_only_unique"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Event"),
                migrations.DeleteModel(name="AttemptCounter"),
            ]
        )
    ]
