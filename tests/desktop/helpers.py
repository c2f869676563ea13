"""Small shared pieces for the desktop tests: waiting, recording, the API."""

from __future__ import annotations

from collections.abc import Callable
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
