"""The `/api/v1/apps` JSON: request serializers that check shapes and types, and the mapping onto
validate_app()'s flat keys, so the per-type rules stay in clients/validation.py alone.

The response serializers render the app JSON itself, so the OpenAPI document is the response.
"""

from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import publickeys
from core.api.fields import (
    BlankAsNullCharField,
    ConstantField,
    IsoDateTimeField,
    LinkField,
    ResponseSerializer,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictIntegerField,
    StrictListField,
)

from .models import GRANT_AUTHORIZATION_CODE, GRANT_CLIENT_CREDENTIALS, GRANT_DEVICE_CODE, GRANT_TYPES
from .validation import ALLOWED_GRANTS, APP_TYPES, AUTH_METHODS, CONSENT_METHODS, ROTATION_TYPES

# validate_app() field -> where it lives in Okta's app JSON (for E0000001 causes).
FIELD_PATHS = {
    "label": "label",
    "application_type": "settings.oauthClient.application_type",
    "grant_types": "settings.oauthClient.grant_types",
    "redirect_uris": "settings.oauthClient.redirect_uris",
    "post_logout_redirect_uris": "settings.oauthClient.post_logout_redirect_uris",
    "trusted_origins": "settings.oauthClient.trusted_origins",
    "initiate_login_uri": "settings.oauthClient.initiate_login_uri",
    "consent_method": "settings.oauthClient.consent_method",
    "dpop_bound_access_tokens": "settings.oauthClient.dpop_bound_access_tokens",
    "rotation_type": "settings.oauthClient.refresh_token.rotation_type",
    "leeway": "settings.oauthClient.refresh_token.leeway",
    "token_endpoint_auth_method": "credentials.oauthClient.token_endpoint_auth_method",
    "pkce_required": "credentials.oauthClient.pkce_required",
    "client_id": "credentials.oauthClient.client_id",
    "client_secret": "credentials.oauthClient.client_secret",
    "jwks": "settings.oauthClient.jwks",
    "jwks_uri": "settings.oauthClient.jwks_uri",
}


# Rules validate_app() enforces on single fields, declared in the document (DeclaredRules): the
# serializers keep DRF's checks of shape and type only, so the messages stay validate_app()'s.
# A URI is declared as http(s) with a host and no fragment, user info or spaces: a subset of what
# validate_app() takes (native apps may also use custom schemes), never more.
PORT = r"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"  # 0–65535
URI = rf"^https?://[A-Za-z0-9.-]+(:{PORT})?(/[A-Za-z0-9._~%!$&'()*+,;=:/?-]*)?$"
HTTPS_URI = URI.replace("https?", "https", 1)
NON_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"  # a character that is neither whitespace nor NUL
CLIENT_ID = r"^[A-Za-z0-9._-]{6,100}$"
CLIENT_SECRET = r"^[ -~]{14,100}$"  # printable ASCII


def okta_paths(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    return {FIELD_PATHS.get(field, field): messages for field, messages in errors.items()}


class RefreshTokenSettingsSerializer(serializers.Serializer):
    rotation_type = StrictChoiceField(choices=ROTATION_TYPES)
    leeway = StrictIntegerField(required=False, min_value=0, max_value=60)


class JwkField(serializers.DictField):
    """One public JWK as sent. Its members are checked by core/publickeys.py (through validate_app() or
    clients/credentials.py), which refuses private ones such as `d`; a serializer would drop them silently."""


class JwkFieldSchema(OpenApiSerializerFieldExtension):
    target_class = JwkField

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "object",
            "description": "A public signing key (RFC 7517): RSA (n, e), EC (crv, x, y) or OKP (crv, x); "
            "private members such as `d` are refused.",
            "required": ["kty"],
            "properties": {
                "kty": {"enum": ["RSA", "EC", "OKP"]},
                "kid": {"type": "string", "minLength": 1, "maxLength": 255},
                "use": {"enum": ["sig"]},
                "alg": {"enum": publickeys.SIGNING_ALGS},
                **{name: {"type": "string", "minLength": 1} for name in ("n", "e", "crv", "x", "y")},
            },
        }


