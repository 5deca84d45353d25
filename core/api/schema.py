"""drf-spectacular hooks: only `/api/v1/` goes into the document, every operation lists the
Okta error responses it can give, blanks the server refuses are not offered, and OpenAPI links
say where each id comes from, so the document matches what the API really does and a stateful
client (schemathesis) can walk from a created resource to the operations on it."""

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
# gunicorn refuses a request line over 4094 bytes before Rotor sees it: a long enough query or
# path (a 1000-character parameter of non-ASCII text is 6000 bytes encoded) gets its HTML page.
URI_TOO_LONG = {
    "description": "The request line is longer than the server takes (gunicorn's limit_request_line).",
    "content": {"text/html": {"schema": {"type": "string"}}},
}
# What StrictJSONParser refuses in any body, where OpenAPI 3.0 cannot say it (keys it does not name).
BODY_RULES = (
    "Request bodies are JSON objects of at most 64 KiB in UTF-8; no string or key in them may contain"
    " NUL or a lone surrogate (E0000003). Unknown members are ignored."
)
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


APP_ID = {"app_id": "$response.body#/id"}
USER_ID = {"user_id": "$response.body#/id"}
FIRST_APP_ID = {"app_id": "$response.body#/0/id"}
FIRST_USER_ID = {"user_id": "$response.body#/0/id"}
APP_OPERATIONS = [
    "getApplication",
    "replaceApplication",
    "activateApplication",
    "deactivateApplication",
    "deleteApplication",
    "createOAuth2ClientSecret",
    "listOAuth2TokensForApplication",
    "revokeOAuth2TokensForApplication",
]
USER_OPERATIONS = ["getUser", "deactivateUser", "deleteUser", "listUserClients"]
APP_TOKEN = {"app_id": "$request.path.app_id", "token_id": "$response.body#/0/id"}
USER_CLIENT = {"user_id": "$request.path.user_id", "client_id": "$response.body#/0/client_id"}
USER_TOKEN = {**USER_CLIENT, "client_id": "$request.path.client_id", "token_id": "$response.body#/0/id"}
GROUP_ID = {"group_id": "$response.body#/id"}
GROUP_OPERATIONS = ["getGroup", "replaceGroup", "deleteGroup", "listGroupUsers"]
APP_GROUP = {"app_id": "$request.path.app_id", "group_id": "$response.body#/0/id"}
# Authorization servers: from each created object to the operations on it (a server's keys are not
# linked: rotating them is left out of the stateful run, and listing them needs no id of the walk's).
SERVER_OPERATIONS = [
    "getAuthorizationServer",
    "replaceAuthorizationServer",
    "deactivateAuthorizationServer",
    "deleteAuthorizationServer",
    "createOAuth2Scope",
    "createOAuth2Claim",
    "createAuthorizationServerPolicy",
]
SERVER_ID = {"server_id": "$response.body#/id"}
IN_SERVER = {"server_id": "$request.path.server_id"}
SCOPE_OPERATIONS = ["getOAuth2Scope", "replaceOAuth2Scope", "deleteOAuth2Scope"]
CLAIM_OPERATIONS = ["getOAuth2Claim", "replaceOAuth2Claim", "deleteOAuth2Claim"]
POLICY_OPERATIONS = [
    "getAuthorizationServerPolicy",
    "replaceAuthorizationServerPolicy",
    "deactivateAuthorizationServerPolicy",
    "deleteAuthorizationServerPolicy",
    "createAuthorizationServerPolicyRule",
]
RULE_OPERATIONS = [
    "getAuthorizationServerPolicyRule",
    "replaceAuthorizationServerPolicyRule",
    "deactivateAuthorizationServerPolicyRule",
    "deleteAuthorizationServerPolicyRule",
]
IN_POLICY = {"server_id": "$request.path.server_id", "policy_id": "$request.path.policy_id"}
SECRET = {"app_id": "$request.path.app_id", "secret_id": "$response.body#/id"}
FIRST_SECRET = {"app_id": "$request.path.app_id", "secret_id": "$response.body#/0/id"}
SECRET_OPERATIONS = [
    "getOAuth2ClientSecret",
    "activateOAuth2ClientSecret",
    "deactivateOAuth2ClientSecret",
    "deleteOAuth2ClientSecret",
]
KEY = {"app_id": "$request.path.app_id", "key_id": "$response.body#/id"}
FIRST_KEY = {"app_id": "$request.path.app_id", "key_id": "$response.body#/0/id"}
KEY_OPERATIONS = ["getJwk", "activateOAuth2ClientJsonWebKey", "deactivateOAuth2ClientJsonWebKey", "deletejwk"]
# operationId -> (status, {link target operationId: parameters})
LINKS = {
    "createAuthorizationServer": ("201", dict.fromkeys(SERVER_OPERATIONS, SERVER_ID)),
    "createOAuth2Scope": ("201", dict.fromkeys(SCOPE_OPERATIONS, IN_SERVER | {"scope_id": "$response.body#/id"})),
    "createOAuth2Claim": ("201", dict.fromkeys(CLAIM_OPERATIONS, IN_SERVER | {"claim_id": "$response.body#/id"})),
    "createAuthorizationServerPolicy": (
        "201",
        dict.fromkeys(POLICY_OPERATIONS, IN_SERVER | {"policy_id": "$response.body#/id"}),
    ),
    "createAuthorizationServerPolicyRule": (
        "201",
        dict.fromkeys(RULE_OPERATIONS, IN_POLICY | {"rule_id": "$response.body#/id"}),
    ),
    "createApplication": ("200", dict.fromkeys(APP_OPERATIONS, APP_ID)),
    "getApplication": ("200", dict.fromkeys(APP_OPERATIONS, APP_ID)),
    "replaceApplication": ("200", dict.fromkeys(APP_OPERATIONS, APP_ID)),
    "listApplications": ("200", dict.fromkeys(["getApplication", "listOAuth2TokensForApplication"], FIRST_APP_ID)),
    "createUser": ("200", dict.fromkeys(USER_OPERATIONS, USER_ID)),
    "getUser": ("200", dict.fromkeys(USER_OPERATIONS, USER_ID)),
    "listUsers": ("200", dict.fromkeys(["getUser", "listUserClients"], FIRST_USER_ID)),
    "addGroup": ("200", dict.fromkeys(GROUP_OPERATIONS, GROUP_ID)),
    "getGroup": ("200", dict.fromkeys(GROUP_OPERATIONS, GROUP_ID)),
    "listGroups": ("200", dict.fromkeys(["getGroup", "listGroupUsers"], {"group_id": "$response.body#/0/id"})),
    "listApplicationGroupAssignments": (
        "200",
        dict.fromkeys(["getApplicationGroupAssignment", "unassignApplicationFromGroup"], APP_GROUP),
    ),
    "createOAuth2ClientSecret": ("201", dict.fromkeys(SECRET_OPERATIONS, SECRET)),
    "listOAuth2ClientSecrets": ("200", dict.fromkeys(SECRET_OPERATIONS, FIRST_SECRET)),
    "addJwk": ("201", dict.fromkeys(KEY_OPERATIONS, KEY)),
    "listJwk": ("200", dict.fromkeys(KEY_OPERATIONS, FIRST_KEY)),
    "listOAuth2TokensForApplication": (
        "200",
        dict.fromkeys(["getOAuth2TokenForApplication", "revokeOAuth2TokenForApplication"], APP_TOKEN),
    ),
    "listUserClients": (
        "200",
        dict.fromkeys(["listRefreshTokensForUserAndClient", "revokeTokensForUserAndClient"], USER_CLIENT),
    ),
    "listRefreshTokensForUserAndClient": (
        "200",
        dict.fromkeys(["getRefreshTokenForUserAndClient", "revokeTokenForUserAndClient"], USER_TOKEN),
    ),
}


