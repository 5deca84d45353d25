"""An app's client secrets (at most two, Okta's OAuth2ClientSecret) and public keys (private_key_jwt,
Okta's OAuth2ClientJsonWebKey): the one path the API, the console and the app services go through.

The rows are what the API and the console list; what authenticates is the app row itself, which
holds the ACTIVE secrets' hashes in `client_secret` and the ACTIVE keys in `active_jwks`. `_sync()`
rewrites both in the same transaction as every change, and moves `updated` with them, so:

- a token request still reads one row (the refresh path's join, or the client cache), and
- the client cache's confirmation (`updated`, `status`, `client_secret` unchanged,
  tokens/lifecycle/postgres.py) fails after any credential change, so a deactivated secret or key
  is refused at the next request on every worker and node.

Each change takes the app row's lock first, so two requests cannot both add a second secret.
Events are Okta's `app.oauth2.credentials.lifecycle.*`; they name the credential, never its value.
"""

import secrets as random
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from core import publickeys
from core.systemlog import recording, types
from core.systemlog.audit import SYSTEM, Audit

from .hashers import hash_secret, verifier
from .models import Application, ClientJsonWebKey, ClientSecret, CredentialStatus
from .validation import AppValidationError

MAX_SECRETS = 2  # Okta: "You can create up to two Secret objects"
MAX_KEYS = 20  # a bound on what every assertion check scans; far more than a rotation needs
ACTIVE, INACTIVE = CredentialStatus.ACTIVE, CredentialStatus.INACTIVE


def new_client_secret() -> str:
    return random.token_urlsafe(36)  # 48 characters, 288 random bits


def _refuse(field: str, message: str):
    raise AppValidationError({field: [message]})


def lock(app: Application) -> None:
    """Lock the app's row until the transaction ends (callers are inside transaction.atomic()) and
    reload what the rules below read, so concurrent changes are decided one after the other."""
    Application.objects.select_for_update().filter(pk=app.pk).values_list("pk", flat=True).get()
    app.refresh_from_db(fields=["name", "token_endpoint_auth_method", "jwks_uri"])


def sync(app: Application) -> None:
    """Copy the ACTIVE secrets and keys onto the app row and move `updated` (see the module docstring)."""
    hashes = list(app.secrets.filter(status=ACTIVE).order_by("created", "id").values_list("hashed", flat=True))
    jwks = list(app.json_web_keys.filter(status=ACTIVE).order_by("created", "id").values_list("jwk", flat=True))
    app.client_secret, app.active_jwks, app.updated = verifier(hashes), jwks, timezone.now()
    Application.objects.filter(pk=app.pk).update(
        client_secret=app.client_secret, active_jwks=app.active_jwks, updated=app.updated
    )


def _log(action: str, message: str, app: Application, target: dict, audit: Audit) -> None:
    recording.record(
        types.credentials_lifecycle(action),
        message,
        audit=audit,
        actor=recording.actor_ref(audit.user),
        targets=[recording.app_ref(app), target],
        app=app,
    )


def _secret_ref(secret: ClientSecret) -> dict:
    return {"id": secret.public_id, "type": "ClientSecret", "alternateId": secret.secret_hash, "displayName": "Secret"}


def _key_ref(key: ClientJsonWebKey) -> dict:
    return {"id": key.public_id, "type": "JsonWebKey", "alternateId": key.kid, "displayName": "Public key"}


# Secrets ----------------------------------------------------------------------------------------------


def add_secret_row(app: Application, value: str, *, status: str = ACTIVE) -> ClientSecret:
    """A secret row for an app being created or switched to a secret (clients/services.py, in its transaction)."""
    return ClientSecret.objects.create(app=app, hashed=hash_secret(value), status=status)


def create_secret(
    app: Application, *, value: str | None = None, status: str = ACTIVE, audit: Audit = SYSTEM
) -> tuple[ClientSecret, str]:
    """A new secret (`value`, or a generated one) beside the app's current one; returns it with its
    plaintext, shown once. Refused for a public client and when the app already has two."""
    if app.is_public:
        _refuse("client_secret", "A public client (authentication 'none') has no secret.")
    if value is not None and (not 14 <= len(value) <= 100 or not value.isascii() or not value.isprintable()):
        _refuse("client_secret", "A client secret must be 14 to 100 printable ASCII characters.")
    value = value or new_client_secret()
    with transaction.atomic():
        lock(app)
        if app.secrets.count() >= MAX_SECRETS:
            _refuse(
                "client_secret",
                f"An app can have at most {MAX_SECRETS} client secrets. Deactivate and delete one first.",
            )
        secret = add_secret_row(app, value, status=status)
        sync(app)
        _log("create", f"Created a client secret for '{app.name}'", app, _secret_ref(secret), audit)
    return secret, value


# Keys -------------------------------------------------------------------------------------------------