class JwksSerializer(serializers.Serializer):
    keys = StrictListField(child=JwkField())


class OAuthClientSettingsSerializer(serializers.Serializer):
    application_type = StrictChoiceField(choices=APP_TYPES)
    grant_types = StrictListField(child=StrictChoiceField(choices=GRANT_TYPES), allow_empty=False)
    response_types = StrictListField(
        child=StrictChoiceField(choices=["code", "token", "id_token"]), required=False, allow_null=True
    )
    redirect_uris = StrictListField(
        child=StrictCharField(max_length=1024, schema={"minLength": 1, "pattern": URI}),
        required=False,
        allow_null=True,
        schema={"description": "At least one when grant_types has authorization_code."},
    )
    post_logout_redirect_uris = StrictListField(
        child=StrictCharField(max_length=1024, schema={"minLength": 1, "pattern": URI}), required=False, allow_null=True
    )
    initiate_login_uri = StrictCharField(max_length=1024, required=False, allow_null=True, schema={"pattern": URI})
    consent_method = StrictChoiceField(choices=CONSENT_METHODS, required=False, allow_null=True)
    refresh_token = RefreshTokenSettingsSerializer(required=False, allow_null=True)
    dpop_bound_access_tokens = StrictBooleanField(
        required=False, allow_null=True, help_text="Token requests must carry a DPoP proof (RFC 9449)."
    )
    client_uri = StrictCharField(max_length=1024, required=False, allow_null=True, help_text="Ignored.")
    logo_uri = StrictCharField(max_length=1024, required=False, allow_null=True, help_text="Ignored.")
    jwks = JwksSerializer(
        required=False,
        allow_null=True,
        help_text="The private_key_jwt keys; replaces the registered ones (credentials/jwks manages them one by one).",
    )
    jwks_uri = StrictCharField(
        max_length=1024,
        required=False,
        allow_null=True,
        schema={"pattern": HTTPS_URI, "description": "Where private_key_jwt keys are fetched (https)."},
    )


class AppSettingsSerializer(serializers.Serializer):
    oauthClient = OAuthClientSettingsSerializer()


class OAuthClientCredentialsSerializer(serializers.Serializer):
    client_id = StrictCharField(
        max_length=100, required=False, allow_null=True, schema={"minLength": 6, "pattern": CLIENT_ID}
    )
    client_secret = StrictCharField(
        max_length=100,
        required=False,
        allow_null=True,
        write_only=True,
        schema={"minLength": 14, "pattern": CLIENT_SECRET, "description": "Not for public clients (`none`)."},
    )
    token_endpoint_auth_method = StrictChoiceField(choices=AUTH_METHODS, required=False, allow_null=True)
    pkce_required = StrictBooleanField(required=False, allow_null=True)
    autoKeyRotation = StrictBooleanField(required=False, allow_null=True, help_text="Ignored.")


class AppCredentialsSerializer(serializers.Serializer):
    oauthClient = OAuthClientCredentialsSerializer(required=False, allow_null=True)


