"""Equality-only columns become unique through named constraints; their LIKE-only twins and the
family's single-column foreign-key indexes go (tokens/models.py says why).

The new unique indexes are built first, so the columns are never without one.
"""

import django.db.models.deletion
import tokens.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tokens', '0003_event_plain_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        migrations.swappable_dependency(settings.OAUTH2_PROVIDER_APPLICATION_MODEL),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='authorizationcode',
            constraint=models.UniqueConstraint(fields=('code_hash',), name='authorizationcode_code_hash_uniq'),
        ),
        migrations.AddConstraint(
            model_name='devicecode',
            constraint=models.UniqueConstraint(fields=('device_code_hash',), name='devicecode_device_code_hash_uniq'),
        ),
        migrations.AddConstraint(
            model_name='devicecode',
            constraint=models.UniqueConstraint(fields=('user_code_hash',), name='devicecode_user_code_hash_uniq'),
        ),
        migrations.AddConstraint(
            model_name='refreshtoken',
            constraint=models.UniqueConstraint(fields=('token_hash',), name='refreshtoken_token_hash_uniq'),
        ),
        migrations.AddConstraint(
            model_name='revokedaccesstoken',
            constraint=models.UniqueConstraint(fields=('jti',), name='revokedaccesstoken_jti_uniq'),
        ),
        migrations.AddConstraint(
            model_name='tokenfamily',
            constraint=models.UniqueConstraint(fields=('public_id',), name='tokenfamily_public_id_uniq'),
        ),
        migrations.AlterField(
            model_name='authorizationcode',
            name='code_hash',
            field=models.CharField(max_length=64),
        ),
        migrations.AlterField(
            model_name='devicecode',
            name='device_code_hash',
            field=models.CharField(max_length=64),
        ),
        migrations.AlterField(
            model_name='devicecode',
            name='user_code_hash',
            field=models.CharField(max_length=64),
        ),
        migrations.AlterField(
            model_name='refreshtoken',
            name='token_hash',
            field=models.CharField(max_length=64),
        ),
        migrations.AlterField(
            model_name='revokedaccesstoken',
            name='jti',
            field=models.CharField(max_length=80),
        ),
        migrations.AlterField(
            model_name='tokenfamily',
            name='client',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='families', to=settings.OAUTH2_PROVIDER_APPLICATION_MODEL),
        ),
        migrations.AlterField(
            model_name='tokenfamily',
            name='public_id',
            field=models.CharField(default=tokens.models.new_family_id, editable=False, max_length=20),
        ),
        migrations.AlterField(
            model_name='tokenfamily',
            name='user',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='families', to=settings.AUTH_USER_MODEL),
        ),
    ]
