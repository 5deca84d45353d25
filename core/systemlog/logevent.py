"""An event in Okta's LogEvent JSON, written once: `/api/v1/logs` returns it, the console's system
log shows it in each expanded row, and the OpenAPI document describes it, all from these serializers."""

from rest_framework import serializers

from core.api.fields import BlankAsNullCharField, ConstantField, IsoDateTimeField, ResponseSerializer


class LogActorSerializer(ResponseSerializer):
    """An actor or target of the event."""

    # renders the dict stored with the event (core/systemlog/recording.py)

    id = serializers.CharField(allow_null=True)
    type = serializers.CharField(allow_null=True)
    alternateId = serializers.CharField(allow_null=True)
    displayName = serializers.CharField(allow_null=True)
    detailEntry = ConstantField(None)


class LogUserAgentSerializer(ResponseSerializer):
    rawUserAgent = serializers.CharField(allow_null=True)
    os = ConstantField(None)
    browser = ConstantField(None)

    def get_attribute(self, client_info):
        return client_info.get("userAgent") or {}


class LogClientSerializer(ResponseSerializer):
    userAgent = LogUserAgentSerializer(source="*")
    zone = ConstantField(None)
    device = ConstantField(None)
    id = ConstantField(None)
    ipAddress = BlankAsNullCharField()
    geographicalContext = ConstantField(None)


class LogOutcomeSerializer(ResponseSerializer):
    result = serializers.CharField(source="outcome_result")
    reason = BlankAsNullCharField(source="outcome_reason")


class LogTransactionSerializer(ResponseSerializer):
    type = ConstantField("WEB")
    id = serializers.CharField()
    detail = ConstantField({})


class LogDebugContextSerializer(ResponseSerializer):
    debugData = serializers.DictField(source="debug_data")


class LogEventSerializer(ResponseSerializer):
    uuid = serializers.CharField()
    published = IsoDateTimeField()
    eventType = serializers.CharField(source="event_type")
    version = ConstantField("0")
    severity = serializers.CharField()
    legacyEventType = ConstantField(None)
    displayMessage = serializers.CharField(source="display_message")
    actor = LogActorSerializer()
    client = LogClientSerializer(source="client_info")
    outcome = LogOutcomeSerializer(source="*")
    target = LogActorSerializer(source="targets", many=True)
    transaction = LogTransactionSerializer(source="*")
    debugContext = LogDebugContextSerializer(source="*")
    authenticationContext = ConstantField(
        {
            "authenticationProvider": None,
            "credentialProvider": None,
            "credentialType": None,
            "issuer": None,
            "externalSessionId": None,
            "interface": None,
        }
    )
    securityContext = ConstantField({"asNumber": None, "asOrg": None, "isp": None, "domain": None, "isProxy": None})
    request = ConstantField({"ipChain": []})