class AppRequestSerializer(serializers.Serializer):
    """An OIDC app as POSTed or PUT; fields Okta sends that Rotor does not use are ignored."""

    name = StrictChoiceField(choices=["oidc_client"])
    label = StrictCharField(max_length=100, schema={"minLength": 1, "pattern": NON_BLANK})
    signOnMode = StrictChoiceField(choices=["OPENID_CONNECT"])
    credentials = AppCredentialsSerializer(required=False, allow_null=True)
    settings = AppSettingsSerializer()

    def to_app_data(self) -> dict:
        """The validated request in validate_app()'s flat form; fields not sent stay out."""
        data = self.validated_data
        client = data["settings"]["oauthClient"]
        credentials = (data.get("credentials") or {}).get("oauthClient") or {}
        flat = {"label": data["label"]}
        for key in (
            "application_type",
            "grant_types",
            "redirect_uris",
            "post_logout_redirect_uris",
            "initiate_login_uri",
            "consent_method",
            "dpop_bound_access_tokens",
            "jwks_uri",
        ):
            if client.get(key) is not None:
                flat[key] = client[key]
        if client.get("jwks") is not None:
            flat["jwks"] = client["jwks"]["keys"]
        refresh = client.get("refresh_token")
        if refresh:
            flat["rotation_type"] = refresh["rotation_type"]
            if "leeway" in refresh:
                flat["leeway"] = refresh["leeway"]
        for key in ("client_id", "client_secret", "token_endpoint_auth_method", "pkce_required"):
            if credentials.get(key) is not None:
                flat[key] = credentials[key]
        return flat


def _type_rules(app_type: str) -> dict:
    """validate_app()'s rules for one application type, as a schema over the whole request: its
    grants (one that signs in, for the types that need it), redirect URIs where a grant needs
    them, and how it authenticates. Declared conservatively: all it allows is accepted."""
    allowed = ALLOWED_GRANTS[app_type]
    needs_one_of = {
        "web": [GRANT_AUTHORIZATION_CODE],
        "browser": [GRANT_AUTHORIZATION_CODE],
        "native": [GRANT_AUTHORIZATION_CODE, GRANT_DEVICE_CODE],
        "service": [GRANT_CLIENT_CREDENTIALS],
    }[app_type]
    grants = {"type": "array", "items": {"enum": allowed}}
    others = [grant for grant in allowed if grant not in needs_one_of]
    if others:
        grants["not"] = {"items": {"enum": others}}  # not only grants that sign nobody in
    client = {"properties": {"application_type": {"enum": [app_type]}, "grant_types": grants}}
    if app_type != "service":
        client["properties"]["redirect_uris"] = {"type": "array", "minItems": 1}
        client["required"] = ["redirect_uris"]
    if app_type in ("browser", "native"):  # public clients by default: PKCE, no secret, rotation (RFC 9700)
        client["properties"]["refresh_token"] = {"properties": {"rotation_type": {"enum": ["ROTATE"]}}}
        credentials = {
            "properties": {"token_endpoint_auth_method": {"enum": ["none"]}, "pkce_required": {"enum": [True]}},
            "not": {"required": ["client_secret"]},
        }
    else:
        credentials = {
            "properties": {
                "token_endpoint_auth_method": {"enum": ["client_secret_basic", "client_secret_post", "private_key_jwt"]}
            }
        }
    return {
        "properties": {
            "settings": {"properties": {"oauthClient": client}},
            "credentials": {"properties": {"oauthClient": credentials}},
        }
    }


class AppRequestSchema(OpenApiSerializerExtension):
    """The app request's per-type rules (clients/validation.py) beside its fields, as `oneOf`."""

    target_class = AppRequestSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        schema["oneOf"] = [_type_rules(app_type) for app_type in APP_TYPES]
        schema["description"] = (
            "The rules for each application_type are in `oneOf`; an id already taken, or a change of "
            "application_type or client_id on PUT, is refused (E0000001) though no schema can say so. "
            "So is `private_key_jwt` without keys (`settings.oauthClient.jwks` or already registered) or "
            "`jwks_uri`, with both, or with a `client_secret`; a key whose numbers form no public key; "
            "and a `jwks_uri` on this machine (loopback)."
        )
        return schema


# Responses: these serializers render the app JSON (SPEC §5) for the API and `createclient`.


class NewClientSecretField(serializers.CharField):
    """The secret just made, from the context; absent otherwise, as Okta never shows it again."""

    def __init__(self, **kwargs):
        kwargs.update(source="*", required=False, help_text="Only in the responses that create or regenerate it.")
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        secret = self.context.get("client_secret")
        if secret is None:
            raise serializers.SkipField()
        return secret


