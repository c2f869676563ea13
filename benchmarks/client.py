"""A minimal HTTP/1.1 keep-alive client on asyncio streams, and the bench's WebSocket holder.

httpx costs about a millisecond of client CPU per request; on a 2-core machine the
load tool would then compete with the server it measures. This one writes the
request bytes and reads a Content-Length body, nothing more (no chunked bodies:
neither server sends them for these routes).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

PASSWORD = "bench-password"  # the seeded accounts' throwaway password


class Http:
    """One keep-alive connection; reconnects once if the server closed it."""

    def __init__(self, port: int, source: str | None = None) -> None:
        self._port = port
        self._source = source
        self._io: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        local = (self._source, 0) if self._source else None
        self._io = await asyncio.open_connection("127.0.0.1", self._port, local_addr=local)
        return self._io

    async def request(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, bytes]:
        head = f"{method} {path} HTTP/1.1\r\nHost: bench\r\n"
        if token:
            head += f"Authorization: Bearer {token}\r\n"
        data = b"" if body is None else json.dumps(body).encode()
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
        wire = head.encode() + b"\r\n" + data
        for attempt in range(2):
            reader, writer = self._io or await self._open()
            try:
                writer.write(wire)
                status_and_headers = await reader.readuntil(b"\r\n\r\n")
                break
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt:
                    raise
        lines = status_and_headers.decode("latin-1").split("\r\n")
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return int(lines[0].split()[1]), await reader.readexactly(length)

    async def login(self, user: str, device: str) -> tuple[int, dict[str, Any]]:
        body = {"username": user, "password": PASSWORD, "device_id": device}
        status, data = await self.request("POST", "/api/auth/login", body | {"device_name": device})
        return status, json.loads(data)

    def close(self) -> None:
        if self._io is not None:
            self._io[1].close()
            self._io = None


@dataclass
class Held:
    """One held socket: when its ending message came, which, and the close code."""

    ws: ClientConnection
    got_at: float | None = None
    message: str | None = None
    code: int | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)


async def hold(port: int, token: str, source: str) -> Held:
    """Open ``/ws`` with ``token`` from ``source`` and wait for its first message."""
    ws = await connect(
        f"ws://127.0.0.1:{port}/ws",
        additional_headers={"Authorization": f"Bearer {token}"},
        compression=None,
        ping_interval=None,  # the server's pings are still answered
        proxy=None,
        open_timeout=120,
        local_addr=(source, 0),
    )
    hello = json.loads(await ws.recv())
    if hello.get("type") != "hello":
        raise RuntimeError(f"socket refused: {hello}")
    held = Held(ws)
    held.task = asyncio.create_task(_watch(held))
    return held


async def _watch(held: Held) -> None:
    try:
        message = await held.ws.recv()
        held.got_at = time.monotonic()
        held.message = json.loads(message)["type"]
        await held.ws.wait_closed()
    except ConnectionClosed:
        pass
    held.code = held.ws.close_code
