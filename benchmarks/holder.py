"""A socket-holder process: signs in a slice of the seeded accounts and holds their sockets.

Several run side by side when one process would pass its descriptor limit. Each
binds its sockets to its own loopback source addresses (127.0.0.2, 127.0.0.3, …):
one address has only ~28,000 ephemeral ports towards one server port. Times are
``time.monotonic()``, one clock for every process on the machine, so the kicker
in the main process can subtract its send times from the receive times here.

Driven over a pipe: ``login`` and ``connect`` → their failures, ``report``
→ ``{user: (got_at, message, code)}``, ``close`` → exits.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from multiprocessing.connection import Connection
from typing import Any

import uvloop
from websockets.exceptions import WebSocketException

from benchmarks.client import Held, Http, hold

PER_SOURCE = 10_000  # sockets per source address, well under the ephemeral range
LOGINS_IN_FLIGHT = 64
CONNECTS_IN_FLIGHT = 100


async def _each(items: list[str], in_flight: int, work: Any) -> None:
    queue = list(reversed(items))

    async def lane() -> None:
        while queue:
            await work(queue.pop())

    await asyncio.gather(*(lane() for _ in range(in_flight)))


class Holder:
    def __init__(self, port: int, users: list[str], first_source: int) -> None:
        self.port = port
        self.users = users
        self.first_source = first_source
        self.tokens: dict[str, str] = {}
        self.held: dict[str, Held] = {}

    def source(self, i: int) -> str:
        return f"127.0.0.{self.first_source + i // PER_SOURCE}"

    async def login(self) -> Counter[str]:
        """Sign every account in; the failures, by status or error."""
        failures: Counter[str] = Counter()
        clients = [Http(self.port) for _ in range(LOGINS_IN_FLIGHT)]

        async def one(user: str) -> None:
            http = clients.pop()
            try:
                status, body = await http.login(user, f"held-{user}")
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                failures[type(exc).__name__] += 1
                http.close()
                return
            finally:
                clients.append(http)
            if status == 200:
                self.tokens[user] = body["access_token"]
            else:
                failures[f"HTTP {status}"] += 1

        await _each(self.users, LOGINS_IN_FLIGHT, one)
        for http in clients:
            http.close()
        return failures

    async def connect(self) -> Counter[str]:
        """Open every signed-in account's socket; the failures, by error."""
        failures: Counter[str] = Counter()
        order = {user: i for i, user in enumerate(self.users)}

        async def one(user: str) -> None:
            try:
                self.held[user] = await hold(self.port, self.tokens[user], self.source(order[user]))
            except (OSError, RuntimeError, TimeoutError, WebSocketException) as exc:
                failures[f"{type(exc).__name__}: {exc}"[:80]] += 1

        await _each(list(self.tokens), CONNECTS_IN_FLIGHT, one)
        return failures

    def report(self) -> dict[str, tuple[float | None, str | None, int | None]]:
        return {u: (h.got_at, h.message, h.code) for u, h in self.held.items()}

    async def close(self) -> None:
        for held in self.held.values():
            if held.task is not None:
                held.task.cancel()
            held.ws.transport.abort()


async def _serve(pipe: Connection, holder: Holder) -> None:
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, pipe.recv)
        if command == "login":
            pipe.send(await holder.login())
        elif command == "connect":
            pipe.send(await holder.connect())
        elif command == "report":
            pipe.send(holder.report())
        else:
            await holder.close()
            pipe.send(None)
            return


def main(pipe: Connection, port: int, users: list[str], first_source: int) -> None:
    """Process entry point (multiprocessing, spawn)."""
    uvloop.run(_serve(pipe, Holder(port, users, first_source)))
