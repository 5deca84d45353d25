import base64
import hashlib
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Exists
from oauth2_provider.models import AbstractApplication

from accounts.models import Group, GroupMembership
from core import publickeys
from core.ids import new_id

GRANT_AUTHORIZATION_CODE = "authorization_code"
GRANT_REFRESH_TOKEN = "refresh_token"
GRANT_CLIENT_CREDENTIALS = "client_credentials"
GRANT_DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
GRANT_TYPES = [GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN, GRANT_CLIENT_CREDENTIALS, GRANT_DEVICE_CODE]

# DOT keeps a single grant in `authorization_grant_type`; we keep Okta's list in `grant_types`
# and mirror the main one into DOT's field so DOT's own helpers stay meaningful.
_DOT_GRANT = {
    GRANT_AUTHORIZATION_CODE: AbstractApplication.GRANT_AUTHORIZATION_CODE,
    GRANT_CLIENT_CREDENTIALS: AbstractApplication.GRANT_CLIENT_CREDENTIALS,
    GRANT_DEVICE_CODE: AbstractApplication.GRANT_DEVICE_CODE,
}


def _parsable(uri: str) -> bool:
    try:
        urlsplit(uri).port  # noqa: B018  (ValueError for "Port out of range" or a bad IPv6 literal)
    except ValueError:
        return False
    return True


def new_app_id() -> str:
    return new_id("0oa")


class Application(AbstractApplication):
    """An OIDC app integration (Okta's `oidc_client`), swapped in for DOT's Application.

    DOT's fields carry what they mean there: `name` is Okta's `label`, `redirect_uris`,
    `post_logout_redirect_uris` and `allowed_origins` (trusted origins) are space-separated,
    `skip_authorization` is `consent_method == TRUSTED`, and `client_secret` holds the
    `rotor_sha256` hashes (DOT's CLIENT_SECRET_HASHER) of the app's ACTIVE ClientSecret rows,
    space-separated: at most two, rewritten with them (clients/credentials.py), so a token request
    still checks its secret against the app row alone. The per-type rules live in
    clients/validation.py; every writer goes through clients/services.py and clients/credentials.py.
    """

    class Status(models.TextChoices):
        ACTIVE = "ACTIVE"
        INACTIVE = "INACTIVE"

    class AppType(models.TextChoices):
        WEB = "web", "Web Application"
        BROWSER = "browser", "Single-Page Application"
        NATIVE = "native", "Native Application"
        SERVICE = "service", "API Services"

    class Rotation(models.TextChoices):
        ROTATE = "ROTATE", "Rotate token after every use"
        STATIC = "STATIC", "Use persistent token"

    public_id = models.CharField(max_length=20, unique=True, default=new_app_id, editable=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    application_type = models.CharField(max_length=8, choices=AppType.choices)
    grant_types = models.JSONField(default=list)
    response_types = models.JSONField(default=list)
    token_endpoint_auth_method = models.CharField(max_length=32, default="client_secret_basic")
    pkce_required = models.BooleanField(default=False)
    rotation_type = models.CharField(max_length=6, choices=Rotation.choices, default=Rotation.STATIC)
    leeway = models.PositiveSmallIntegerField(default=30)
    initiate_login_uri = models.CharField(max_length=1024, blank=True, default="")
    # Okta's "Require Demonstrating Proof of Possession (DPoP) header in token requests" (RFC 9449).
    dpop_bound_access_tokens = models.BooleanField(default=False)
    # Access tokens issued before this moment are refused: set on create (so a reused client_id inherits no
    # tokens), deactivation and "revoke all"; see tokens/lifecycle/revocation.py.
    tokens_valid_after = models.DateTimeField(null=True, blank=True)
    # private_key_jwt (RFC 7523): where the client's public keys are, either fetched from `jwks_uri` or
    # registered as ClientJsonWebKey rows. `active_jwks` is the ACTIVE rows' JWKs, rewritten with them
    # (clients/credentials.py), so client authentication reads the app row alone, as for a secret.
    jwks_uri = models.CharField(max_length=1024, blank=True, default="")
    active_jwks = models.JSONField(default=list, blank=True)

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"
        ordering = ["-created"]

    def save(self, *args, **kwargs):
        self.client_type = self.CLIENT_PUBLIC if self.is_public else self.CLIENT_CONFIDENTIAL
        main = next((g for g in self.grant_types if g in _DOT_GRANT), GRANT_AUTHORIZATION_CODE)
        self.authorization_grant_type = _DOT_GRANT[main]
        self.hash_client_secret = bool(self.client_secret)  # public apps keep an empty secret
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == "none"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def consent_method(self) -> str:
        return "TRUSTED" if self.skip_authorization else "REQUIRED"

    @property
    def redirect_uri_list(self) -> list[str]:
        return self.redirect_uris.split()

    @property
    def post_logout_redirect_uri_list(self) -> list[str]:
        return self.post_logout_redirect_uris.split()

    @property
    def trusted_origin_list(self) -> list[str]:
        return self.allowed_origins.split()

    def redirect_uri_allowed(self, uri: str) -> bool:
        """DOT's exact match; a URI whose host or port cannot be parsed is simply not allowed
        (DOT's matcher would raise ValueError, a 500)."""
        return _parsable(uri) and super().redirect_uri_allowed(uri)

    def post_logout_redirect_uri_allowed(self, uri: str) -> bool:
        return _parsable(uri) and super().post_logout_redirect_uri_allowed(uri)

    def allows_grant(self, grant_type: str) -> bool:
        return grant_type in self.grant_types

    @property
    def issues_refresh_tokens(self) -> bool:
        return GRANT_REFRESH_TOKEN in self.grant_types

    @property
    def needs_rotation(self) -> bool:
        """A public client with persistent refresh tokens, saved before they were refused (RFC 9700
        §4.14.2, clients/validation.py): it still works, and the console asks for rotation."""
        return (
            self.is_public
            and self.issues_refresh_tokens
            and self.rotation_type == self.Rotation.STATIC
            and not self.dpop_bound_access_tokens  # bound to a key instead: allowed (RFC 9700 §4.14.2)
        )

    def is_assigned_to(self, user) -> bool:
        """Whether `user` may sign in to this app: assigned directly, or in a group assigned to it
        (Everyone holds every user). ONE statement, each branch on an index: the direct row by
        (app, user); Everyone by (app, group) and the group's pk; the user's memberships by
        (user, group), each probing (app, group). /authorize and /activate ask it; refresh does
        not (unassignment revokes instead)."""
        assigned_groups = AppGroupAssignment.objects.filter(app_id=self.pk)
        branches = (
            Exists(AppUserAssignment.objects.filter(app_id=self.pk, user_id=user.pk))
            | Exists(assigned_groups.filter(group__type=Group.Type.BUILT_IN))
            | Exists(GroupMembership.objects.filter(user_id=user.pk, group_id__in=assigned_groups.values("group_id")))
        )
        return Application.objects.filter(branches, pk=self.pk).exists()

    def __str__(self):
        return self.name or self.client_id


class AppGroupAssignment(models.Model):
    """A group assigned to an app (Okta's ApplicationGroupAssignment): its members may sign in to it."""

    app = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="group_assignments", db_index=False)
    group = models.ForeignKey("accounts.Group", on_delete=models.CASCADE, related_name="app_assignments")
    priority = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    last_updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["app", "group"], name="clients_app_group_unique")]


