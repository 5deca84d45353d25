"""`/api/v1/users` JSON: the create request (profile and password) and the Okta user shape."""

from django.conf import settings
from rest_framework import serializers

from core.api.fields import StrictCharField
from core.isotime import iso

from .models import User

# create_user()'s field -> Okta's JSON path (for E0000001 causes).
FIELD_PATHS = {"username": "profile.login", "email": "profile.email", "password": "credentials.password.value"}


class ProfileSerializer(serializers.Serializer):
    login = StrictCharField(max_length=150)
    email = serializers.EmailField(max_length=254)
    firstName = StrictCharField(max_length=150, required=False, allow_null=True)
    lastName = StrictCharField(max_length=150, required=False, allow_null=True)

    def to_internal_value(self, data):
        if isinstance(data, dict) and "email" in data and not isinstance(data["email"], str):
            raise serializers.ValidationError({"email": ["Must be a string."]})
        return super().to_internal_value(data)


class PasswordSerializer(serializers.Serializer):
    value = StrictCharField(max_length=128, write_only=True)


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


def user_json(user: User) -> dict:
    """A user as Okta's Users API returns one; never a password or its hash."""
    base = f"{settings.ROTOR_ISSUER}/api/v1/users/{user.uid}"
    links = {"self": {"href": base}}
    if user.is_active:
        links["deactivate"] = {"href": f"{base}/lifecycle/deactivate", "method": "POST"}
    return {
        "id": user.uid,
        "status": user.status,
        "created": iso(user.date_joined),
        "activated": iso(user.date_joined) if user.is_active else None,
        "statusChanged": None,
        "lastLogin": iso(user.last_login),
        "lastUpdated": iso(user.date_joined),
        "passwordChanged": None,
        "type": {"id": "oty00000000000000000"},
        "profile": {
            "firstName": user.first_name or None,
            "lastName": user.last_name or None,
            "mobilePhone": None,
            "secondEmail": None,
            "login": user.username,
            "email": user.email or None,
        },
        "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}},
        "_links": links,
    }


class ProfileOutSerializer(serializers.Serializer):
    firstName = serializers.CharField(allow_null=True)
    lastName = serializers.CharField(allow_null=True)
    mobilePhone = serializers.CharField(allow_null=True)
    secondEmail = serializers.CharField(allow_null=True)
    login = serializers.CharField()
    email = serializers.CharField(allow_null=True)


class UserSerializer(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.ChoiceField(choices=["ACTIVE", "DEPROVISIONED"])
    created = serializers.CharField()
    activated = serializers.CharField(allow_null=True)
    statusChanged = serializers.CharField(allow_null=True)
    lastLogin = serializers.CharField(allow_null=True)
    lastUpdated = serializers.CharField()
    passwordChanged = serializers.CharField(allow_null=True)
    type = serializers.DictField()
    profile = ProfileOutSerializer()
    credentials = serializers.DictField()
    _links = serializers.DictField()
