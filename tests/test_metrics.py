"""/metrics: who may scrape it, and what the OAuth endpoints, refreshes and purges count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client import REGISTRY

from core.ops import metrics
from tests.kit.oauth import form_post, refresh, token_request, tokens_for
from tokens import purge
from tokens.models import RevokedAccessToken
from tokens.servers import keys


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class Delta:
    """Metric values before and after a block."""

    def __init__(self, name: str, **labels):
        self.name, self.labels = name, labels

    def __enter__(self):
        self.before = value(self.name, **self.labels)
        return self

    def __exit__(self, *exc):
        self.value = value(self.name, **self.labels) - self.before


# --- access -------------------------------------------------------------------------------------


def test_metrics_are_off_without_a_token_or_allow_list(client, settings):
    settings.ROTOR_METRICS_TOKEN, settings.ROTOR_METRICS_ALLOW = "", []
    assert client.get("/metrics").status_code == 404


def test_metrics_need_the_bearer_token(client, settings):
    settings.ROTOR_METRICS_TOKEN, settings.ROTOR_METRICS_ALLOW = "scrape-me", []
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-you")
    assert wrong.status_code == 401
    assert wrong["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Basic scrape-me").status_code == 401
    ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me")
    assert ok.status_code == 200
    assert ok["Content-Type"].startswith("text/plain")
    assert b"rotor_refresh_total" in ok.content


@pytest.mark.parametrize(
    ("allow", "status"),
    [(["10.0.0.0/8"], 403), (["10.0.0.0/8", "127.0.0.1"], 200), (["127.0.0.0/8"], 200), (["::1"], 403)],
)
def test_metrics_from_the_allow_list_only(client, settings, allow, status):
    settings.ROTOR_METRICS_TOKEN, settings.ROTOR_METRICS_ALLOW = "", allow
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == status


def test_with_both_set_both_are_required(client, settings):
    settings.ROTOR_METRICS_TOKEN, settings.ROTOR_METRICS_ALLOW = "scrape-me", ["127.0.0.1"]
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", REMOTE_ADDR="10.9.9.9", HTTP_AUTHORIZATION="Bearer scrape-me").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me").status_code == 200


# --- what is counted ----------------------------------------------------------------------------


@pytest.fixture
def service(make_app):
    app, secret = make_app(label="svc", application_type="service", grant_types=["client_credentials"])
    return app, secret


def test_token_requests_by_grant_type_and_outcome(client, service):
    app, secret = service
    cc = {"grant_type": "client_credentials", "scope": "api:read"}
    with (
        Delta("rotor_token_requests_total", grant_type="client_credentials", outcome="issued") as issued,
        Delta("rotor_token_requests_total", grant_type="client_credentials", outcome="invalid_client") as bad,
        Delta("rotor_token_requests_total", grant_type="unsupported", outcome="unsupported_grant_type") as grant,
        Delta("rotor_token_requests_total", grant_type="none", outcome="invalid_request") as unreadable,
        Delta("rotor_request_duration_seconds_count", endpoint="token") as timed,
    ):
        assert token_request(client, cc, app=app, secret=secret, server="default").status_code == 200
        assert token_request(client, cc, app=app, secret="wrong", server="default").status_code == 401
        assert token_request(client, {"grant_type": "password"}, app=app, secret=secret).status_code == 400
        assert client.post("/oauth2/v1/token", {"a": "b"}, content_type="application/json").status_code == 400
    assert (issued.value, bad.value, grant.value, unreadable.value, timed.value) == (1, 1, 1, 1, 4)


def test_refresh_outcomes(client, make_app, end_user):
    rotating, secret = make_app(label="r", grant_types=["authorization_code", "refresh_token"], rotation_type="ROTATE")
    strict, strict_secret = make_app(
        label="s", grant_types=["authorization_code", "refresh_token"], rotation_type="ROTATE", leeway=0
    )
    static, static_secret = make_app(
        label="p", grant_types=["authorization_code", "refresh_token"], rotation_type="STATIC"
    )
    first = tokens_for(client, rotating, end_user, secret=secret)["refresh_token"]
    strict_first = tokens_for(client, strict, end_user, secret=strict_secret, server="default")["refresh_token"]
    static_token = tokens_for(client, static, end_user, secret=static_secret)["refresh_token"]
    outcomes = {o: Delta("rotor_refresh_total", outcome=o) for o in metrics.REFRESH_OUTCOMES}
    reuse = {s: Delta("rotor_refresh_reuse_detected_total", server=s) for s in ("org", "default")}
    for d in [*outcomes.values(), *reuse.values()]:
        d.__enter__()
    assert refresh(client, rotating, first, secret=secret).status_code == 200  # rotated
    assert refresh(client, rotating, first, secret=secret).status_code == 200  # grace (leeway 30 s)
    assert refresh(client, static, static_token, secret=static_secret).status_code == 200  # persistent
    assert refresh(client, strict, strict_first, secret=strict_secret, server="default").status_code == 200
    replay = refresh(client, strict, strict_first, secret=strict_secret, server="default")  # reuse, family revoked
    assert replay.status_code == 400
    assert refresh(client, strict, "no-such-token", secret=strict_secret).status_code == 400  # invalid
    assert refresh(client, rotating, first, server="default", secret=secret).status_code == 400  # wrong server
    for d in [*outcomes.values(), *reuse.values()]:
        d.__exit__()
    assert {o: d.value for o, d in outcomes.items()} == {
        "rotated": 2,
        "persistent": 1,
        "grace": 1,
        "reuse_detected": 1,
        "invalid": 2,
    }
    assert (reuse["org"].value, reuse["default"].value) == (0, 1)


def test_latency_per_endpoint(client, confidential_app, issued):
    endpoints = ["keys", "userinfo", "introspect", "revoke", "authorize"]
    deltas = {e: Delta("rotor_request_duration_seconds_count", endpoint=e) for e in endpoints}
    for d in deltas.values():
        d.__enter__()
    client.get("/oauth2/v1/keys")
    client.get("/oauth2/v1/userinfo", HTTP_AUTHORIZATION=f"Bearer {issued['access_token']}")
    form_post(client, "introspect", {"token": issued["access_token"]}, app=confidential_app, secret="x")
    form_post(client, "revoke", {"token": "x"}, app=confidential_app, secret=confidential_app.plain_secret)
    client.get("/oauth2/v1/authorize")
    for d in deltas.values():
        d.__exit__()
    assert {e: d.value for e, d in deltas.items()} == dict.fromkeys(endpoints, 1)


def key_ages(client) -> dict[str, float]:
    text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    prefix = "rotor_signing_key_age_seconds{"
    return {line.split('"')[1]: float(line.split()[-1]) for line in text.splitlines() if line.startswith(prefix)}


@pytest.mark.django_db
def test_signing_key_age_is_read_at_scrape_time(client, settings):
    from tokens.models import SigningKey

    settings.ROTOR_METRICS_TOKEN = "t"
    keys.ensure_keys("org")
    keys.ensure_keys("default")
    SigningKey.objects.filter(server="org", status="ACTIVE").update(created=timezone.now() - timedelta(days=30))
    ages = key_ages(client)
    assert 30 * 86400 <= ages["org"] < 30 * 86400 + 60
    assert 0 <= ages["default"] < 60
    keys.rotate_keys("org")  # the NEXT key, made moments ago, signs now
    assert 0 <= key_ages(client)["org"] < 60


@pytest.mark.django_db
def test_purge_counts_rows_per_kind():
    RevokedAccessToken.objects.create(jti="AT.gone", expires_at=timezone.now() - timedelta(minutes=1))
    RevokedAccessToken.objects.create(jti="AT.gone2", expires_at=timezone.now() - timedelta(minutes=1))
    with Delta("rotor_purge_deleted_total", kind="revoked access tokens") as deleted:
        purge.purge(purge.Policy())
    assert deleted.value == 2


def test_rate_limit_refusals_have_a_counter():
    with Delta("rotor_rate_limited_total", endpoint="token", kind="client") as limited:
        metrics.record_rate_limited("token", "client")
    assert limited.value == 1


# --- the refresh path's cost --------------------------------------------------------------------


@pytest.fixture(params=[True, False], ids=["fast-sql", "orm"])
def fast(request, settings):
    if request.param and connection.vendor != "postgresql":
        pytest.skip("the fast path is PostgreSQL's")
    settings.ROTOR_FAST_SQL = request.param
    return request.param


def test_metrics_and_request_log_add_no_statement_to_a_refresh(client, make_app, end_user, fast, request_lines):
    """The same count as tests/tokens/test_refresh_queries.py, with every counter and the log line
    of the refresh recorded inside the counted block."""
    app, secret = make_app(label="q", grant_types=["authorization_code", "refresh_token"], rotation_type="ROTATE")
    token = tokens_for(client, app, end_user, secret=secret)["refresh_token"]
    token = refresh(client, app, token, secret=secret).json()["refresh_token"]  # warm the key cache
    request_lines.clear()
    with (
        Delta("rotor_refresh_total", outcome="rotated") as rotated,
        Delta("rotor_token_requests_total", grant_type="refresh_token", outcome="issued") as issued,
        Delta("rotor_request_duration_seconds_count", endpoint="token") as timed,
        CaptureQueriesContext(connection) as ctx,
    ):
        assert refresh(client, app, token, secret=secret).status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(sql) == (2 if fast else 4), "\n".join(sql)
    assert (rotated.value, issued.value, timed.value) == (1, 1, 1)
    assert len(request_lines) == 1
