"""Which webhook addresses are refused, pure: only http(s) URLs the HTTP client can send to, whose host
resolves to public unicast addresses (loopback only when a setting allows it), an IPv6 address that carries
an IPv4 one judged by that IPv4 address too; the I/O half (DNS, pinning) is in `adapters/net.py`."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from shared.errors import Invalid

ALLOWED_SCHEMES = frozenset({"http", "https"})
# IPv6 forms whose packets end at an IPv4 host written inside the address (Python gives 6to4 and Teredo):
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 well-known prefix: a gateway forwards to the last 32 bits
# RFC 8215 local-use NAT64 prefix, read in its usual /96 layout (IPv4 in the last 32 bits, as above).
NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
# SIIT IPv4-translated ::ffff:0:a.b.c.d (RFC 2765): a stateless translator forwards to the last 32 bits.
TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
# Deprecated IPv4-compatible ::a.b.c.d (RFC 4291 §2.5.5.1): some stacks still send it to the IPv4 host.
COMPATIBLE = ipaddress.IPv6Network("::/96")


class Refused(Invalid):
    """The SSRF guard refuses the address: a 422 on `url` at creation; at delivery the delivery is parked (a retry
    would be refused the same way), unlike a failure to resolve, which may pass."""


@dataclass(frozen=True)
class WebhookUrl:
    """A webhook address split into what the SSRF guard needs."""

    url: str
    scheme: str
    host: str
    port: int


def parse_webhook_url(url: str) -> WebhookUrl:
    """An http(s) URL with a host that the HTTP client reads as we do; anything else is refused naming the
    `url` field. The host is given in the form that goes on the wire (IDNA for a Unicode name)."""
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
    sendable = _sendable(url.strip())
    if sendable.host != parts.hostname:  # two parsers disagreeing on the host: which one would be checked?
        raise _bad_url(f"ambiguous URL: the HTTP client reads its host as {sendable.host!r}")
    scheme = parts.scheme.lower()
    return WebhookUrl(url=url.strip(), scheme=scheme, host=sendable.raw_host.decode("ascii"),
                      port=port or (443 if scheme == "https" else 80))


def _sendable(url: str) -> httpx.URL:
    """The URL as httpx (the client that delivers) reads it, or a refusal: what it cannot build a request for
    (`http://0177.0.0.1/`, an IDN name IDNA 2008 forbids) would fail at every attempt, for ever."""
    try:
        parsed = httpx.URL(url)
        httpx.Request("POST", parsed)
    except (httpx.InvalidURL, ValueError) as exc:  # IDNA errors are ValueErrors (UnicodeError)
        raise _bad_url(f"the HTTP client cannot send to this URL: {exc}") from exc
    return parsed


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 transition form carries, each with the form's name (none for other addresses;
    IPv4-mapped is not here: it *is* its IPv4 address)."""
    last32 = ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)
    if ip.sixtofour is not None:  # 2002:AABB:CCDD::/48 — a 6to4 relay sends it to AA.BB.CC.DD
        return [("6to4", ip.sixtofour)]
    if ip.teredo is not None:  # 2001::/32 — the server's address, and the client's (its NAT's, de-obfuscated)
        server, client = ip.teredo
        return [("Teredo", server), ("Teredo", client)]
    if ip in NAT64 or ip in NAT64_LOCAL:
        return [("NAT64", last32)]
    if ip in TRANSLATED:
        return [("IPv4-translated", last32)]
    if ip in COMPATIBLE and int(ip) > 1:  # :: and ::1 are IPv6's own unspecified and loopback addresses
        return [("IPv4-compatible", last32)]
    return []


def address_refusal(address: str, *, allow_loopback: bool) -> str | None:
    """Why a resolved address must not be called (None when it may): only public unicast addresses,
    plus loopback when explicitly allowed (development and tests). An IPv6 address carrying an IPv4 one is
    refused when that IPv4 address would be (loopback included: behind a translator it is not this host's),
    and must pass as an IPv6 address too."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1 to the socket: judged as that address alone
    elif isinstance(ip, ipaddress.IPv6Address):
        for form, inner in embedded_ipv4(ip):
            reason = _class_refusal(inner, allow_loopback=False)
            if reason:
                return f"{form} address embedding {inner}, a {reason}"
    return _class_refusal(ip, allow_loopback=allow_loopback)


def _class_refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_loopback: bool) -> str | None:
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
        raise Invalid("Không phân giải được tên máy / webhook URL refused: the host does not resolve",
                      field="url", code="url-refused")
    for address in resolved:
        reason = address_refusal(address, allow_loopback=allow_loopback)
        if reason:
            raise _bad_url(f"{address} is a {reason}")


def _bad_url(reason: str) -> Refused:
    return Refused(f"Địa chỉ webhook không được chấp nhận / webhook URL refused: {reason}",
                   field="url", code="url-refused")
