"""clients.validation.validate_app: the per-type rules of SPEC §5 shared by console, API and commands."""

import pytest

from clients.validation import AppValidationError, validate_app

CALLBACK = ["https://app.example.com/callback"]
AC = "authorization_code"
RT = "refresh_token"
CC = "client_credentials"
DEVICE = "urn:ietf:params:oauth:grant-type:device_code"


def errors_of(data: dict, instance=None) -> dict[str, list[str]]:
    with pytest.raises(AppValidationError) as raised:
        validate_app(data, instance=instance)
    return raised.value.errors


def app(application_type: str, **data) -> dict:
    data.setdefault("label", "An app")
    data["application_type"] = application_type
    if application_type != "service":
        data.setdefault("redirect_uris", CALLBACK)
    return data


# Defaults per type -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "app_type, auth_method, pkce, rotation, grants",
    [
        ("web", "client_secret_basic", False, "STATIC", [AC]),
        ("browser", "none", True, "ROTATE", [AC]),
        ("native", "none", True, "ROTATE", [AC]),
        ("service", "client_secret_basic", False, "STATIC", [CC]),
    ],
)
def test_each_type_gets_its_defaults(db, app_type, auth_method, pkce, rotation, grants):
    clean = validate_app(app(app_type))

    assert clean["token_endpoint_auth_method"] == auth_method
    assert clean["pkce_required"] is pkce
    assert clean["rotation_type"] == rotation and clean["leeway"] == 30
    assert clean["grant_types"] == grants
    assert clean["consent_method"] == "TRUSTED"


def test_response_types_follow_the_grants(db):
    assert validate_app(app("web", grant_types=[AC, CC]))["response_types"] == ["code"]
    assert validate_app(app("service"))["response_types"] == ["token"]


# Grant types per type ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "app_type, grants",
    [
        ("web", [AC]),
        ("web", [AC, RT, CC]),
        ("browser", [AC, RT]),
        ("native", [AC, RT, DEVICE]),
        ("native", [DEVICE]),
        ("service", [CC]),
    ],
)
def test_allowed_grants(db, app_type, grants):
    data = app(app_type, grant_types=grants)
    if grants == [DEVICE]:
        data["redirect_uris"] = []

    assert validate_app(data)["grant_types"] == grants


@pytest.mark.parametrize(
    "app_type, grants, message",
    [
        ("web", [AC, DEVICE], "is not allowed for this app type"),
        ("web", [CC], "Web and single-page apps need the Authorization Code grant."),
        ("browser", [AC, CC], "Only web and API service apps can keep a secret"),
        ("native", [AC, CC], "is not allowed for this app type"),
        ("native", [RT], "Native apps need Authorization Code or Device Authorization."),
        ("service", [AC], "API service apps act for themselves"),
        ("service", [CC, RT], "API service apps get new access tokens with Client Credentials instead."),
        ("web", [], "At least one grant type is required."),
        ("web", "authorization_code", "At least one grant type is required."),
        ("web", [AC, "implicit"], "'implicit' is not a supported grant type."),
    ],
)
def test_refused_grants(db, app_type, grants, message):
    errors = errors_of(app(app_type, grant_types=grants))

    assert any(message in m for m in errors["grant_types"]), errors


def test_duplicate_grants_are_collapsed(db):
    assert validate_app(app("web", grant_types=[AC, RT, AC]))["grant_types"] == [AC, RT]


# Client authentication and PKCE ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_single_page_apps_cannot_use_a_secret(db, method):
    errors = errors_of(app("browser", token_endpoint_auth_method=method))

    assert errors["token_endpoint_auth_method"] == ["Single-page apps cannot keep a secret; use 'none' with PKCE."]


@pytest.mark.parametrize("app_type", ["web", "service"])
def test_web_and_service_apps_must_use_a_secret(db, app_type):
    errors = errors_of(app(app_type, token_endpoint_auth_method="none"))

    assert "must authenticate with a client secret" in errors["token_endpoint_auth_method"][0]


def test_native_app_may_use_a_secret(db):
    clean = validate_app(app("native", token_endpoint_auth_method="client_secret_basic", pkce_required=False))

    assert clean["token_endpoint_auth_method"] == "client_secret_basic"


def test_unknown_auth_method_is_refused(db):
    errors = errors_of(app("web", token_endpoint_auth_method="client_secret_jwt"))

    assert "token_endpoint_auth_method" in errors


def test_private_key_jwt_needs_a_key_or_a_jwks_uri(db):
    errors = errors_of(app("web", token_endpoint_auth_method="private_key_jwt"))

    assert errors["jwks_uri"] == ["Client authentication 'private_key_jwt' needs a public key or a JWKS URI."]


@pytest.mark.parametrize("app_type", ["browser", "native"])
def test_public_clients_need_pkce(db, app_type):
    errors = errors_of(app(app_type, pkce_required=False))

    assert errors["pkce_required"] == ["PKCE is required for public clients (client authentication 'none')."]


def test_pkce_required_must_be_a_boolean(db):
    assert "pkce_required" in errors_of(app("web", pkce_required="yes"))


# Redirect URIs and origins ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri, message",
    [
        ("https://app.example.com/cb#frag", "must not contain a fragment"),
        ("/callback", "must be an absolute URI"),
        ("https://user:pw@app.example.com/cb", "must not contain user information"),
        ("https://app.example.com/c b", "contains spaces or control characters"),
        ("https://app.example.com/cb\x00", "contains spaces or control characters"),
        ("https:///cb", "it has no host"),
        ("com.example.app:/cb", "only native apps may use a custom scheme"),
        ("https://app.example.com/" + "x" * 1100, "is not a valid redirect URI"),
        ("", "is not a valid redirect URI"),
    ],
)
def test_bad_redirect_uris_are_refused(db, uri, message):
    errors = errors_of(app("web", redirect_uris=[uri]))

    assert any(message in m for m in errors["redirect_uris"]), errors