class OAuthClientCredentialsOutSerializer(ResponseSerializer):
    client_id = serializers.CharField()
    token_endpoint_auth_method = serializers.ChoiceField(choices=AUTH_METHODS)
    pkce_required = serializers.BooleanField()
    autoKeyRotation = ConstantField(True)
    client_secret = NewClientSecretField()


class AppCredentialsOutSerializer(ResponseSerializer):
    userNameTemplate = ConstantField({"template": "${source.login}", "type": "BUILT_IN"})
    signing = ConstantField({})
    oauthClient = OAuthClientCredentialsOutSerializer(source="*")


class RefreshTokenSettingsOutSerializer(ResponseSerializer):
    rotation_type = serializers.ChoiceField(choices=ROTATION_TYPES)
    leeway = serializers.IntegerField(min_value=0, max_value=60)

    def __init__(self, **kwargs):
        kwargs.update(source="*", required=False, help_text="Present only when grant_types has refresh_token.")
        super().__init__(**kwargs)

    def get_attribute(self, app):
        if not app.issues_refresh_tokens:
            raise serializers.SkipField()  # Okta omits the settings of a grant that is off
        return app


class ActiveJwksField(serializers.Field):
    """`{"keys": [...]}`: the app's ACTIVE public keys (from the app row); absent when it has none."""

    def __init__(self, **kwargs):
        kwargs.update(source="active_jwks", required=False, help_text="The ACTIVE private_key_jwt keys, if any.")
        super().__init__(**kwargs)

    def get_attribute(self, app):
        if not app.active_jwks:
            raise serializers.SkipField()
        return app.active_jwks

    def to_representation(self, keys):
        return {"keys": [dict(key) for key in keys]}


class ActiveJwksFieldSchema(OpenApiSerializerFieldExtension):
    target_class = ActiveJwksField

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "object",
            "required": ["keys"],
            "properties": {"keys": {"type": "array", "items": {"type": "object", "required": ["kty", "kid"]}}},
        }


