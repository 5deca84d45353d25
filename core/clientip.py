"""The client's IP address, the one every event records and every per-IP limit counts.

`REMOTE_ADDR` is the peer that opened the connection. Behind a reverse proxy that is the proxy, so
every user would share one address; the proxy names the real peer in `X-Forwarded-For`. That
header is believed only when `REMOTE_ADDR` is one of `ROTOR_TRUSTED_PROXIES` (IPs or CIDRs, empty
by default): anybody else can write anything in it.

The header lists one address per hop, each appended by the hop that saw it, so only its right
end was written by our proxies. `client_ip()` walks it from the right, past the trusted proxies,
to the first address no trusted proxy has: the left-most part is the client's own claim and is
ignored. Call it and nothing else; `via_trusted_proxy()` says whether the request came through one.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_proxies(entries) -> tuple[Network, ...]:
    """`ROTOR_TRUSTED_PROXIES` as networks; ValueError names a bad entry (settings fail at startup)."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or CIDR: {entry!r}") from None
    return tuple(networks)


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_proxies(entries)


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def is_trusted_proxy(address: str) -> bool:
    """Whether `address` (a literal IP) is one of ROTOR_TRUSTED_PROXIES."""
    proxies = settings.ROTOR_TRUSTED_PROXIES
    if not proxies:  # the default: no address parsing on every request
        return False
    ip = _address(address)
    if ip is None:
        return False
    return any(ip in net for net in _networks(tuple(proxies)))


def via_trusted_proxy(request) -> bool:
    """Whether the request reached us through a trusted proxy (so `client_ip()` read the header)."""
    return is_trusted_proxy(request.META.get("REMOTE_ADDR", ""))


def client_ip(request) -> str:
    """REMOTE_ADDR, or behind a trusted proxy the right-most address of X-Forwarded-For that is not
    a trusted proxy. A malformed hop stops the walk at the last trusted address: a trusted proxy
    writes only addresses, so anything else came from the client and proves nothing."""
    address = request.META.get("REMOTE_ADDR", "")
    if not is_trusted_proxy(address):
        return address
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        ip = _address(hop)
        if ip is None:
            break
        address = str(ip)
        if not is_trusted_proxy(address):
            break
    return address