def test_native_apps_may_use_a_private_use_scheme(db):
    clean = validate_app(app("native", redirect_uris=["com.example.app:/callback", "http://127.0.0.1/cb"]))

    assert clean["redirect_uris"] == ["com.example.app:/callback", "http://127.0.0.1/cb"]


@pytest.mark.parametrize(
    "uri",
    ["javascript:alert(1)", "JavaScript://x%0aalert(1)", "data:text/html,hi", "vbscript:msgbox", "file:///etc/passwd"],
)
def test_script_and_file_schemes_are_never_redirect_uris(db, uri):
    errors = errors_of(app("native", redirect_uris=[uri]))

    assert "redirect_uris" in errors


def test_code_grant_needs_a_redirect_uri(db):
    errors = errors_of(app("web", redirect_uris=[]))

    assert errors["redirect_uris"] == [
        "At least one sign-in redirect URI is required for the Authorization Code grant."
    ]


def test_service_app_needs_no_redirect_uri(db):
    assert validate_app(app("service"))["redirect_uris"] == []


def test_sign_out_redirect_uris_follow_the_same_rules(db):
    errors = errors_of(app("web", post_logout_redirect_uris=["https://app.example.com/bye#x"]))

    assert "post_logout_redirect_uris" in errors


def test_redirect_uris_must_be_a_list(db):
    assert "redirect_uris" in errors_of(app("web", redirect_uris="https://app.example.com/callback"))


@pytest.mark.parametrize(
    "origin",
    [
        "https://spa.example.com/path",
        "spa.example.com",
        "ftp://spa.example.com",
        "https://u@spa.example.com",
        "https://spa.example.com#x",
        "https://spa.example.com?",
    ],
)
def test_bad_trusted_origins_are_refused(db, origin):
    errors = errors_of(app("browser", trusted_origins=[origin]))

    assert "trusted_origins" in errors


def test_trusted_origin_trailing_slash_is_dropped(db):
    clean = validate_app(app("browser", trusted_origins=["https://spa.example.com/"]))

    assert clean["trusted_origins"] == ["https://spa.example.com"]


# Refresh tokens, consent, label --------------------------------------------------------------------


@pytest.mark.parametrize("leeway", [0, 60])
def test_leeway_bounds_are_accepted(db, leeway):
    assert validate_app(app("web", grant_types=[AC, RT], leeway=leeway))["leeway"] == leeway


@pytest.mark.parametrize("leeway", [-1, 61, "30", 1.5, True])
def test_leeway_outside_0_to_60_is_refused(db, leeway):
    errors = errors_of(app("web", grant_types=[AC, RT], leeway=leeway))

    assert errors["leeway"] == ["The grace period must be a whole number of seconds from 0 to 60."]


def test_rotation_type_must_be_rotate_or_static(db):
    errors = errors_of(app("web", grant_types=[AC, RT], rotation_type="SOMETIMES"))

    assert errors["rotation_type"] == ["Refresh token behavior must be ROTATE or STATIC."]


def test_consent_method_must_be_trusted_or_required(db):
    assert errors_of(app("web", consent_method="MAYBE"))["consent_method"] == ["Consent must be TRUSTED or REQUIRED."]


@pytest.mark.parametrize("label, message", [("", "The app name is required."), ("  ", "The app name is required.")])
def test_label_is_required(db, label, message):
    assert errors_of(app("web", label=label))["label"] == [message]


def test_label_is_at_most_100_characters(db):
    assert errors_of(app("web", label="x" * 101))["label"] == ["The app name must be at most 100 characters."]


def test_unknown_application_type_is_refused(db):
    errors = errors_of({"label": "x", "application_type": "mainframe"})

    assert errors == {"application_type": ["Application type must be one of: web, browser, native, service."]}


# client_id and client_secret -------------------------------------------------------------------


@pytest.mark.parametrize("client_id", ["short", "x" * 101, "has space", "ümlaut123", "semi;colon"])
def test_bad_client_ids_are_refused(db, client_id):
    assert "client_id" in errors_of(app("web", client_id=client_id))


def test_client_id_must_be_unique(db, make_app):
    make_app(client_id="taken-id")

    assert errors_of(app("web", client_id="taken-id"))["client_id"] == ["An app with this client ID already exists."]


@pytest.mark.parametrize("secret", ["too-short", "x" * 101, "tab\tinside-the-secret", "ünïcode-secret-value"])
def test_bad_client_secrets_are_refused(db, secret):
    assert "client_secret" in errors_of(app("web", client_secret=secret))


def test_public_client_cannot_have_a_secret(db):
    errors = errors_of(app("browser", client_secret="a-perfectly-good-secret"))

    assert errors["client_secret"] == ["A public client (authentication 'none') has no secret."]


def test_all_problems_are_reported_at_once(db):
    errors = errors_of(app("browser", label="", grant_types=[AC, CC], leeway=99, consent_method="NO"))

    assert set(errors) == {"label", "grant_types", "leeway", "consent_method"}


# Updates --------------------------------------------------------------------------------------


def test_application_type_is_immutable(db, make_app):
    existing, _ = make_app(application_type="web")

    errors = errors_of(app("service"), instance=existing)

    assert errors["application_type"] == ["The application type cannot be changed after the app is created."]


def test_update_keeps_the_type_when_not_sent(db, make_app):
    existing, _ = make_app(application_type="native", redirect_uris=["com.example.app:/cb"])

    clean = validate_app({"label": "Renamed", "redirect_uris": ["com.example.app:/cb"]}, instance=existing)

    assert clean["application_type"] == "native" and clean["label"] == "Renamed"
