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
