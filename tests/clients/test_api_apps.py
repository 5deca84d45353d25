"""/api/v1/apps: Okta's Apps API for OIDC apps, its errors, paging and rate limits."""

import json

import pytest

from accounts.services import create_api_token
from clients.models import Application
from core.models import Event
from tests.kit.api import assert_okta_error
from tokens.models import TokenFamily


def app_body(**oauth):
    refresh = oauth.pop("refresh_token", None)
    credentials = oauth.pop("credentials", None)
    label = oauth.pop("label", "Payroll")
    settings = {
        "application_type": "web",
        "grant_types": ["authorization_code", "refresh_token"],
        "redirect_uris": ["https://payroll.example.com/callback"],
    } | oauth
    if refresh is not None:
        settings["refresh_token"] = refresh
    body = {"name": "oidc_client", "label": label, "signOnMode": "OPENID_CONNECT"}
    body["settings"] = {"oauthClient": settings}
    if credentials is not None:
        body["credentials"] = {"oauthClient": credentials}
    return body


def causes(response) -> list[str]:
    return [c["errorSummary"] for c in response.json()["errorCauses"]]


# Create ---------------------------------------------------------------------------------------


def test_create_web_app_returns_okta_shape_with_secret_once(api_client):
    response = api_client.post("/api/v1/apps", app_body(refresh_token={"rotation_type": "ROTATE", "leeway": 20}))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"].startswith("0oa")
    assert body["name"] == "oidc_client"
    assert body["signOnMode"] == "OPENID_CONNECT"
    assert body["status"] == "ACTIVE"
    credentials = body["credentials"]["oauthClient"]
    assert credentials["token_endpoint_auth_method"] == "client_secret_basic"
    assert len(credentials["client_secret"]) >= 14
    oauth = body["settings"]["oauthClient"]
    assert oauth["refresh_token"] == {"rotation_type": "ROTATE", "leeway": 20}
    assert oauth["grant_types"] == ["authorization_code", "refresh_token"]
    assert oauth["response_types"] == ["code"]
    app = Application.objects.get(public_id=body["id"])
    assert app.client_secret != credentials["client_secret"]  # stored hashed
    assert app.rotation_type == "ROTATE" and app.leeway == 20
    assert Event.objects.filter(event_type="app.oauth2.client.lifecycle.create", app_id=app.public_id).exists()


def test_create_inactive_with_activate_false(api_client):
    response = api_client.post("/api/v1/apps?activate=false", app_body())
    assert response.status_code == 200
    assert response.json()["status"] == "INACTIVE"
    assert "activate" in response.json()["_links"]


@pytest.mark.parametrize(
    "app_type,expected",
    [("browser", "ROTATE"), ("native", "ROTATE"), ("web", "STATIC")],
)
def test_refresh_token_defaults_per_app_type(api_client, app_type, expected):
    body = app_body(application_type=app_type)
    if app_type == "native":
        body["settings"]["oauthClient"]["redirect_uris"] = ["com.example.app:/callback"]
    response = api_client.post("/api/v1/apps", body)
    assert response.status_code == 200, response.content
    assert response.json()["settings"]["oauthClient"]["refresh_token"] == {"rotation_type": expected, "leeway": 30}


def test_public_spa_has_no_secret_and_requires_pkce(api_client):
    response = api_client.post("/api/v1/apps", app_body(application_type="browser"))
    credentials = response.json()["credentials"]["oauthClient"]
    assert credentials["token_endpoint_auth_method"] == "none"
    assert credentials["pkce_required"] is True
    assert "client_secret" not in credentials


def test_refresh_token_settings_absent_without_refresh_grant(api_client):
    response = api_client.post("/api/v1/apps", app_body(grant_types=["authorization_code"]))
    assert response.status_code == 200
    assert "refresh_token" not in response.json()["settings"]["oauthClient"]


def test_service_app_with_client_credentials(api_client):
    body = app_body(application_type="service", grant_types=["client_credentials"], redirect_uris=[])
    response = api_client.post("/api/v1/apps", body)
    assert response.status_code == 200, response.content
    assert response.json()["settings"]["oauthClient"]["response_types"] == ["token"]


