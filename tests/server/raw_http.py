"""A raw HTTP/1.1 client for tests that must send what httpx would refuse or rewrite.

Request targets, header bytes and bodies go on the wire exactly as given;
``Connection: close`` is always added, so a response ends at EOF.
"""

from __future__ import annotations

import base64
import json
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tests.support.server import timeout


@dataclass(frozen=True, slots=True)
class RawResponse:
    status: int
    head: bytes
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def send(
    port: int,
    method: bytes,
    target: bytes,
    headers: Sequence[tuple[bytes, bytes]] = (),
    body: bytes = b"",
    *,
    upgrade: bool = False,
) -> RawResponse:
    """One request on a fresh connection; for ``upgrade`` a WebSocket handshake.

    After a 101 the body holds the first WebSocket frame's payload (the server's
    first message), or is empty if none came in time.
    """
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1", b"Connection: close"]
    if upgrade:
        key = base64.b64encode(os.urandom(16))
        lines[-1] = b"Connection: Upgrade"
        lines += [b"Upgrade: websocket", b"Sec-WebSocket-Version: 13", b"Sec-WebSocket-Key: " + key]
    lines += [name + b": " + value for name, value in headers]
    if body or method in (b"POST", b"PUT", b"PATCH"):
        lines.append(b"Content-Length: " + str(len(body)).encode())
    with socket.create_connection(("127.0.0.1", port), timeout=timeout(10)) as sock:
        sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        data = _read_head(sock)
        head, _, rest = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        if status == 101:
            return RawResponse(status, head, _first_frame(sock, rest))
        return RawResponse(status, head, rest + _read_all(sock))


def _read_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a full response head: {data!r}")
        data += chunk
    return data


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def _first_frame(sock: socket.socket, data: bytes) -> bytes:
    """The payload of the first server frame (servers do not mask)."""
    try:
        while True:
            if len(data) >= 2:
                length, start = data[1] & 0x7F, 2
                if length == 126:
                    length, start = int.from_bytes(data[2:4], "big"), 4
                elif length == 127:
                    length, start = int.from_bytes(data[2:10], "big"), 10
                if len(data) >= start + length:
                    return data[start : start + length]
            chunk = sock.recv(65536)
            if not chunk:
                return b""
            data += chunk
    except TimeoutError:
        return b""
