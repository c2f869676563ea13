"""A lean raw WebSocket client that opens and drops sockets by the hundred thousand.

The websockets library costs the client more CPU per connection than the server
spends; soak tests need the server to be the busy side. Each connection here is
one HTTP upgrade, the server's hello, then either a clean close handshake or an
abortive close (RST, as a crashed PC or a dropped network leaves it). Source
addresses rotate over 127.0.0.2… so that TIME_WAIT never exhausts the ports.
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct
from collections.abc import Sequence

_SOURCES = [f"127.0.0.{i}" for i in range(2, 34)]

Held = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def _upgrade(port: int, token: str) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Authorization: Bearer {token}\r\n\r\n"
    ).encode()


def _close_frame(code: int = 1000) -> bytes:
    mask = os.urandom(4)
    payload = struct.pack("!H", code)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x88, 0x80 | len(payload)]) + mask + masked


async def _read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readexactly(2)
    size = head[1] & 0x7F
    if size == 126:
        size = struct.unpack("!H", await reader.readexactly(2))[0]
    elif size == 127:
        size = struct.unpack("!Q", await reader.readexactly(8))[0]
    return head[0] & 0x0F, await reader.readexactly(size)


async def open_silent(
    port: int, token: str, source: str = "127.0.0.1"
) -> tuple[asyncio.StreamWriter, bytes]:
    """Open one socket, read its first message, then never read again (a hung PC).

    The caller keeps the writer (closing it ends the connection); nothing reads
    the stream, so what the server sends next sits unread in the kernel's buffers.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    writer.write(_upgrade(port, token))
    status = await reader.readuntil(b"\r\n\r\n")
    if not status.startswith(b"HTTP/1.1 101"):
        writer.close()
        raise ConnectionError(status.split(b"\r\n", 1)[0].decode(errors="replace"))
    _, first = await _read_frame(reader)
    return writer, first


def ping_frame(payload: bytes = b"x" * 100) -> bytes:
    """One masked client ping (payload under 126 bytes)."""
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x89, 0x80 | len(payload)]) + mask + masked


async def open_flooder(port: int, token: str) -> tuple[asyncio.StreamWriter, bytes]:
    """Like :func:`open_silent`, with a receive buffer of a few KiB: a peer that sends
    but does not read fills the server's write buffer at once."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    reader, writer = await asyncio.open_connection(sock=sock)
    writer.write(_upgrade(port, token))
    status = await reader.readuntil(b"\r\n\r\n")
    if not status.startswith(b"HTTP/1.1 101"):
        writer.close()
        raise ConnectionError(status.split(b"\r\n", 1)[0].decode(errors="replace"))
    _, first = await _read_frame(reader)
    return writer, first


async def cycle(port: int, token: str, source: str, *, graceful: bool) -> bytes:
    """Open one socket, read its first message, then close it; returns that message."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    try:
        writer.write(_upgrade(port, token))
        status = await reader.readuntil(b"\r\n\r\n")
        if not status.startswith(b"HTTP/1.1 101"):
            raise ConnectionError(status.split(b"\r\n", 1)[0].decode(errors="replace"))
        _, first = await _read_frame(reader)
        if graceful:
            writer.write(_close_frame())
            while (await _read_frame(reader))[0] != 0x8:
                pass
            await reader.read()  # the server closes the TCP connection first
        else:
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return first
    finally:
        writer.close()


async def hold(port: int, token: str, source: str = "127.0.0.1") -> Held:
    """Open one socket and read the server's hello; the socket stays open."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    writer.write(_upgrade(port, token))
    status = await reader.readuntil(b"\r\n\r\n")
    if not status.startswith(b"HTTP/1.1 101"):
        writer.close()
        raise ConnectionError(status.split(b"\r\n", 1)[0].decode(errors="replace"))
    await _read_frame(reader)
    return reader, writer


async def close_code(held: Held) -> int | None:
    """Read until the server closes the socket; the close code it sent, answered as a
    client does, or None if the connection ended without a close frame."""
    reader, writer = held
    try:
        while True:
            opcode, payload = await _read_frame(reader)
            if opcode == 0x8:
                code: int | None = struct.unpack("!H", payload[:2])[0] if payload else None
                writer.write(_close_frame(code or 1000))
                return code
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    finally:
        writer.close()


async def churn(port: int, tokens: Sequence[str], count: int) -> int:
    """Open and drop ``count`` sockets, one lane per token; every other one aborts.

    Returns how many saw the server's hello.
    """
    hellos = 0
    per_lane = count // len(tokens)

    async def lane(n: int, token: str) -> None:
        nonlocal hellos
        for i in range(per_lane):
            source = _SOURCES[(n + i) % len(_SOURCES)]
            first = await cycle(port, token, source, graceful=i % 2 == 0)
            hellos += b'"hello"' in first

    await asyncio.gather(*(lane(n, t) for n, t in enumerate(tokens)))
    return hellos