def test_custom_client_id_and_secret(api_client):
    body = app_body(credentials={"client_id": "payroll-web", "client_secret": "s" * 20})
    response = api_client.post("/api/v1/apps", body)
    assert response.status_code == 200, response.content
    credentials = response.json()["credentials"]["oauthClient"]
    assert credentials["client_id"] == "payroll-web"
    assert credentials["client_secret"] == "s" * 20


@pytest.mark.parametrize(
    "change,path",
    [
        ({"application_type": "mainframe"}, "settings.oauthClient.application_type"),
        ({"grant_types": []}, "settings.oauthClient.grant_types"),
        ({"grant_types": ["password"]}, "settings.oauthClient.grant_types"),
        ({"grant_types": ["client_credentials"]}, "settings.oauthClient.grant_types"),  # web needs the code grant
        ({"grant_types": ["authorization_code", "urn:ietf:params:oauth:grant-type:device_code"]}, "grant_types"),
        ({"redirect_uris": []}, "settings.oauthClient.redirect_uris"),
        ({"redirect_uris": ["https://a.example.com/cb#frag"]}, "settings.oauthClient.redirect_uris"),
        ({"redirect_uris": ["/relative"]}, "settings.oauthClient.redirect_uris"),
        ({"redirect_uris": ["com.example.app:/cb"]}, "settings.oauthClient.redirect_uris"),  # custom scheme, web app
        ({"post_logout_redirect_uris": ["not a uri"]}, "settings.oauthClient.post_logout_redirect_uris"),
        ({"consent_method": "SOMETIMES"}, "settings.oauthClient.consent_method"),
        ({"initiate_login_uri": "nope"}, "settings.oauthClient.initiate_login_uri"),
        ({"refresh_token": {"leeway": 10}}, "settings.oauthClient.refresh_token.rotation_type"),
        ({"refresh_token": {"rotation_type": "SOMETIMES"}}, "settings.oauthClient.refresh_token.rotation_type"),
        ({"refresh_token": {"rotation_type": "ROTATE", "leeway": 61}}, "settings.oauthClient.refresh_token.leeway"),
        ({"refresh_token": {"rotation_type": "ROTATE", "leeway": -1}}, "settings.oauthClient.refresh_token.leeway"),
        ({"refresh_token": {"rotation_type": "ROTATE", "leeway": "20"}}, "settings.oauthClient.refresh_token.leeway"),
        ({"label": ""}, "label"),
        ({"label": "x" * 101}, "label"),
        ({"label": 42}, "label"),
        ({"credentials": {"token_endpoint_auth_method": "none"}}, "oauthClient.token_endpoint_auth_method"),
        ({"credentials": {"token_endpoint_auth_method": "magic"}}, "oauthClient.token_endpoint_auth_method"),
        ({"credentials": {"pkce_required": "yes"}}, "credentials.oauthClient.pkce_required"),
        ({"credentials": {"client_id": "abc"}}, "credentials.oauthClient.client_id"),
        ({"credentials": {"client_secret": "short"}}, "credentials.oauthClient.client_secret"),
    ],
)
def test_each_validation_rule_names_the_field(api_client, change, path):
    change = dict(change)
    label = change.pop("label", "Payroll")
    body = app_body(label=label, **change)
    response = api_client.post("/api/v1/apps", body)
    assert_okta_error(response, 400, "E0000001")
    assert any(path in cause for cause in causes(response)), causes(response)
    assert not Application.objects.exists()


def test_browser_app_cannot_use_a_secret(api_client):
    body = app_body(application_type="browser", credentials={"token_endpoint_auth_method": "client_secret_basic"})
    response = api_client.post("/api/v1/apps", body)
    assert_okta_error(response, 400, "E0000001")
    summary = response.json()["errorSummary"]
    assert summary == "Api validation failed: credentials.oauthClient.token_endpoint_auth_method"


