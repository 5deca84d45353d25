"""The built-in Everyone group (Okta's BUILT_IN group; its membership is implicit, so it is one row).

A fresh install has it, and so must a database after `flush`: migration accounts.0005 calls
`ensure_everyone()` with its historical models, and the post_migrate receiver (accounts/apps.py) with
the models Django hands it after every `migrate` and `flush`, as Django's contenttypes are made. One
query when the group is there.
"""

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS, IntegrityError, router, transaction

from .models import Group, new_group_id

EVERYONE_DESCRIPTION = "All users in your organization"


def ensure_everyone(apps=global_apps, using: str = DEFAULT_DB_ALIAS) -> None:
    """Create Everyone unless it is there. Two processes at once: the one-built-in-group constraint
    (accounts_group_one_built_in) lets one insert; the other finds it made."""
    try:
        model = apps.get_model("accounts", "Group")
    except LookupError:  # migrated back to before the groups
        return
    if not router.allow_migrate_model(using, model):
        return
    groups = model.objects.using(using)
    if groups.filter(type=Group.Type.BUILT_IN).exists():
        return
    try:
        with transaction.atomic(using=using):
            groups.create(
                public_id=new_group_id(),
                type=Group.Type.BUILT_IN,
                name=Group.EVERYONE_NAME,
                description=EVERYONE_DESCRIPTION,
            )
    except IntegrityError:
        if not groups.filter(type=Group.Type.BUILT_IN).exists():
            raise


def create_after_migrate(sender, *, using: str = DEFAULT_DB_ALIAS, apps=global_apps, **kwargs) -> None:
    """post_migrate receiver: after `migrate` (`apps` is the migrated state) and `flush` (the registry)."""
    ensure_everyone(apps, using)
