"""Which webhook addresses are refused, pure: only http(s) URLs whose host resolves to public unicast
addresses (loopback only when a setting allows it); the I/O half (DNS, pinning) is in `net.py`."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from shared.errors import Invalid

ALLOWED_SCHEMES = frozenset({"http", "https"})


@dataclass(frozen=True)
class WebhookUrl:
    """A webhook address split into what the SSRF guard needs."""

    url: str
    scheme: str
    host: str
    port: int


def parse_webhook_url(url: str) -> WebhookUrl:
    """An http(s) URL with a host; anything else is refused naming the `url` field."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise _bad_url(f"malformed URL: {exc}") from exc
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise _bad_url("only http and https are allowed")
    if not parts.hostname:
        raise _bad_url("the URL has no host")
    if parts.username or parts.password:
        raise _bad_url("credentials in the URL are not allowed (the signature authenticates us)")
    scheme = parts.scheme.lower()
    return WebhookUrl(url=url.strip(), scheme=scheme, host=parts.hostname,
                      port=port or (443 if scheme == "https" else 80))


def address_refusal(address: str, *, allow_loopback: bool) -> str | None:
    """Why a resolved address must not be called (None when it may): only public unicast addresses,
    plus loopback when explicitly allowed (development and tests)."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    if ip.is_loopback:
        return None if allow_loopback else "loopback address"
    if ip.is_unspecified:
        return "unspecified address"
    if ip.is_multicast:
        return "multicast address"
    if ip.is_link_local:
        return "link-local address (cloud metadata lives here)"
    if ip.is_private:
        return "private address"
    if not ip.is_global:
        return "reserved or non-public address"
    return None


def check_addresses(addresses: Iterable[str], *, allow_loopback: bool) -> None:
    """Refuse the URL when any address its host resolves to is refused (DNS may answer either)."""
    resolved = list(addresses)
    if not resolved:
        raise _bad_url("the host does not resolve")
    for address in resolved:
        reason = address_refusal(address, allow_loopback=allow_loopback)
        if reason:
            raise _bad_url(f"{address} is a {reason}")


def _bad_url(reason: str) -> Invalid:
    return Invalid(f"Địa chỉ webhook không được chấp nhận / webhook URL refused: {reason}",
                   field="url", code="url-refused")
