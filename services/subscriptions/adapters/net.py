"""The SSRF guard's I/O half: resolve a webhook host, refuse unsafe addresses, and pin the call to the
address that was checked (so a DNS answer that changes between check and connect cannot redirect it)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field

import httpx

from services.subscriptions.adapters.urls import WebhookUrl, check_addresses, parse_webhook_url
from shared.errors import Invalid

RESOLVE_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class PinnedTarget:
    """Where to send a webhook: the URL with its host replaced by a checked address, and the Host
    header and TLS server name of the original host."""

    url: httpx.URL
    headers: dict[str, str]
    extensions: dict[str, str] = field(default_factory=dict)


async def resolve(host: str, port: int) -> list[str]:
    """The addresses of a host (a literal address is its own answer)."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(loop.getaddrinfo(host, port, type=socket.SOCK_STREAM),
                                       timeout=RESOLVE_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise Invalid(f"Không phân giải được tên máy / the host {host!r} does not resolve",
                      field="url", code="url-refused") from exc
    return sorted({str(info[4][0]).split("%")[0] for info in infos})


async def check_url(url: str, *, allow_loopback: bool) -> WebhookUrl:
    """A webhook URL that passes the SSRF guard, or `Invalid` naming the `url` field."""
    parsed = parse_webhook_url(url)
    check_addresses(await resolve(parsed.host, parsed.port), allow_loopback=allow_loopback)
    return parsed


async def pin(url: str, *, allow_loopback: bool) -> PinnedTarget:
    """Check the URL again at delivery time and aim the request at the checked address."""
    parsed = parse_webhook_url(url)
    addresses = await resolve(parsed.host, parsed.port)
    check_addresses(addresses, allow_loopback=allow_loopback)
    default_port = 443 if parsed.scheme == "https" else 80
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    host_header = host if parsed.port == default_port else f"{host}:{parsed.port}"
    extensions = {"sni_hostname": parsed.host} if parsed.scheme == "https" else {}
    target = httpx.URL(parsed.url).copy_with(host=addresses[0])
    return PinnedTarget(url=target, headers={"host": host_header}, extensions=extensions)