def test_public_native_app_must_keep_pkce(api_client):
    body = app_body(
        application_type="native",
        redirect_uris=["com.example.app:/cb"],
        credentials={"token_endpoint_auth_method": "none", "pkce_required": False},
    )
    response = api_client.post("/api/v1/apps", body)
    assert_okta_error(response, 400, "E0000001")
    assert any("pkce_required" in c for c in causes(response))


def test_wrong_name_or_sign_on_mode_is_rejected(api_client):
    body = app_body()
    body["name"] = "bookmark"
    body["signOnMode"] = "SAML_2_0"
    response = api_client.post("/api/v1/apps", body)
    assert_okta_error(response, 400, "E0000001")
    assert any(c.startswith("name:") for c in causes(response))
    assert any(c.startswith("signOnMode:") for c in causes(response))


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"\xff\xfe{}", b'{"label": NaN}', b"[" * 5000 + b"]" * 5000, b'{"label": "\\u0000"}', b'"x"'],
    ids=["syntax", "bad-utf8", "nan", "deep", "nul", "not-an-object"],
)
def test_malformed_bodies_are_400_and_write_nothing(api_client, raw):
    response = api_client.post("/api/v1/apps", raw, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["errorCode"] in ("E0000003", "E0000001")
    assert not Application.objects.exists()


def test_oversized_body_is_400(api_client, settings):
    settings.ROTOR_API_MAX_BODY_BYTES = 1000
    body = app_body(redirect_uris=[f"https://a.example.com/{i}" for i in range(100)])
    response = api_client.post("/api/v1/apps", json.dumps(body), content_type="application/json")
    assert_okta_error(response, 400, "E0000003")
    assert "larger than 1000 bytes" in causes(response)[0]
    assert not Application.objects.exists()


def test_non_json_content_type_is_415(api_client):
    response = api_client.post("/api/v1/apps", "label=x", content_type="application/x-www-form-urlencoded")
    assert_okta_error(response, 415, "E0000003")


def test_bad_activate_flag_is_400(api_client):
    response = api_client.post("/api/v1/apps?activate=maybe", app_body())
    assert_okta_error(response, 400, "E0000001")
    assert not Application.objects.exists()


# Read, list, paging ---------------------------------------------------------------------------


def test_get_one_never_shows_the_secret(api_client, confidential_app):
    response = api_client.get(f"/api/v1/apps/{confidential_app.public_id}")
    assert response.status_code == 200
    assert "client_secret" not in response.json()["credentials"]["oauthClient"]
    assert confidential_app.plain_secret not in response.content.decode()


def test_unknown_app_is_404(api_client, db):
    response = api_client.get("/api/v1/apps/0oaDoesNotExist")
    assert_okta_error(response, 404, "E0000007")
    assert "0oaDoesNotExist" in response.json()["errorSummary"]


def test_list_pages_with_link_headers(api_client, make_app):
    ids = [make_app(label=f"App {i:02}")[0].public_id for i in range(5)]
    seen = []
    url = "/api/v1/apps?limit=2"
    pages = 0
    while url:
        response = api_client.get(url)
        assert response.status_code == 200
        seen += [app["id"] for app in response.json()]
        assert 'rel="self"' in response["Link"]
        assert '"client_secret":' not in response.content.decode()
        next_links = [part for part in response["Link"].split(", ") if 'rel="next"' in part]
        url = next_links[0].split(">")[0].lstrip("<").replace("http://127.0.0.1:8000", "") if next_links else None
        pages += 1
    assert seen == ids
    assert pages == 3


def test_list_q_is_a_label_prefix(api_client, make_app):
    make_app(label="Payroll web")
    make_app(label="Payroll mobile", application_type="native", redirect_uris=["com.example.app:/cb"])
    make_app(label="Intranet")
    response = api_client.get("/api/v1/apps?q=payroll")
    assert sorted(app["label"] for app in response.json()) == ["Payroll mobile", "Payroll web"]


def test_list_filter_by_status(api_client, make_app):
    active, _ = make_app(label="On")
    inactive, _ = make_app(label="Off")
    api_client.post(f"/api/v1/apps/{inactive.public_id}/lifecycle/deactivate")
    response = api_client.get('/api/v1/apps?filter=status eq "INACTIVE"')
    assert [app["id"] for app in response.json()] == [inactive.public_id]
    response = api_client.get('/api/v1/apps?filter=status eq "ACTIVE"')
    assert [app["id"] for app in response.json()] == [active.public_id]


@pytest.mark.parametrize("query", ['filter=label eq "x"', "limit=abc", "limit=0", "after=xyz", "q=%00"])
def test_bad_list_parameters_are_400(api_client, db, query):
    response = api_client.get(f"/api/v1/apps?{query}")
    assert_okta_error(response, 400, "E0000001")


def test_limit_above_maximum_is_capped(api_client, make_app):
    make_app()
    response = api_client.get("/api/v1/apps?limit=100000")
    assert response.status_code == 200


# Update ---------------------------------------------------------------------------------------


def test_put_changes_rotation_and_keeps_client_id(api_client, confidential_app):
    body = app_body(label="Renamed", refresh_token={"rotation_type": "ROTATE", "leeway": 5})
    body["credentials"] = {"oauthClient": {"client_id": confidential_app.client_id}}
    response = api_client.put(f"/api/v1/apps/{confidential_app.public_id}", body)
    assert response.status_code == 200, response.content
    assert response.json()["label"] == "Renamed"
    assert response.json()["settings"]["oauthClient"]["refresh_token"] == {"rotation_type": "ROTATE", "leeway": 5}
    assert "client_secret" not in response.json()["credentials"]["oauthClient"]
    confidential_app.refresh_from_db()
    assert (confidential_app.name, confidential_app.rotation_type, confidential_app.leeway) == ("Renamed", "ROTATE", 5)


def test_put_cannot_change_type_client_id_or_secret(api_client, confidential_app):
    body = app_body(application_type="native", credentials={"client_id": "other-id", "client_secret": "x" * 20})
    response = api_client.put(f"/api/v1/apps/{confidential_app.public_id}", body)
    assert_okta_error(response, 400, "E0000001")
    confidential_app.refresh_from_db()
    assert confidential_app.application_type == "web"
    body = app_body(application_type="native")
    response = api_client.put(f"/api/v1/apps/{confidential_app.public_id}", body)
    assert_okta_error(response, 400, "E0000001")
    assert any("application_type" in c for c in causes(response))


def test_put_invalid_leaves_app_unchanged(api_client, confidential_app):
    body = app_body(label="Renamed", redirect_uris=["https://x.example.com/#frag"])
    response = api_client.put(f"/api/v1/apps/{confidential_app.public_id}", body)
    assert_okta_error(response, 400, "E0000001")
    confidential_app.refresh_from_db()
    assert confidential_app.name == "Confidential web app"


# Lifecycle, secrets, delete -------------------------------------------------------------------


def test_deactivate_revokes_tokens_then_delete(api_client, confidential_app, end_user):
    family = TokenFamily.objects.create(
        client=confidential_app, user=end_user, server="org", auth_time="2026-01-01T00:00Z", idle_minutes=60
    )
    response = api_client.delete(f"/api/v1/apps/{confidential_app.public_id}")
    assert_okta_error(response, 403, "E0000056")
    assert Application.objects.filter(pk=confidential_app.pk).exists()

    response = api_client.post(f"/api/v1/apps/{confidential_app.public_id}/lifecycle/deactivate")
    assert response.status_code == 200
    family.refresh_from_db()
    assert family.status == "REVOKED"
    assert api_client.get(f"/api/v1/apps/{confidential_app.public_id}").json()["status"] == "INACTIVE"

    response = api_client.delete(f"/api/v1/apps/{confidential_app.public_id}")
    assert response.status_code == 204
    assert not Application.objects.filter(pk=confidential_app.pk).exists()


def test_activate_again(api_client, confidential_app):
    api_client.post(f"/api/v1/apps/{confidential_app.public_id}/lifecycle/deactivate")
    response = api_client.post(f"/api/v1/apps/{confidential_app.public_id}/lifecycle/activate")
    assert response.status_code == 200
    confidential_app.refresh_from_db()
    assert confidential_app.status == "ACTIVE"


def test_new_secret_is_returned_once_beside_the_old(api_client, confidential_app):
    """Okta's createOAuth2ClientSecret: 201, a second secret; the first keeps working (two secrets)."""
    response = api_client.post(f"/api/v1/apps/{confidential_app.public_id}/credentials/secrets")
    assert response.status_code == 201
    secret = response.json()["client_secret"]
    assert secret != confidential_app.plain_secret
    confidential_app.refresh_from_db()
    from clients.hashers import verifies

    assert verifies(secret, confidential_app.client_secret)
    assert verifies(confidential_app.plain_secret, confidential_app.client_secret)
    assert secret not in api_client.get(f"/api/v1/apps/{confidential_app.public_id}").content.decode()


def test_public_app_has_no_secret_to_regenerate(api_client, public_app):
    response = api_client.post(f"/api/v1/apps/{public_app.public_id}/credentials/secrets")
    assert_okta_error(response, 400, "E0000001")


# Authentication, permission, methods, limits --------------------------------------------------


def test_no_token_is_401(client, db):
    response = client.get("/api/v1/apps")
    assert_okta_error(response, 401, "E0000011")
    assert response.json()["errorSummary"] == "Invalid token provided"


@pytest.mark.parametrize("header", ["SSWS wrong", "SSWS", "Bearer abc", "SSWS a b"])
def test_bad_token_is_401(client, db, header):
    response = client.get("/api/v1/apps", HTTP_AUTHORIZATION=header)
    assert_okta_error(response, 401, "E0000011")


def test_token_without_space_is_accepted(client, api_token):
    response = client.get("/api/v1/apps", HTTP_AUTHORIZATION=f"SSWS{api_token}")
    assert response.status_code == 200


def test_token_records_last_use(api_client, owner):
    api_client.get("/api/v1/apps")
    assert owner.api_tokens.get().last_used is not None


def test_non_admin_token_is_403(client, other_user):
    _, plain = create_api_token(other_user, "mallory")
    response = client.get("/api/v1/apps", HTTP_AUTHORIZATION=f"SSWS {plain}")
    assert_okta_error(response, 403, "E0000006")


def test_deactivated_owner_token_is_401(client, owner, api_token):
    owner.is_active = False
    owner.save()
    response = client.get("/api/v1/apps", HTTP_AUTHORIZATION=f"SSWS {api_token}")
    assert_okta_error(response, 401, "E0000011")


def test_wrong_method_is_405(api_client, db):
    response = api_client.patch("/api/v1/apps", {})
    assert_okta_error(response, 405, "E0000022")


def test_unknown_path_is_404(api_client, db):
    assert_okta_error(api_client.get("/api/v1/widgets"), 404, "E0000007")


def test_rate_limit_headers_and_429(api_client, db, settings):
    settings.ROTOR_API_RATE_LIMIT_PER_MINUTE = 2
    first = api_client.get("/api/v1/apps")
    assert first["X-Rate-Limit-Limit"] == "2"
    assert first["X-Rate-Limit-Remaining"] == "1"
    assert int(first["X-Rate-Limit-Reset"]) > 0
    api_client.get("/api/v1/apps")
    third = api_client.get("/api/v1/apps")
    assert_okta_error(third, 429, "E0000047")
    assert third["X-Rate-Limit-Remaining"] == "0"
    # Another bucket has its own counter.
    assert api_client.get("/api/v1/users").status_code == 200


def test_error_handler_leaves_other_drf_views_alone(rf):
    """The OAuth endpoints are DRF views too; their errors keep DRF's (and RFC 6749's) shape."""
    from rest_framework.exceptions import ParseError
    from rest_framework.request import Request

    from core.api.errors import exception_handler

    request = Request(rf.post("/oauth2/v1/token"))
    response = exception_handler(ParseError("bad"), {"request": request, "view": None})
    assert response.status_code == 400
    assert response.data == {"detail": "bad"}
    request = Request(rf.post("/api/v1/apps"))
    assert exception_handler(ParseError("bad"), {"request": request, "view": None}).data["errorCode"] == "E0000003"
