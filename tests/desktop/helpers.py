"""Small shared pieces for the desktop tests: waiting, recording, the API."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from desktop_app.backoff import Backoff
from desktop_app.session import SessionMachine, State, Transition
from tests.support.polling import eventually as eventually  # re-exported for the tests
from tests.support.server import ServerProcess, login_body, timeout


def quick_backoff() -> Backoff:
    """Reconnects within tenths of a second, so tests do not wait out 0.5 s → 30 s."""
    return Backoff(base=0.05, cap=0.3)


class Recorder:
    """Keeps every state the machine passes through."""

    def __init__(self, machine: SessionMachine) -> None:
        self.states: list[State] = [machine.state]
        machine.subscribe(self._seen)

    def _seen(self, transition: Transition) -> None:
        if transition.state_changed:
            self.states.append(transition.new.state)


async def api_login(
    server: ServerProcess | str, user: str = "user1", device: str = "PC-2", **extra: Any
) -> httpx.Response:
    """A second PC signing in through the HTTP API (not through the app)."""
    url = server if isinstance(server, str) else server.url
    async with httpx.AsyncClient(timeout=timeout(10)) as http:
        return await http.post(url + "/api/auth/login", json=login_body(user, device, **extra))


async def api_get(server: ServerProcess, path: str, token: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=timeout(10)) as http:
        return await http.get(server.url + path, headers={"Authorization": f"Bearer {token}"})


async def in_thread(fn: Callable[[], object], wait: float = 30.0) -> None:
    """Run blocking ``fn`` in a plain thread and await it by polling.

    Not ``asyncio.to_thread``: under qasync that goes through a QThread executor,
    and we want the loop under test doing nothing unusual.
    """
    import threading

    errors: list[BaseException] = []

    def run() -> None:
        try:
            fn()
        except BaseException as exc:  # handed to the awaiting test
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    await eventually(lambda: not thread.is_alive(), wait, f"{fn} to finish")
    if errors:
        raise errors[0]


@asynccontextmanager
async def silent_server() -> AsyncIterator[str]:
    """A real listener that accepts connections and never answers: a hung server."""
    held: list[asyncio.StreamWriter] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # kept open, unanswered, until the block ends

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for writer in held:
            writer.transport.abort()
        server.close()
        await server.wait_closed()


def patient_backoff() -> Backoff:
    """Exactly 30 s before every retry: whatever reconnects sooner is not the backoff."""
    return Backoff(base=30, cap=30, uniform=lambda low, high: high)


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A throw-away certificate and key for 127.0.0.1 (openssl, about 0.1 s)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@asynccontextmanager
async def tls_listener(folder: Path) -> AsyncIterator[str]:
    """A real TLS listener with a self-signed certificate no client trusts."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*self_signed(folder))

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0, ssl=context)
    try:
        yield f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        await server.wait_closed()
