"""Only a well-formed IP address from a trusted proxy's header becomes the client's IP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from server.client_ip import normalise
from tests.support.clients import connected
from tests.support.server import ServerProcess, login_body


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("203.0.113.7:8080", "203.0.113.7"),
        ("2001:DB8::0001", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("fe80::1%eth0", "fe80::1"),
        ("fe80::1%eth0 user=admin", "fe80::1"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("6.6.6.6 event=session_created user=admin", None),
        ("6.6.6.6\nevent=x", None),
        (" 6.6.6.6", None),
        ("6.6.6.6%eth0", None),
        ("06.6.6.6", None),
        ("unknown", None),
        ("_hidden", None),
        ("example.com", None),
        ("", None),
    ],
)
def test_only_ip_addresses_survive(text: str, address: str | None) -> None:
    """An IP address (bracketed, with port or zone) normalises; any other text is refused."""
    assert normalise(text) == address


def _login(server: ServerProcess, device: str, forwarded: str) -> httpx.Response:
    return httpx.post(
        server.url + "/api/auth/login",
        json=login_body("user1", device),
        headers={"X-Forwarded-For": forwarded},
    )


@pytest.mark.parametrize(
    ("forwarded", "stored"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:DB8::0001", "2001:db8::1"),
        ("fe80::1%eth0", "fe80::1"),
    ],
)
def test_a_valid_forwarded_address_is_stored_compressed(
    start_server: Callable[..., ServerProcess], forwarded: str, stored: str
) -> None:
    """Behind one proxy, a forwarded IP address is the session's, in compressed form."""
    server = start_server("--demo", "--proxies-count", "1")
    r = _login(server, "PC-1", forwarded)
    assert r.json()["session"]["ip"] == stored


async def test_forged_forwarded_header_and_device_name_cannot_forge_log_fields(
    start_server: Callable[..., ServerProcess],
) -> None:
    """A forged X-Forwarded-For yields the peer's IP, and a hostile device name one quoted field."""
    server = start_server("--demo", "--proxies-count", "1")
    first = await asyncio.to_thread(_login, server, "PC-1", "203.0.113.7")
    sock = await connected(server, first.json()["access_token"])
    device = 'PC 2 user=admin\nevent=forged x="y"'
    forged = "6.6.6.6 event=session_created user=admin"
    second = await asyncio.to_thread(_login, server, device, forged)
    assert second.json()["session"]["ip"] == "127.0.0.1"
    message = await sock.next_message()
    assert message["by"] == {**message["by"], "ip": "127.0.0.1"}
    assert message["by"]["device_name"] == 'PC 2 user=admin event=forged x="y"'
    await sock.until_closed()
    lines = server.log_with("event=session_displaced").splitlines()
    # The first login's line; the second one's is the displacement's.
    assert len([line for line in lines if "event=session_created" in line]) == 1, lines
    displaced = [line for line in lines if "event=session_displaced" in line]
    assert len(displaced) == 1, lines
    assert displaced[0].endswith(
        'by_device="PC 2 user=admin event=forged x=\\"y\\"" by_ip=127.0.0.1'
    ), displaced[0]
    assert [line for line in lines if "forged" in line] == displaced
    assert not any("6.6.6.6" in line for line in lines)
