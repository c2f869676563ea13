"""A real TCP relay between the app and a real server, for cutting the network.

``cut()`` drops every relayed connection (the app sees a dead socket, as when
Wi-Fi goes or the PC sleeps) — also one the listener accepted before the cut
but had not set up yet — and stops listening, so reconnects are refused;
``restore()`` listens again on the same port. It also keeps the bytes each
client sent, so a test can read the WebSocket close code the app put on the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from dataclasses import dataclass, field


@dataclass
class _Link:
    upstream_bytes: bytearray = field(default_factory=bytearray)  # what the client sent
    writers: list[asyncio.StreamWriter] = field(default_factory=list)


class Proxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.links: list[_Link] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._era = 0  # bumped by cut(): a connection accepted in an earlier era is dropped
        #: Connections whose first bytes start with this are dropped (e.g. b"GET /ws").
        self.refuse: bytes | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> Proxy:
        era = self._era

        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            # Tracked like the pumps, so close() also ends one still connecting upstream.
            task = asyncio.current_task()
            assert task is not None
            self._tasks.add(task)
            try:
                await self._accept(reader, writer, era)
            except asyncio.CancelledError:
                writer.transport.abort()
                raise
            finally:
                self._tasks.discard(task)

        self._server = await asyncio.start_server(accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def cut(self) -> None:
        """Refuse new connections and abort the open ones (no close frame, no FIN)."""
        self._era += 1
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for link in self.links:
            for writer in link.writers:
                writer.transport.abort()

    async def restore(self) -> None:
        await self.start()

    async def close(self) -> None:
        await self.cut()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, era: int
    ) -> None:
        if era != self._era:  # accepted just before a cut, and only now handed to us
            writer.transport.abort()
            return
        link = _Link(writers=[writer])
        self.links.append(link)
        first = await reader.read(65536)
        if era != self._era or (self.refuse is not None and first.startswith(self.refuse)):
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        if era != self._era:  # cut meanwhile: this one must not outlive the cut
            writer.transport.abort()
            up_writer.transport.abort()
            return
        link.writers.append(up_writer)
        link.upstream_bytes += first
        up_writer.write(first)
        for pump in (
            self._pump(reader, up_writer, link.upstream_bytes),
            self._pump(up_reader, writer, None),
        ):
            task = asyncio.get_running_loop().create_task(pump)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _pump(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, record: bytearray | None
    ) -> None:
        try:
            while data := await reader.read(65536):
                if record is not None:
                    record += data
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(ConnectionError, OSError, RuntimeError):
                writer.close()

    def close_codes_sent(self) -> list[int | None]:
        """Per relayed connection, the close code of the client's close frame (or None)."""
        return [_client_close_code(bytes(link.upstream_bytes)) for link in self.links]


def _client_close_code(data: bytes) -> int | None:
    """Parse client→server WebSocket frames after the HTTP upgrade request."""
    head_end = data.find(b"\r\n\r\n")
    if head_end < 0 or not data.startswith(b"GET "):
        return None
    pos = head_end + 4
    while pos + 2 <= len(data):
        opcode, length = data[pos] & 0x0F, data[pos + 1] & 0x7F
        masked = data[pos + 1] & 0x80
        pos += 2
        if length == 126:
            (length,) = struct.unpack("!H", data[pos : pos + 2])
            pos += 2
        elif length == 127:
            (length,) = struct.unpack("!Q", data[pos : pos + 8])
            pos += 8
        mask = data[pos : pos + 4] if masked else b"\0\0\0\0"
        pos += 4 if masked else 0
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(data[pos : pos + length]))
        pos += length
        if opcode == 0x8:
            return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
    return None
