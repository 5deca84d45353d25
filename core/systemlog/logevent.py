"""An event in Okta's LogEvent JSON, written once: `/api/v1/logs` returns it and the console's
system log shows it in each expanded row. The serializers describe it for the OpenAPI document."""

from rest_framework import serializers

from core.isotime import iso

from .models import Event


def _ref(ref: dict) -> dict:
    return {
        "id": ref.get("id"),
        "type": ref.get("type"),
        "alternateId": ref.get("alternateId"),
        "displayName": ref.get("displayName"),
        "detailEntry": None,
    }


def log_event(event: Event) -> dict:
    """An event in Okta's LogEvent shape."""
    client = event.client_info or {}
    return {
        "uuid": str(event.uuid),
        "published": iso(event.published),
        "eventType": event.event_type,
        "version": "0",
        "severity": event.severity,
        "legacyEventType": None,
        "displayMessage": event.display_message,
        "actor": _ref(event.actor or {}),
        "client": {
            "userAgent": {
                "rawUserAgent": (client.get("userAgent") or {}).get("rawUserAgent"),
                "os": None,
                "browser": None,
            },
            "zone": None,
            "device": None,
            "id": None,
            "ipAddress": client.get("ipAddress") or None,
            "geographicalContext": None,
        },
        "outcome": {"result": event.outcome_result, "reason": event.outcome_reason or None},
        "target": [_ref(target) for target in event.targets or []],
        "transaction": {"type": "WEB", "id": str(event.id), "detail": {}},
        "debugContext": {"debugData": event.debug_data or {}},
        "authenticationContext": {
            "authenticationProvider": None,
            "credentialProvider": None,
            "credentialType": None,
            "issuer": None,
            "externalSessionId": None,
            "interface": None,
        },
        "securityContext": {"asNumber": None, "asOrg": None, "isp": None, "domain": None, "isProxy": None},
        "request": {"ipChain": []},
    }


# The shape of log_event(), for the OpenAPI document.


class LogActorSerializer(serializers.Serializer):
    id = serializers.CharField(allow_null=True)
    type = serializers.CharField(allow_null=True)
    alternateId = serializers.CharField(allow_null=True)
    displayName = serializers.CharField(allow_null=True)
    detailEntry = serializers.DictField(allow_null=True)


class LogOutcomeSerializer(serializers.Serializer):
    result = serializers.CharField()
    reason = serializers.CharField(allow_null=True)


class LogEventSerializer(serializers.Serializer):
    uuid = serializers.CharField()
    published = serializers.CharField()
    eventType = serializers.CharField()
    version = serializers.CharField()
    severity = serializers.CharField()
    legacyEventType = serializers.CharField(allow_null=True)
    displayMessage = serializers.CharField()
    actor = LogActorSerializer()
    client = serializers.DictField()
    outcome = LogOutcomeSerializer()
    target = LogActorSerializer(many=True)
    transaction = serializers.DictField()
    debugContext = serializers.DictField()
    authenticationContext = serializers.DictField()
    securityContext = serializers.DictField()
    request = serializers.DictField()
