"""`/api/v1/users` JSON: the create request (profile and password) and the Okta user shape."""

from django.contrib.auth import password_validation
from rest_framework import serializers

from core.api.fields import (
    BlankAsNullCharField,
    ConstantField,
    IsoDateTimeField,
    LinkField,
    ResponseSerializer,
    StrictCharField,
)

# create_user()'s field -> Okta's JSON path (for E0000001 causes).
FIELD_PATHS = {"username": "profile.login", "email": "profile.email", "password": "credentials.password.value"}


# create_user()'s rules on single fields, declared (DeclaredRules) but checked by the service.
NON_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"  # a character that is neither whitespace nor NUL


def _password_min_length() -> int:
    """The configured MinimumLengthValidator's length (0 without one), for the document."""
    lengths = [getattr(v, "min_length", 0) for v in password_validation.get_default_password_validators()]
    return max(lengths, default=0)


class ProfileSerializer(serializers.Serializer):
    login = StrictCharField(max_length=150, schema={"minLength": 1, "pattern": NON_BLANK})
    email = serializers.EmailField(max_length=254)
    firstName = StrictCharField(max_length=150, required=False, allow_null=True)
    lastName = StrictCharField(max_length=150, required=False, allow_null=True)

    def to_internal_value(self, data):
        if isinstance(data, dict) and "email" in data and not isinstance(data["email"], str):
            raise serializers.ValidationError({"email": ["Must be a string."]})
        return super().to_internal_value(data)


class PasswordSerializer(serializers.Serializer):
    value = StrictCharField(
        max_length=128,
        write_only=True,
        schema={"minLength": _password_min_length(), "description": "Checked against the password validators."},
    )


class UserCredentialsSerializer(serializers.Serializer):
    password = PasswordSerializer(required=False, allow_null=True)


class UserRequestSerializer(serializers.Serializer):
    profile = ProfileSerializer()
    credentials = UserCredentialsSerializer(required=False, allow_null=True)

    def to_user_data(self) -> dict:
        profile = self.validated_data["profile"]
        password = ((self.validated_data.get("credentials") or {}).get("password") or {}).get("value")
        return {
            "username": profile["login"],
            "email": profile["email"],
            "first_name": profile.get("firstName") or "",
            "last_name": profile.get("lastName") or "",
            "password": password or None,
        }


# Responses: these serializers render the user JSON (never a password or its hash).

USER_PATH = "/api/v1/users/{o.uid}"


class ProfileOutSerializer(ResponseSerializer):
    firstName = BlankAsNullCharField(source="first_name")
    lastName = BlankAsNullCharField(source="last_name")
    mobilePhone = ConstantField(None)
    secondEmail = ConstantField(None)
    login = serializers.CharField(source="username")
    email = BlankAsNullCharField()


class UserLinksSerializer(ResponseSerializer):
    self = LinkField(USER_PATH)
    deactivate = LinkField(USER_PATH + "/lifecycle/deactivate", extra={"method": "POST"}, when=lambda u: u.is_active)


class ActivatedField(IsoDateTimeField):
    """When the user was activated: Rotor activates on creation, so `date_joined` while active."""

    def __init__(self, **kwargs):
        kwargs.update(source="*", allow_null=True)
        super().__init__(**kwargs)

    def to_representation(self, user):
        return super().to_representation(user.date_joined) if user.is_active else None


class UserSerializer(ResponseSerializer):
    """A user as Okta's Users API returns one."""

    id = serializers.CharField(source="uid")
    status = serializers.ChoiceField(choices=["ACTIVE", "DEPROVISIONED"])
    created = IsoDateTimeField(source="date_joined")
    activated = ActivatedField()
    statusChanged = ConstantField(None)
    lastLogin = IsoDateTimeField(source="last_login", allow_null=True)
    lastUpdated = IsoDateTimeField(source="date_joined")
    passwordChanged = ConstantField(None)
    type = ConstantField({"id": "oty00000000000000000"})
    profile = ProfileOutSerializer(source="*")
    credentials = ConstantField({"provider": {"type": "OKTA", "name": "OKTA"}})
    _links = UserLinksSerializer(source="*")


# Groups (`/api/v1/groups`) ---------------------------------------------------------------------------

GROUP_PATH = "/api/v1/groups/{o.public_id}"


class GroupProfileRequestSerializer(serializers.Serializer):
    name = StrictCharField(max_length=255, schema={"minLength": 1, "pattern": NON_BLANK})
    description = StrictCharField(max_length=1024, required=False, allow_null=True)


class GroupRequestSerializer(serializers.Serializer):
    """Okta's create/replace body: `{"profile": {"name", "description"}}`."""

    profile = GroupProfileRequestSerializer()

    def to_group_data(self) -> dict:
        profile = self.validated_data["profile"]
        return {"name": profile["name"], "description": profile.get("description") or ""}


class GroupProfileSerializer(ResponseSerializer):
    name = serializers.CharField()
    description = BlankAsNullCharField()


class GroupLinksSerializer(ResponseSerializer):
    self = LinkField(GROUP_PATH)
    users = LinkField(GROUP_PATH + "/users")
    apps = LinkField(GROUP_PATH + "/apps")


class GroupSerializer(ResponseSerializer):
    """A group as Okta's Groups API returns one."""

    id = serializers.CharField(source="public_id")
    created = IsoDateTimeField()
    lastUpdated = IsoDateTimeField(source="last_updated")
    lastMembershipUpdated = IsoDateTimeField(source="last_membership_updated", allow_null=True)
    objectClass = ConstantField(["okta:user_group"])
    type = serializers.ChoiceField(choices=["BUILT_IN", "OKTA_GROUP"])
    profile = GroupProfileSerializer(source="*")
    _links = GroupLinksSerializer(source="*")
