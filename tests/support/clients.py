"""Small real clients for tests: HTTP login and a WebSocket reader."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.support.server import ServerProcess, login_body, timeout


def login(server: ServerProcess, user: str = "user1", device: str = "PC-1", **extra: Any) -> Any:
    """Log in and return the JSON body; asserts 200."""
    r = httpx.post(server.url + "/api/auth/login", json=login_body(user, device, **extra))
    assert r.status_code == 200, r.text
    return r.json()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Socket:
    """A connected /ws client that records messages until the server closes it."""

    conn: ClientConnection
    messages: list[dict[str, Any]] = field(default_factory=list)

    async def next_message(self, wait: float = 5.0) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.conn.recv(), timeout(wait))
        message: dict[str, Any] = json.loads(raw)
        self.messages.append(message)
        return message

    async def until_closed(self, wait: float = 5.0) -> int | None:
        """Read until the close; return the close code the server sent."""
        try:
            while True:
                await self.next_message(wait)
        except ConnectionClosed:
            pass
        return self.conn.close_code


async def open_socket(server: ServerProcess, token: str | None, **kw: Any) -> Socket:
    headers = auth(token) if token else {}
    conn = await connect(server.ws_url, additional_headers=headers, open_timeout=timeout(5), **kw)
    return Socket(conn)


async def connected(server: ServerProcess, token: str) -> Socket:
    """Open a socket and consume its hello; asserts it is one."""
    sock = await open_socket(server, token)
    hello = await sock.next_message()
    assert hello["type"] == "hello", hello
    return sock
