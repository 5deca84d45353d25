"""Serializer fields of the management API.

Request fields take JSON types as sent: `"true"` is not a boolean, `20` is not a string. DRF's own
fields coerce; the management API must reject wrong types with E0000001 instead, so that what it
accepts is exactly what its OpenAPI document says. Response fields (constants and HAL links) let
the serializers render every body, so the document cannot drift from the JSON.
"""

from django.conf import settings
from django.utils.functional import cached_property
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from core.isotime import iso

# What StrictJSONParser refuses in every string, declared on every string field.
NO_NUL = "^[^\\x00]*$"


class DeclaredRules:
    """`schema=` adds to a field's OpenAPI schema the rules the server checks elsewhere (in
    clients/validation.py, accounts/services.py, the JSON parser) without changing how the field
    validates, so the error messages stay the services' own."""

    def __init__(self, *, schema: dict | None = None, **kwargs):
        self.schema_rules = schema or {}
        super().__init__(**kwargs)


class StrictCharField(DeclaredRules, serializers.CharField):
    default_error_messages = {"invalid": "Must be a string."}

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        kwargs.setdefault("allow_blank", True)
        kwargs["schema"] = {"pattern": NO_NUL, **kwargs.get("schema", {})}
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictChoiceField(DeclaredRules, serializers.ChoiceField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class StrictBooleanField(DeclaredRules, serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictIntegerField(DeclaredRules, serializers.IntegerField):
    default_error_messages = {"invalid": "Must be an integer."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictListField(DeclaredRules, serializers.ListField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 100)
        super().__init__(**kwargs)


class DeclaredRulesSchema(OpenApiSerializerFieldExtension):
    target_class = DeclaredRules
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if isinstance(self.target, serializers.ListField) and not self.target.allow_empty:
            schema["minItems"] = 1  # DRF's allow_empty=False, which drf-spectacular does not declare
        return {**schema, **self.target.schema_rules}


# Response fields: the serializers render every /api/v1 body, so the OpenAPI document and the
# JSON come from one declaration.


def _fresh(value):
    """A copy of a constant's containers, so one response's data never aliases another's."""
    if isinstance(value, dict):
        return {key: _fresh(item) if isinstance(item, dict | list) else item for key, item in value.items()}
    if isinstance(value, list):
        return [_fresh(item) for item in value]
    return value


def _schema_of(value) -> dict:
    """The OpenAPI schema of a JSON constant: its own type and, for scalars, the one value. A null
    is a nullable string (what Okta sends there when it has a value), not a one-value enum, which
    drf-spectacular's enum hook would turn into an empty component."""
    if value is None:
        return {"type": "string", "nullable": True, "description": "Always null in Rotor."}
    if isinstance(value, bool):
        return {"type": "boolean", "enum": [value]}
    if isinstance(value, int):
        return {"type": "integer", "enum": [value]}
    if isinstance(value, str):
        return {"type": "string", "enum": [value]}
    if isinstance(value, list):
        items = _schema_of(value[0]) if value else {}
        if "enum" in items and all(_schema_of(item).get("type") == items["type"] for item in value):
            items = {**items, "enum": list(dict.fromkeys(value))}  # ["GET", "PUT", "DELETE"]: any of them
        return {"type": "array", "items": items, "maxItems": len(value)}
    properties = {key: _schema_of(item) for key, item in value.items()}
    if not properties:
        return {"type": "object"}
    return {"type": "object", "properties": properties, "required": list(properties)}


class IsoDateTimeField(serializers.DateTimeField):
    """A time as Okta writes it everywhere (`2024-01-31T12:00:00.123Z`, core/isotime.py)."""

    def to_representation(self, value):
        return iso(value)


class BlankAsNullCharField(serializers.CharField):
    """A string that Okta sends as null when empty (the model stores "")."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return str(value) if value else None


class ConstantField(serializers.Field):
    """A member of Okta's shape that Rotor never varies (`"signOnMode": "OPENID_CONNECT"`,
    `"features": []`); documented as exactly that value."""

    def __init__(self, value, **kwargs):
        kwargs.setdefault("source", "*")
        super().__init__(**kwargs)
        self.value = value
        self.is_container = isinstance(value, dict | list)

    def get_attribute(self, instance):
        return instance  # nothing to look up, and DRF's lookup would cost every event of a page

    def to_representation(self, _):
        return _fresh(self.value) if self.is_container else self.value


class LinkField(serializers.Field):
    """A HAL link `{"href": ROTOR_ISSUER + path, ...}`. `path` is formatted with the object as `o`
    (`"/api/v1/apps/{o.public_id}"`) and the serializer's context as `context`; `title` is a
    callable of the object; `extra` is constant. `when` (a callable of the object) leaves the link
    out when false, as Okta omits a lifecycle link that does not apply."""

    def __init__(self, path: str, *, title=None, extra: dict | None = None, when=None, **kwargs):
        kwargs.setdefault("source", "*")
        if when is not None:
            kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.path, self.title, self.extra, self.when = path, title, extra or {}, when

    def get_attribute(self, instance):
        if self.when is not None and not self.when(instance):
            raise serializers.SkipField()
        return instance

    def to_representation(self, obj):
        link = {"href": settings.ROTOR_ISSUER + self.path.format(o=obj, context=self.context)}
        if self.title is not None:
            link["title"] = self.title(obj)
        link.update(_fresh(self.extra))
        return link


class ConstantFieldSchema(OpenApiSerializerFieldExtension):
    target_class = ConstantField

    def map_serializer_field(self, auto_schema, direction):
        return _schema_of(self.target.value)


class LinkFieldSchema(OpenApiSerializerFieldExtension):
    target_class = LinkField

    def map_serializer_field(self, auto_schema, direction):
        properties = {"href": {"type": "string", "format": "uri"}}
        if self.target.title is not None:
            properties["title"] = {"type": "string"}
        properties.update({key: _schema_of(value) for key, value in self.target.extra.items()})
        return {"type": "object", "properties": properties, "required": list(properties)}


class ResponseSerializer(serializers.Serializer):
    """A serializer that only renders. DRF walks `fields` through a generator for every object
    and looks `source="*"` up like any path; the list, made once, and the shortcut keep a page of
    1000 LogEvents from paying that for each nested object."""

    @cached_property
    def _readable_fields(self):
        return [field for field in self.fields.values() if not field.write_only]

    def get_attribute(self, instance):
        return instance if self.source == "*" else super().get_attribute(instance)
