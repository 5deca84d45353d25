"""Custom authorization servers and what admins configure on them (Okta's authorization-server API):
scopes, claims, access policies and their rules.

The org server is not a row: it has no policies, its lifetimes are fixed (SPEC §4), and Okta's
`/api/v1/authorizationServers` does not list it. `default` is a row with the id `default`; every
other server's id is Okta's `aus…` form. Tokens, codes, families and keys name their server by
this id (a plain column, so the org server's `org` fits beside them).

The rows are read through tokens/servers/registry.py, which caches one server's whole
configuration per process. Every change to a server or anything under it moves the server's
`last_updated` (tokens/servers/services.py), which is how the cache knows it is stale.
"""

from django.db import models

from core.ids import new_id

ALL_CLIENTS = "ALL_CLIENTS"
EVERYONE = "EVERYONE"
ALL_SCOPES = "*"


def new_server_id() -> str:
    return new_id("aus")


def new_scope_id() -> str:
    return new_id("scp")


def new_claim_id() -> str:
    return new_id("ocl")


def new_policy_id() -> str:
    return new_id("00p")


def new_rule_id() -> str:
    return new_id("0pr")


class Status(models.TextChoices):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


class AuthorizationServer(models.Model):
    """A custom authorization server: issuer `{ROTOR_ISSUER}/oauth2/{id}`, its own keys and policies."""

    id = models.CharField(primary_key=True, max_length=20, default=new_server_id, editable=False)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=1000, blank=True, default="")
    audiences = models.JSONField(default=list, help_text="The access token's `aud` (Okta allows one).")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    created = models.DateTimeField(auto_now_add=True)
    last_updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self):
        return f"{self.name} ({self.id})"


class Scope(models.Model):
    """A scope of one server. The OIDC scopes and `offline_access` are system scopes (`system`)."""

    class Consent(models.TextChoices):
        IMPLICIT = "IMPLICIT"
        REQUIRED = "REQUIRED"

    class Publish(models.TextChoices):
        ALL_CLIENTS = "ALL_CLIENTS"  # listed in discovery's scopes_supported
        NO_CLIENTS = "NO_CLIENTS"

    id = models.CharField(primary_key=True, max_length=20, default=new_scope_id, editable=False)
    server = models.ForeignKey(AuthorizationServer, on_delete=models.CASCADE, related_name="scopes")
    name = models.CharField(max_length=255)
    display_name = models.CharField(max_length=255, blank=True, default="")
    description = models.CharField(max_length=1000, blank=True, default="")
    consent = models.CharField(max_length=8, choices=Consent.choices, default=Consent.IMPLICIT)
    metadata_publish = models.CharField(max_length=11, choices=Publish.choices, default=Publish.NO_CLIENTS)
    default = models.BooleanField(default=False, help_text="Granted when a client asks for no scope.")
    system = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    last_updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["server", "name"], name="one_scope_name_per_server")]
        ordering = ["server", "-system", "name"]

    def __str__(self):
        return self.name


class Claim(models.Model):
    """A claim one server adds to its access tokens (`RESOURCE`) or ID tokens (`IDENTITY`).

    `value` is an expression (`user.<profile attribute>` or a quoted string literal) for
    `EXPRESSION`, or the filter value for `GROUPS` (with `group_filter_type`).
    """

    class ClaimType(models.TextChoices):
        RESOURCE = "RESOURCE"  # access token
        IDENTITY = "IDENTITY"  # ID token

    class ValueType(models.TextChoices):
        EXPRESSION = "EXPRESSION"
        GROUPS = "GROUPS"

    class GroupFilter(models.TextChoices):
        STARTS_WITH = "STARTS_WITH"
        EQUALS = "EQUALS"
        CONTAINS = "CONTAINS"
        REGEX = "REGEX"

    id = models.CharField(primary_key=True, max_length=20, default=new_claim_id, editable=False)
    server = models.ForeignKey(AuthorizationServer, on_delete=models.CASCADE, related_name="claims")
    name = models.CharField(max_length=255)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    claim_type = models.CharField(max_length=8, choices=ClaimType.choices)
    value_type = models.CharField(max_length=10, choices=ValueType.choices, default=ValueType.EXPRESSION)
    value = models.CharField(max_length=1024)
    group_filter_type = models.CharField(max_length=11, choices=GroupFilter.choices, blank=True, default="")
    always_include_in_token = models.BooleanField(default=True)
    conditions_scopes = models.JSONField(default=list, help_text="Included only with one of these scopes; [] = any.")
    system = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    last_updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["server", "name", "claim_type"], name="one_claim_name_per_server_and_type")
        ]
        ordering = ["server", "claim_type", "name"]

    def __str__(self):
        return self.name


class Policy(models.Model):
    """An access policy: which clients it covers; its rules decide what a sign-in gets."""

    id = models.CharField(primary_key=True, max_length=20, default=new_policy_id, editable=False)
    server = models.ForeignKey(AuthorizationServer, on_delete=models.CASCADE, related_name="policies")
    name = models.CharField(max_length=255)
    description = models.CharField(max_length=1000, blank=True, default="")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    priority = models.PositiveIntegerField(default=1)
    clients_include = models.JSONField(default=list, help_text='["ALL_CLIENTS"] or client ids.')
    system = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    last_updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["server", "priority", "created"]
        verbose_name_plural = "policies"

    def __str__(self):
        return self.name


class PolicyRule(models.Model):
    """A rule of a policy: its conditions and the token lifetimes it grants (Okta's `actions.token`)."""

    id = models.CharField(primary_key=True, max_length=20, default=new_rule_id, editable=False)
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(max_length=255)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    priority = models.PositiveIntegerField(default=1)
    system = models.BooleanField(default=False)
    # conditions
    grant_types = models.JSONField(default=list, help_text="Grant types this rule covers.")
    scopes = models.JSONField(default=list, help_text='["*"] or scope names.')
    users_include = models.JSONField(default=list)
    users_exclude = models.JSONField(default=list)
    groups_include = models.JSONField(default=list, help_text='["EVERYONE"] or group ids.')
    groups_exclude = models.JSONField(default=list)
    # actions.token
    access_token_lifetime_minutes = models.PositiveIntegerField(default=60)
    refresh_token_lifetime_minutes = models.PositiveIntegerField(default=0, help_text="0 = unlimited.")
    refresh_token_window_minutes = models.PositiveIntegerField(default=10080)
    created = models.DateTimeField(auto_now_add=True)
    last_updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["policy", "priority", "created"]

    def __str__(self):
        return self.name
