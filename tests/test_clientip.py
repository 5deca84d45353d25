"""Which client IP Rotor believes (core/clientip.py): REMOTE_ADDR, or X-Forwarded-For only when
REMOTE_ADDR is one of ROTOR_TRUSTED_PROXIES; and the IP every event records."""

import pytest
from django.test import RequestFactory

from core.clientip import client_ip, parse_proxies, via_trusted_proxy
from core.models import Event
from tests.kit.oauth import basic_auth

PROXY = "10.0.0.5"


def request(remote_addr=PROXY, forwarded=None):
    headers = {"REMOTE_ADDR": remote_addr} | ({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {})
    return RequestFactory().get("/", **headers)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.ROTOR_TRUSTED_PROXIES = []

    assert client_ip(request(forwarded="198.51.100.1")) == PROXY
    assert not via_trusted_proxy(request())


def test_an_untrusted_peer_cannot_claim_another_address(settings):
    settings.ROTOR_TRUSTED_PROXIES = [PROXY]

    assert client_ip(request("203.0.113.9", forwarded="198.51.100.1")) == "203.0.113.9"


@pytest.mark.parametrize(
    "trusted, forwarded, expected",
    [
        ([PROXY], "198.51.100.1", "198.51.100.1"),
        ([PROXY], " 198.51.100.1 ", "198.51.100.1"),
        # the client's own claim (left) is ignored; the right-most untrusted hop is the client
        ([PROXY], "1.2.3.4, 198.51.100.1", "198.51.100.1"),
        # a chain of trusted proxies is walked past
        (["10.0.0.0/8"], "198.51.100.1, 10.1.1.1, 10.2.2.2", "198.51.100.1"),
        (["10.0.0.0/8", "2001:db8::/32"], "2001:db8::7, 2606:4700::1111", "2606:4700::1111"),
        # nothing usable: the proxy itself
        ([PROXY], "", PROXY),
        ([PROXY], "not an ip", PROXY),
        ([PROXY], "unknown, 198.51.100.1", "198.51.100.1"),
        (["10.0.0.0/8"], "garbage, 10.1.1.1", "10.1.1.1"),  # stops at the last trusted hop
        (["10.0.0.0/8"], "10.1.1.1", "10.1.1.1"),  # all trusted: the left-most one
    ],
)
def test_behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client(settings, trusted, forwarded, expected):
    settings.ROTOR_TRUSTED_PROXIES = trusted

    assert client_ip(request(forwarded=forwarded)) == expected
    assert via_trusted_proxy(request())


def test_a_bad_setting_is_named():
    with pytest.raises(ValueError, match="nope"):
        parse_proxies(["10.0.0.0/8", "nope"])


@pytest.mark.parametrize("trusted, expected", [([], PROXY), ([PROXY], "198.51.100.1")])
def test_events_record_the_believed_address(settings, client, make_app, trusted, expected):
    settings.ROTOR_TRUSTED_PROXIES = trusted
    app, _ = make_app(label="Service", application_type="service", grant_types=["client_credentials"])

    wrong = client.post(
        "/oauth2/v1/token",
        "grant_type=client_credentials&scope=api%3Aread",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=basic_auth(app.client_id, "not the secret at all"),
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.1",
    )

    assert wrong.status_code == 401
    event = Event.objects.get(event_type="app.oauth2.invalid_client_credentials")
    assert event.client_info["ipAddress"] == expected
