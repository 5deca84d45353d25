"""drf-spectacular hooks: only `/api/v1/` goes into the document, and every operation lists the
Okta error responses it can give, so the document matches what the API really does."""

ERROR_SCHEMA = {
    "type": "object",
    "required": ["errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"],
    "properties": {
        "errorCode": {"type": "string", "example": "E0000001"},
        "errorSummary": {"type": "string"},
        "errorLink": {"type": "string"},
        "errorId": {"type": "string"},
        "errorCauses": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["errorSummary"],
                "properties": {"errorSummary": {"type": "string"}},
            },
        },
    },
}
ERRORS = {
    "400": "Validation failed (E0000001) or the body is not well-formed JSON (E0000003).",
    "401": "Missing or invalid API token (E0000011).",
    "403": "The token's owner is not an admin (E0000006), or the resource's state forbids it (E0000056, E0000038).",
    "404": "Not found (E0000007).",
    "405": "Method not allowed (E0000022).",
    "406": "Not acceptable.",
    "415": "The body is not JSON (E0000003).",
    "429": "Rate limit exceeded (E0000047).",
}
RATE_HEADERS = {
    name: {"schema": {"type": "integer"}, "description": text}
    for name, text in (
        ("X-Rate-Limit-Limit", "Requests allowed per minute in this bucket."),
        ("X-Rate-Limit-Remaining", "Requests left in the current minute."),
        ("X-Rate-Limit-Reset", "When the window resets, in seconds since the epoch."),
    )
}


def only_management_api(endpoints, **kwargs):
    """PREPROCESSING_HOOKS: the OAuth endpoints are documented by discovery, not here."""
    return [e for e in endpoints if e[0].startswith("/api/v1/") and not e[0].startswith("/api/v1/schema")]


def add_okta_errors(result, generator, request, public):
    """POSTPROCESSING_HOOKS: Okta's error body for every 4xx."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for code, response in responses.items():
                if code.startswith("2"):
                    response.setdefault("headers", {}).update(RATE_HEADERS)
            for code, text in ERRORS.items():
                responses.setdefault(code, {"description": text, "content": error})
    return result
