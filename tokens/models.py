"""Signing keys, authorization codes, refresh-token families, consents and device codes.

Tokens and codes are stored only as SHA-256 hex digests (core/crypto.py); private keys only
Fernet-encrypted (tokens/servers/keys.py). docs/architecture.md explains the family design.

Digests and public ids are found by equality only, so they are unique through `_unique()` in Meta
rather than `unique=True`: on PostgreSQL the field option adds a second, LIKE-only index
(`varchar_pattern_ops`) that nothing queries, as large as the real one, and every insert (one per
rotation) pays for it.
"""

from django.conf import settings
from django.db import models

from core.ids import new_id

from .servers.models import AuthorizationServer, Claim, Policy, PolicyRule, Scope  # noqa: F401  (one app's models)

SERVER_ORG = "org"
SERVER_DEFAULT = "default"


def _unique(model: str, field: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(fields=[field], name=f"{model}_{field}_uniq")


class SigningKey(models.Model):
    """An RS256 key of one authorization server. At most one of each status per server."""

    class Status(models.TextChoices):
        ACTIVE = "ACTIVE"  # signs now
        NEXT = "NEXT"  # published ahead, signs after the next rotation
        EXPIRED = "EXPIRED"  # signed before the last rotation, still published so its tokens verify

    server = models.CharField(max_length=32)  # "org" or an AuthorizationServer id
    kid = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=8, choices=Status.choices)
    public_jwk = models.JSONField()
    private_key_encrypted = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["server", "status"], name="one_key_per_status")]
        ordering = ["server", "created"]

    def __str__(self):
        return f"{self.server}:{self.kid} ({self.status})"


class AuthorizationCode(models.Model):
    """A single-use code; after redemption it remembers what it issued so a replay can revoke it."""

    code_hash = models.CharField(max_length=64)
    client = models.ForeignKey("clients.Application", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    server = models.CharField(max_length=32)  # "org" or an AuthorizationServer id
    redirect_uri = models.TextField()
    scopes = models.JSONField(default=list)
    nonce = models.TextField(blank=True, default="")
    code_challenge = models.CharField(max_length=128, blank=True, default="")
    auth_time = models.DateTimeField()
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)
    family = models.ForeignKey("TokenFamily", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    access_jti = models.CharField(max_length=80, blank=True, default="")
    access_expires_at = models.DateTimeField(null=True, blank=True)
    # RFC 9449 §10: the thumbprint sent as `dpop_jkt` at /authorize; the exchange needs a proof by that key.
    dpop_jkt = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        constraints = [_unique("authorizationcode", "code_hash")]


def new_family_id() -> str:
    return new_id("oar")


class TokenFamily(models.Model):
    """All refresh tokens minted from one sign-in, and the lifetimes that sign-in was granted.

    The family's status is the single source of truth for revocation: revoking it revokes every
    refresh token in it and every access token issued from it (their `jti` names the family).
    """

    class Status(models.TextChoices):
        ACTIVE = "ACTIVE"
        REVOKED = "REVOKED"

    public_id = models.CharField(max_length=20, default=new_family_id, editable=False)
    # No index of their own: the (client, status) and (user, status) indexes lead with them.
    client = models.ForeignKey("clients.Application", on_delete=models.CASCADE, related_name="families", db_index=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="families", db_index=False
    )
    server = models.CharField(max_length=32)  # "org" or an AuthorizationServer id
    scopes = models.JSONField(default=list)
    grant_type = models.CharField(max_length=64, default="authorization_code")
    auth_time = models.DateTimeField()
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Absolute expiry; empty = unlimited.")
    idle_minutes = models.PositiveIntegerField(help_text="Idle window, restarted by every use.")
    access_minutes = models.PositiveIntegerField(default=60, help_text="Access-token lifetime granted at sign-in.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    revoked_at = models.DateTimeField(null=True, blank=True, db_index=True)
    revoked_reason = models.CharField(max_length=64, blank=True, default="")
    # A public client's family is bound to the DPoP key of its first token request (RFC 9449 §5): the
    # RFC 7638 thumbprint every refresh's proof must match. Empty: not bound. The hot path's lookup
    # reads it with the family's other columns, so the binding costs no statement.
    dpop_jkt = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["client", "status"]), models.Index(fields=["user", "status"])]
        constraints = [_unique("tokenfamily", "public_id")]
        ordering = ["-created"]

    def __str__(self):
        return self.public_id


class RefreshToken(models.Model):
    """One refresh-token string of a family, by hash. `rotated_at` is set when a ROTATE use replaces it."""

    token_hash = models.CharField(max_length=64)
    family = models.ForeignKey(TokenFamily, on_delete=models.CASCADE, related_name="tokens")
    created = models.DateTimeField()
    last_used = models.DateTimeField()
    rotated_at = models.DateTimeField(null=True, blank=True)
    # How this token came to be: "issued" (sign-in), "rotation", or "grace" (a reuse within leeway).
    origin = models.CharField(max_length=8, default="issued")

    class Meta:
        constraints = [_unique("refreshtoken", "token_hash")]
        ordering = ["created"]


class RevokedAccessToken(models.Model):
    """The small revocation list of individually revoked access tokens, kept until they expire."""

    jti = models.CharField(max_length=80)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [_unique("revokedaccesstoken", "jti")]


class TokensValidAfter(models.Model):
    """Access tokens of one user at one app issued before `valid_after` are refused ("revoke all" for a
    user and app). Per user and per app the same moment lives on the User and Application rows."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey("clients.Application", on_delete=models.CASCADE, related_name="+")
    valid_after = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "client"], name="one_cutoff_per_user_app")]


class ConsentGrant(models.Model):
    """Scopes a user has approved for an app that requires consent."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey("clients.Application", on_delete=models.CASCADE, related_name="+")
    scopes = models.JSONField(default=list)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "client"], name="one_consent_per_user_app")]


class DeviceCode(models.Model):
    """A device authorization (RFC 8628): the device polls with `device_code`, a user approves `user_code`.

    Both codes are stored only as hashes. The device code carries 256 random bits (plain SHA-256,
    like refresh tokens); the user code has only about 35 bits, so its hash is an HMAC keyed with
    SECRET_KEY: an unkeyed hash of so small a space would be reversed from a dump in seconds.
    `interval` grows by 5 s on every too-fast poll of this device (RFC 8628 §3.5 `slow_down`).
    """

    class Status(models.TextChoices):
        PENDING = "PENDING"  # waiting for the user at /activate
        APPROVED = "APPROVED"  # the user approved; the next poll redeems it
        DENIED = "DENIED"  # the user said no
        REDEEMED = "REDEEMED"  # tokens were issued, once

    device_code_hash = models.CharField(max_length=64)
    user_code_hash = models.CharField(max_length=64)
    client = models.ForeignKey("clients.Application", on_delete=models.CASCADE, related_name="+")
    server = models.CharField(max_length=32)  # "org" or an AuthorizationServer id
    scopes = models.JSONField(default=list)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    auth_time = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    interval = models.PositiveIntegerField(help_text="Seconds the device must wait between polls.")
    last_polled_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)
    family = models.ForeignKey("TokenFamily", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [_unique("devicecode", "device_code_hash"), _unique("devicecode", "user_code_hash")]

    def __str__(self):
        return f"device authorization {self.pk} ({self.status})"