class SkipBlankCharField(serializers.CharField):
    """A string member Okta leaves out while it is empty."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        value = super().get_attribute(instance)
        if not value:
            raise serializers.SkipField()
        return value


class OAuthClientSettingsOutSerializer(ResponseSerializer):
    client_uri = ConstantField(None)
    logo_uri = ConstantField(None)
    redirect_uris = serializers.ListField(child=serializers.CharField(), source="redirect_uri_list")
    post_logout_redirect_uris = serializers.ListField(
        child=serializers.CharField(), source="post_logout_redirect_uri_list"
    )
    response_types = serializers.ListField(child=serializers.CharField())
    grant_types = serializers.ListField(child=serializers.ChoiceField(choices=GRANT_TYPES))
    application_type = serializers.ChoiceField(choices=APP_TYPES)
    consent_method = serializers.ChoiceField(choices=CONSENT_METHODS)
    issuer_mode = ConstantField("ORG_URL")
    initiate_login_uri = BlankAsNullCharField()
    dpop_bound_access_tokens = serializers.BooleanField()
    refresh_token = RefreshTokenSettingsOutSerializer()
    jwks = ActiveJwksField()
    jwks_uri = SkipBlankCharField()


class AppSettingsOutSerializer(ResponseSerializer):
    app = ConstantField({})
    notifications = ConstantField({})
    oauthClient = OAuthClientSettingsOutSerializer(source="*")


APP_PATH = "/api/v1/apps/{o.public_id}"


class AppLinksSerializer(ResponseSerializer):
    self = LinkField(APP_PATH)
    appLinks = ConstantField([])
    activate = LinkField(APP_PATH + "/lifecycle/activate", when=lambda app: not app.is_active)
    deactivate = LinkField(APP_PATH + "/lifecycle/deactivate", when=lambda app: app.is_active)


class AppSerializer(ResponseSerializer):
    """An OIDC app as Okta returns it."""

    # context={"client_secret": secret} when a secret was just made: the one response that shows it

    id = serializers.CharField(source="public_id")
    name = ConstantField("oidc_client")
    label = serializers.CharField(source="name")
    status = serializers.ChoiceField(choices=["ACTIVE", "INACTIVE"])
    created = IsoDateTimeField()
    lastUpdated = IsoDateTimeField(source="updated")
    signOnMode = ConstantField("OPENID_CONNECT")
    accessibility = ConstantField({"selfService": False, "errorRedirectUrl": None, "loginRedirectUrl": None})
    visibility = ConstantField({"autoSubmitToolbar": False, "hide": {"iOS": True, "web": True}})
    features = ConstantField([])
    credentials = AppCredentialsOutSerializer(source="*")
    settings = AppSettingsOutSerializer(source="*")
    _links = AppLinksSerializer(source="*")


SECRET_PATH = APP_PATH.replace("{o.", "{o.app.") + "/credentials/secrets/{o.public_id}"
KEY_PATH = APP_PATH.replace("{o.", "{o.app.") + "/credentials/jwks/{o.public_id}"
POST, DELETE = {"hints": {"allow": ["POST"]}}, {"hints": {"allow": ["DELETE"]}}


def _lifecycle_links(path: str) -> type:
    class Links(ResponseSerializer):
        activate = LinkField(path + "/lifecycle/activate", extra=POST, when=lambda o: not o.is_active)
        deactivate = LinkField(path + "/lifecycle/deactivate", extra=POST, when=lambda o: o.is_active)
        delete = LinkField(path, extra=DELETE, when=lambda o: not o.is_active)

    return Links


SecretLinksSerializer = _lifecycle_links(SECRET_PATH)
KeyLinksSerializer = _lifecycle_links(KEY_PATH)


class ClientSecretSerializer(ResponseSerializer):
    """One client secret (Okta's OAuth2ClientSecret); `client_secret` only in the response that created it."""

    # context={"client_secret": value} in the creating response

    id = serializers.CharField(source="public_id")
    status = serializers.ChoiceField(choices=["ACTIVE", "INACTIVE"])
    client_secret = NewClientSecretField()
    secret_hash = serializers.CharField()
    created = IsoDateTimeField()
    lastUpdated = IsoDateTimeField(source="updated")
    _links = SecretLinksSerializer(source="*")


class ClientSecretRequestSerializer(serializers.Serializer):
    """Okta's OAuth2ClientSecretRequestBody: bring your own secret, or get a generated one."""

    client_secret = StrictCharField(
        max_length=100, required=False, allow_null=True, schema={"minLength": 14, "pattern": CLIENT_SECRET}
    )
    status = StrictChoiceField(choices=["ACTIVE", "INACTIVE"], required=False, allow_null=True)


class JwkMemberField(serializers.CharField):
    """A member of the key's JWK, left out when the key has none (an RSA key has no `crv`)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def get_attribute(self, key):
        value = key.jwk.get(self.field_name)
        if value is None:
            raise serializers.SkipField()
        return value


class ClientJsonWebKeySerializer(ResponseSerializer):
    """One public key (Okta's OAuth2ClientJsonWebKey signing-key response)."""

    id = serializers.CharField(source="public_id")
    kid = serializers.CharField()
    status = serializers.ChoiceField(choices=["ACTIVE", "INACTIVE"])
    created = IsoDateTimeField()
    lastUpdated = IsoDateTimeField(source="updated")
    kty = JwkMemberField()
    alg = JwkMemberField()
    use = ConstantField("sig")
    e = JwkMemberField()
    n = JwkMemberField()
    crv = JwkMemberField()
    x = JwkMemberField()
    y = JwkMemberField()
    _links = KeyLinksSerializer(source="*")


class JwkRequestSerializer(serializers.Serializer):
    """Okta's AddJwkRequest, checked for shape; core/publickeys.py checks the key (and refuses private parts)."""

    kty = StrictChoiceField(choices=["RSA", "EC", "OKP"])
    kid = StrictCharField(max_length=255, required=False, allow_null=True, schema={"minLength": 1})
    status = StrictChoiceField(choices=["ACTIVE", "INACTIVE"], required=False, allow_null=True)
    use = StrictChoiceField(choices=["sig"], required=False, allow_null=True)
    alg = StrictChoiceField(choices=publickeys.SIGNING_ALGS, required=False, allow_null=True)
    e = StrictCharField(max_length=4096, required=False, schema={"minLength": 1})
    n = StrictCharField(max_length=4096, required=False, schema={"minLength": 1})
    crv = StrictCharField(max_length=16, required=False, schema={"minLength": 1})
    x = StrictCharField(max_length=512, required=False, schema={"minLength": 1})
    y = StrictCharField(max_length=512, required=False, schema={"minLength": 1})


# App assignments (`/api/v1/apps/{appId}/groups`, `/api/v1/apps/{appId}/users`) -------------------------


class GroupAssignmentRequestSerializer(serializers.Serializer):
    """PUT /apps/{appId}/groups/{groupId}: an optional body; only `priority` means anything here."""

    priority = StrictIntegerField(required=False, allow_null=True, min_value=0, max_value=100000)
    profile = serializers.DictField(required=False, allow_null=True)


class AssignmentLinksSerializer(ResponseSerializer):
    app = LinkField("/api/v1/apps/{o.app.public_id}")
    self = LinkField("/api/v1/apps/{o.app.public_id}/groups/{o.group.public_id}")
    group = LinkField("/api/v1/groups/{o.group.public_id}")


class AppGroupAssignmentSerializer(ResponseSerializer):
    """Okta's ApplicationGroupAssignment: the group's id, the priority and links."""

    id = serializers.CharField(source="group.public_id")
    lastUpdated = IsoDateTimeField(source="last_updated")
    priority = serializers.IntegerField()
    profile = ConstantField({})
    _links = AssignmentLinksSerializer(source="*")


class AppUserRequestSerializer(serializers.Serializer):
    """POST /apps/{appId}/users: `{"id": userId}`; a `scope` other than USER is refused (groups assign
    themselves through /apps/{appId}/groups)."""

    id = StrictCharField(max_length=150, schema={"minLength": 1})
    scope = StrictChoiceField(choices=["USER"], required=False, allow_null=True)
    credentials = serializers.DictField(required=False, allow_null=True)
    profile = serializers.DictField(required=False, allow_null=True)


class AppUserLinksSerializer(ResponseSerializer):
    app = LinkField("/api/v1/apps/{context[app].public_id}")
    user = LinkField("/api/v1/users/{o.uid}")


class AppUserCredentialsSerializer(ResponseSerializer):
    userName = serializers.CharField(source="username")


class AppUserSerializer(ResponseSerializer):
    """Okta's AppUser for an OIDC app: a user who may sign in to it, `scope` USER when assigned
    directly, GROUP when only through a group. Rendered from the User, with `is_direct` and
    `assigned_at` (the direct assignment's time, else the user's creation) annotated."""

    id = serializers.CharField(source="uid")
    externalId = ConstantField(None)
    created = IsoDateTimeField(source="assigned_at")
    lastUpdated = IsoDateTimeField(source="assigned_at")
    scope = serializers.SerializerMethodField()
    status = ConstantField("ACTIVE")
    statusChanged = IsoDateTimeField(source="assigned_at")
    passwordChanged = ConstantField(None)
    syncState = ConstantField("DISABLED")
    credentials = AppUserCredentialsSerializer(source="*")
    profile = ConstantField({})
    _links = AppUserLinksSerializer(source="*")

    @extend_schema_field({"type": "string", "enum": ["USER", "GROUP"]})
    def get_scope(self, user) -> str:
        return "USER" if user.is_direct else "GROUP"
