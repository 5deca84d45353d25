from functools import reduce
from operator import or_

from django.contrib.auth.models import AbstractUser
from django.db import models

from core.ids import new_id


def new_user_id() -> str:
    return new_id("00u")


class User(AbstractUser):
    """A person who signs in: an end user of apps, or (is_staff) an admin of the console."""

    uid = models.CharField(max_length=20, unique=True, default=new_user_id, editable=False)
    # Access tokens issued before this moment are refused (deactivation); see tokens/lifecycle/revocation.py.
    tokens_valid_after = models.DateTimeField(null=True, blank=True)
    # Set when an admin gives the user a temporary password: sign-in then asks for a new one before any session starts.
    must_change_password = models.BooleanField(default=False)

    @property
    def status(self) -> str:
        return "ACTIVE" if self.is_active else "DEPROVISIONED"

    SEARCH_FIELDS = ("username", "email", "first_name", "last_name")

    @classmethod
    def matching(cls, text: str, *, lookup: str) -> models.Q:
        """Users whose login, email or name matches `text` by `lookup` (e.g. "istartswith")."""
        return reduce(or_, (models.Q(**{f"{field}__{lookup}": text}) for field in cls.SEARCH_FIELDS))

    @classmethod
    def find(cls, okta_id_or_login: str) -> "User | None":
        """By Okta id (`00u…`), or by login as Okta's API also allows."""
        user = cls.objects.filter(uid=okta_id_or_login).first() if okta_id_or_login.isalnum() else None
        if user is None and len(okta_id_or_login) <= 150 and "\x00" not in okta_id_or_login:
            user = cls.objects.filter(username__iexact=okta_id_or_login).first()
        return user


class ApiToken(models.Model):
    """A management-API credential (`Authorization: SSWS <token>`); only its SHA-256 is stored."""

    name = models.CharField(max_length=100)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text="First characters, so admins can tell tokens apart.")
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


def new_group_id() -> str:
    return new_id("00g")


class Group(models.Model):
    """An Okta group (`00g…`): `OKTA_GROUP`s are made by admins; the one `BUILT_IN` group, Everyone,
    holds every user without membership rows and cannot be changed.

    Everyone is a row so that it has an id like any group (an app's assignment, a rule's
    `groups.include` name it), but its membership is implicit: 10,000 users would otherwise be
    10,000 rows to keep in step with every user created. Code that asks "is this user in the
    group" treats `type == BUILT_IN` as yes (`GroupQuerySet.holding()`).
    Not django.contrib.auth's Group (permissions, unused here): this is `accounts.Group`.
    """

    class Type(models.TextChoices):
        BUILT_IN = "BUILT_IN"
        OKTA_GROUP = "OKTA_GROUP"

    EVERYONE_NAME = "Everyone"
    SEARCH_FIELDS = ("name",)

    public_id = models.CharField(max_length=20, unique=True, default=new_group_id, editable=False)
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.OKTA_GROUP)
    name = models.CharField(max_length=255)
    description = models.CharField(max_length=1024, blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)
    last_updated = models.DateTimeField(auto_now=True)
    last_membership_updated = models.DateTimeField(null=True, blank=True)
    members = models.ManyToManyField(User, through="GroupMembership", related_name="okta_groups")

    class Meta:
        constraints = [
            # One Everyone, however many processes migrate at once (accounts/builtin.py).
            models.UniqueConstraint(
                fields=["type"], condition=models.Q(type="BUILT_IN"), name="accounts_group_one_built_in"
            )
        ]
        indexes = [models.Index(fields=["name"], name="accounts_group_name")]

    def __str__(self):
        return self.name

    @property
    def is_everyone(self) -> bool:
        return self.type == self.Type.BUILT_IN

    @classmethod
    def everyone(cls) -> "Group":
        """The built-in Everyone group (accounts/builtin.py makes it after every `migrate` and `flush`)."""
        return cls.objects.get(type=cls.Type.BUILT_IN)

    @classmethod
    def find(cls, public_id: str) -> "Group | None":
        return cls.objects.filter(public_id=public_id).first() if public_id.isalnum() else None

    @classmethod
    def of_user(cls, user) -> models.QuerySet:
        """The groups `user` is in: Everyone and those with a membership row."""
        mine = GroupMembership.objects.filter(user=user).values("group_id")  # the (user, group) index
        return cls.objects.filter(models.Q(type=cls.Type.BUILT_IN) | models.Q(pk__in=mine))

    def users(self) -> models.QuerySet:
        """The group's members: every user for Everyone."""
        return User.objects.all() if self.is_everyone else User.objects.filter(group_memberships__group=self)


class GroupMembership(models.Model):
    """A user in an `OKTA_GROUP`. The unique (group, user) index serves "is this user in the group"
    and the group's member list; (user, group) serves a user's groups and the sign-in check, which
    starts from the user."""

    # No single-column indexes: the two composite ones below lead with each column.
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships", db_index=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="group_memberships", db_index=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="accounts_membership_group_user")]
        indexes = [models.Index(fields=["user", "group"], name="accounts_membership_user_group")]