class AppUserAssignment(models.Model):
    """A user assigned to an app directly (Okta's AppUser with `scope: USER`)."""

    app = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="user_assignments", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="app_assignments")
    created = models.DateTimeField(auto_now_add=True)
    last_updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["app", "user"], name="clients_app_user_unique")]


class CredentialStatus(models.TextChoices):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


def new_secret_id() -> str:
    return new_id("ocs")


def new_key_id() -> str:
    return new_id("pks")


class ClientSecret(models.Model):
    """One of an app's client secrets (Okta's OAuth2ClientSecret): at most two, stored only hashed.
    The ACTIVE ones' hashes are copied onto `Application.client_secret`, which is what authenticates."""

    public_id = models.CharField(max_length=20, unique=True, default=new_secret_id, editable=False)
    app = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="secrets")
    status = models.CharField(max_length=8, choices=CredentialStatus.choices, default=CredentialStatus.ACTIVE)
    hashed = models.CharField(max_length=255)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created", "id"]

    @property
    def is_active(self) -> bool:
        return self.status == CredentialStatus.ACTIVE

    @property
    def secret_hash(self) -> str:
        """Okta's `secret_hash`: a short name for the secret, taken from its stored salted hash (so it
        tells nothing the row does not), the same for a secret migrated from before this table."""
        digest = self.hashed.rsplit("$", 1)[-1]
        return base64.urlsafe_b64encode(hashlib.sha256(digest.encode()).digest()[:16]).rstrip(b"=").decode()


class ClientJsonWebKey(models.Model):
    """A public key an app signs its private_key_jwt assertions with (Okta's OAuth2ClientJsonWebKey).
    `jwk` holds only public members (core/publickeys.py refuses the rest) and always a `kid`."""

    public_id = models.CharField(max_length=20, unique=True, default=new_key_id, editable=False)
    app = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="json_web_keys")
    kid = models.CharField(max_length=255)
    status = models.CharField(max_length=8, choices=CredentialStatus.choices, default=CredentialStatus.ACTIVE)
    jwk = models.JSONField()
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created", "id"]
        constraints = [models.UniqueConstraint(fields=["app", "kid"], name="clients_jwk_unique_kid_per_app")]

    @property
    def is_active(self) -> bool:
        return self.status == CredentialStatus.ACTIVE

    @property
    def thumbprint(self) -> str:
        return publickeys.thumbprint(self.jwk)