def _key_row(app: Application, jwk: object, *, status: str = ACTIVE) -> ClientJsonWebKey:
    """Check `jwk` (core/publickeys.py) and add it; a key without `kid` is named by its thumbprint."""
    try:
        public = publickeys.parse_jwk(jwk)
    except publickeys.BadKey as exc:
        _refuse("jwks", str(exc))
    public.setdefault("kid", publickeys.thumbprint(public))
    existing = app.json_web_keys.all()
    if any(key.kid == public["kid"] for key in existing):
        _refuse("jwks", f"The app already has a key with kid '{public['kid']}'.")
    if any(key.thumbprint == publickeys.thumbprint(public) for key in existing):
        _refuse("jwks", "This key is already registered.")
    if len(existing) >= MAX_KEYS:
        _refuse("jwks", f"An app can have at most {MAX_KEYS} public keys.")
    try:
        with transaction.atomic():
            return ClientJsonWebKey.objects.create(app=app, kid=public["kid"], jwk=public, status=status)
    except IntegrityError:  # the same kid added by a concurrent request
        _refuse("jwks", f"The app already has a key with kid '{public['kid']}'.")


def _check_can_hold_keys(app: Application) -> None:
    if app.is_public:
        _refuse("jwks", "A public client (authentication 'none') has no keys.")
    if app.jwks_uri:
        _refuse("jwks", "This app's keys come from its JWKS URI; it cannot also register keys.")


def add_key(app: Application, jwk: object, *, status: str = ACTIVE, audit: Audit = SYSTEM) -> ClientJsonWebKey:
    """Register a public key (a JWK dict); refused with private parts, a taken kid, or a jwks_uri app."""
    with transaction.atomic():
        lock(app)
        _check_can_hold_keys(app)
        key = _key_row(app, jwk, status=status)
        sync(app)
        _log("create", f"Added a public key to '{app.name}'", app, _key_ref(key), audit)
    return key


def add_key_text(app: Application, text: str, *, audit: Audit = SYSTEM) -> ClientJsonWebKey:
    """The console's paste box: a JWK or a PEM public key."""
    try:
        jwk = publickeys.parse_text(text)
    except publickeys.BadKey as exc:
        _refuse("jwks", str(exc))
    return add_key(app, jwk, audit=audit)


def replace_keys(app: Application, jwks: list) -> None:
    """The app JSON's `settings.oauthClient.jwks.keys` on create or replace (clients/services.py, in its
    transaction): keys with a kid already registered keep their row and status, the rest are added
    ACTIVE, and keys not listed are removed."""
    kept = set()
    for jwk in jwks:
        kid = jwk.get("kid") if isinstance(jwk, dict) else None
        row = app.json_web_keys.filter(kid=kid).first() if kid else None
        if row is not None and row.jwk == publickeys.parse_jwk(jwk) | {"kid": kid}:
            kept.add(row.pk)
            continue
        if row is not None:
            row.delete()
        kept.add(_key_row(app, jwk).pk)
    app.json_web_keys.exclude(pk__in=kept).delete()


@dataclass(frozen=True)
class _Kind:
    """What a secret and a key differ in when they are activated, deactivated or deleted."""

    field: str  # the field a refusal names
    noun: str  # in the events' messages
    ref: Callable  # the event's target
    keeps_last: Callable[[Application], bool]  # the app authenticates with these: its last active one stays
    last_active: str  # the refusal to deactivate that last one
    delete_active: str  # the refusal to delete an active one


_KINDS = {
    ClientSecret: _Kind(
        field="client_secret",
        noun="client secret",
        ref=_secret_ref,
        keeps_last=lambda app: app.token_endpoint_auth_method.startswith("client_secret"),
        last_active="This is the app's only active client secret. Create another one first.",
        delete_active="Deactivate the client secret before deleting it.",
    ),
    ClientJsonWebKey: _Kind(
        field="jwks",
        noun="public key",
        ref=_key_ref,
        keeps_last=lambda app: app.token_endpoint_auth_method == "private_key_jwt" and not app.jwks_uri,
        last_active="This is the app's only active public key. Add another one first.",
        delete_active="Deactivate the key before deleting it.",
    ),
}


# Both ---------------------------------------------------------------------------------------------------


def set_status(
    app: Application, credential: ClientSecret | ClientJsonWebKey, status: str, *, audit: Audit = SYSTEM
) -> ClientSecret | ClientJsonWebKey:
    """Activate or deactivate a secret or key. The last active one of the kind the app authenticates
    with cannot be deactivated (Okta): the app would be locked out; add another first."""
    kind = _KINDS[type(credential)]
    with transaction.atomic():
        lock(app)
        credential.refresh_from_db()
        if credential.status == status:
            return credential
        active = type(credential).objects.filter(app=app, status=ACTIVE)
        if status == INACTIVE and kind.keeps_last(app) and active.count() <= 1:
            _refuse(kind.field, kind.last_active)
        credential.status = status
        credential.save(update_fields=["status", "updated"])
        sync(app)
        action = "activate" if status == ACTIVE else "deactivate"
        _log(action, f"{action.capitalize()}d a {kind.noun} of '{app.name}'", app, kind.ref(credential), audit)
    return credential


def delete(app: Application, credential: ClientSecret | ClientJsonWebKey, *, audit: Audit = SYSTEM) -> None:
    """Only an INACTIVE secret or key can be deleted (Okta): deactivating first is the moment it stops working."""
    kind = _KINDS[type(credential)]
    with transaction.atomic():
        lock(app)
        credential.refresh_from_db()
        if credential.is_active:
            _refuse(kind.field, kind.delete_active)
        _log("delete", f"Deleted a {kind.noun} of '{app.name}'", app, kind.ref(credential), audit)
        credential.delete()
        sync(app)