def _operations(result):
    for path_item in result.get("paths", {}).values():
        yield from path_item.values()


def add_links(result) -> None:
    """Links from each operation that returns an id to the operations that take it (`$response.body#/id`).

    Parameters only: schemathesis merges a linked body with generated members, which can make a
    body no schema allows (a GET body with another type's grants), so no link carries one."""
    operations = {operation.get("operationId"): operation for operation in _operations(result)}
    for source, (status, targets) in LINKS.items():
        response = operations[source]["responses"][status]
        links = response.setdefault("links", {})
        for target, parameters in targets.items():
            assert target in operations, target  # a renamed operation must not leave a dead link
            links[target] = {"operationId": target, "parameters": dict(parameters)}


def _drop_refused_blanks(schema) -> None:
    """drf-spectacular offers "" beside every constrained string of a field that allows blanks
    (DRF's check). Where the document declares a minLength, the service refuses "" itself, so
    the blank alternative is a promise the server does not keep."""
    if isinstance(schema, dict):
        alternatives = schema.get("oneOf")
        if (
            isinstance(alternatives, list)
            and len(alternatives) == 2
            and alternatives[1] == {"type": "string", "maxLength": 0}
            and alternatives[0].get("minLength", 0) >= 1
        ):
            schema.update(schema.pop("oneOf")[0])
        for value in schema.values():
            _drop_refused_blanks(value)
    elif isinstance(schema, list):
        for value in schema:
            _drop_refused_blanks(value)


def add_okta_errors(result, generator, request, public):
    """POSTPROCESSING_HOOKS: Okta's error body for every 4xx, the links and no refused blanks (one
    hook, so the hooks in settings stay as they are)."""
    info = result.setdefault("info", {})
    info["description"] = (info.get("description", "") + " " + BODY_RULES).strip()
    _drop_refused_blanks(result.get("components", {}).get("schemas", {}))
    add_links(result)
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
            responses.setdefault("414", URI_TOO_LONG)
    return result
