"""private_key_jwt over real HTTP: authlib's PrivateKeyJWT client authentication against gunicorn, with
the keys registered inline and served from a jwks_uri on loopback (a tiny http.server thread)."""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oauth2.rfc7523.assertion import private_key_jwt_sign

from clients.services import create_app
from tests.kit.keys import assertion_params, new_key

pytestmark = pytest.mark.live


class ShortLivedPrivateKeyJWT(PrivateKeyJWT):
    """authlib's PrivateKeyJWT with a one-minute `exp` (its default is an hour; Rotor takes at most five minutes
    unless ROTOR_CLIENT_ASSERTION_MAX_SECONDS says more). The signing is authlib's own."""

    def sign(self, auth, token_endpoint):
        return private_key_jwt_sign(
            auth.client_secret, auth.client_id, token_endpoint, alg=self.alg, header=self.headers, expires_in=60
        )


@pytest.fixture(scope="module")
def keys_live(live_server_factory):
    """A server that may fetch keys from loopback, refetching at once on an unknown kid."""
    return live_server_factory(
        workers=2,
        extra_env={"ROTOR_JWKS_URI_ALLOW_LOOPBACK": "1", "ROTOR_JWKS_URI_MIN_REFETCH_SECONDS": "0"},
    )


class JwksServer:
    """Serves {"keys": self.keys} at /jwks.json on 127.0.0.1 and counts the fetches."""

    def __init__(self):
        self.keys: list[dict] = []
        self.fetches = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner.fetches += 1
                body = json.dumps({"keys": owner.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks.json"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()


@pytest.fixture
def jwks_server():
    server = JwksServer()
    yield server
    server.stop()


def _service(**data):
    app, _ = create_app(
        {
            "label": f"signed {uuid.uuid4().hex[:6]}",
            "application_type": "service",
            "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "private_key_jwt",
            **data,
        }
    )
    return app


def _session(app, key, token_url, **auth):
    session = OAuth2Session(app.client_id, key.private_pem, token_endpoint_auth_method="private_key_jwt")
    session.register_client_auth_method(ShortLivedPrivateKeyJWT(token_url, **auth))
    return session


def test_authlib_private_key_jwt_with_inline_keys(keys_live, live_db):
    key = new_key("RSA")
    app = _service(jwks=[key.public_jwk])
    token_url = f"{keys_live.url}/oauth2/default/v1/token"
    session = _session(app, key, token_url, headers={"kid": key.kid})

    for _ in range(3):  # a new assertion (and jti) every time
        token = session.fetch_token(token_url, grant_type="client_credentials")
        assert token["token_type"] == "Bearer" and token["access_token"]

    # without a kid the registered key that fits the alg is tried
    assert _session(app, key, token_url).fetch_token(token_url, grant_type="client_credentials")["access_token"]


def test_authlib_default_hour_long_assertion_gets_a_clear_refusal(keys_live, live_db):
    key = new_key("RSA")
    app = _service(jwks=[key.public_jwk])
    token_url = f"{keys_live.url}/oauth2/default/v1/token"
    session = OAuth2Session(app.client_id, key.private_pem, token_endpoint_auth_method="private_key_jwt")
    session.register_client_auth_method(PrivateKeyJWT(token_url))
    with pytest.raises(OAuthError) as refused:
        session.fetch_token(token_url, grant_type="client_credentials")
    assert refused.value.error == "invalid_client"
    assert refused.value.description == "The client_assertion's 'exp' must be at most 5 minutes ahead."


def test_a_replayed_assertion_is_refused_on_every_worker(keys_live, live_db):
    key = new_key("EC")
    app = _service(jwks=[key.public_jwk])
    token_url = f"{keys_live.url}/oauth2/default/v1/token"
    data = {"grant_type": "client_credentials", **assertion_params(key.assertion(app.client_id, token_url))}
    statuses = [requests.post(token_url, data=data, timeout=30).status_code for _ in range(8)]
    assert statuses.count(200) == 1 and statuses.count(401) == 7, statuses
    assert statuses[0] == 200


def test_authlib_with_a_jwks_uri_on_loopback_and_a_key_rotation(keys_live, live_db, jwks_server, settings):
    settings.ROTOR_JWKS_URI_ALLOW_LOOPBACK = True  # this process validates the registration
    first, second = new_key("RSA"), new_key("EC")
    jwks_server.keys = [first.public_jwk]
    app = _service(jwks_uri=jwks_server.url)
    token_url = f"{keys_live.url}/oauth2/default/v1/token"

    for _ in range(4):
        assert _session(app, first, token_url, headers={"kid": first.kid}).fetch_token(
            token_url, grant_type="client_credentials"
        )["access_token"]
    assert 1 <= jwks_server.fetches <= 2  # once per worker at most: the set is cached

    # the client rotates: an assertion with the new kid makes each worker fetch again
    jwks_server.keys = [first.public_jwk, second.public_jwk]
    session = _session(app, second, token_url, headers={"kid": second.kid}, alg="ES256")
    for _ in range(4):
        assert session.fetch_token(token_url, grant_type="client_credentials")["access_token"]

    # a kid the set never had is still refused, with a description that says so
    stranger = new_key("RSA")
    response = requests.post(
        token_url,
        data={"grant_type": "client_credentials", **assertion_params(stranger.assertion(app.client_id, token_url))},
        timeout=30,
    )
    assert response.status_code == 401
    assert f"kid '{stranger.kid}'" in response.json()["error_description"]


def test_a_jwks_uri_that_does_not_answer_is_a_clear_invalid_client(keys_live, live_db, settings):
    settings.ROTOR_JWKS_URI_ALLOW_LOOPBACK = True
    dead = JwksServer()
    url = dead.url
    dead.stop()
    dead.httpd.server_close()
    key = new_key("RSA")
    app = _service(jwks_uri=url)
    token_url = f"{keys_live.url}/oauth2/default/v1/token"
    started = time.monotonic()
    response = requests.post(
        token_url,
        data={"grant_type": "client_credentials", **assertion_params(key.assertion(app.client_id, token_url))},
        timeout=30,
    )
    assert response.status_code == 401
    assert response.json()["error_description"].startswith("The client's keys could not be read")
    assert time.monotonic() - started < 10
