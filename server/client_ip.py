"""The client's IP address: what a session stores, the displaced PC is shown and logs print.

Behind ``--proxies-count N`` trusted proxies, Sanic takes the N-th entry from
the right of ``X-Forwarded-For``. That entry is text the proxy relayed, so it
is used only if it is one IP address: optionally ``[bracketed]`` and with a
``:port`` (both dropped), an IPv6 zone id (``%eth0``) dropped, an IPv4-mapped
IPv6 address turned into its IPv4 form, and written compressed
(``2001:DB8::0001`` → ``2001:db8::1``). Anything else, say
``6.6.6.6 event=x``, is ignored and the peer's address (the nearest proxy) is
used instead.

Not guaranteed: that a forwarded address is the client's. A proxy that
appends to a client's own ``X-Forwarded-For`` instead of replacing it passes
on whatever well-formed address the client chose, so count only proxies that
overwrite the header.
"""

from __future__ import annotations

import ipaddress
import re

from sanic import Request

_BRACKETED = re.compile(r"\[([^\]]*)\](?::[0-9]{1,5})?")
_IPV4_PORT = re.compile(r"([0-9.]+):[0-9]{1,5}")


def normalise(text: str) -> str | None:
    """``text`` as one IP address in compressed form, or None if it is not one."""
    if match := _BRACKETED.fullmatch(text) or _IPV4_PORT.fullmatch(text):
        text = match[1]
    if ":" in text:
        text = text.partition("%")[0]  # an IPv6 zone id names the proxy's interface
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.compressed
    return address.compressed


def client_ip(request: Request) -> str:
    """The forwarded address if it is a valid IP, else the peer's, else ``"unknown"``."""
    for candidate in (request.remote_addr, request.ip):
        if candidate and (address := normalise(candidate)) is not None:
            return address
    return "unknown"
