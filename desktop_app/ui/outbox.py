"""The sign-out that has not reached the server yet, as the person sees it.

:meth:`Outbox.put` keeps it (:class:`~desktop_app.keeper.Keeper`: settings +
keychain, or memory only), says so under the login form, and sends it
(:meth:`~desktop_app.client.Client.deliver`) until the server has it, then
says that too. One at a time: a newer sign-out replaces an older one.
At start, :meth:`Outbox.resume_at_start` sends last run's, or says once that
it was lost (no keychain to keep its token).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from desktop_app.client import Client
from desktop_app.keeper import Keeper
from desktop_app.records import PendingSignOut
from desktop_app.ui.login import LoginWindow
from desktop_app.ui.wording import delivered_notice, lost_notice, pending_notice

Spawn = Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]]


class Outbox:
    def __init__(self, client: Client, keeper: Keeper, login: LoginWindow, spawn: Spawn) -> None:
        self.client = client
        self.keeper = keeper
        self.login = login
        self._spawn = spawn
        self._wake = asyncio.Event()
        self._sending: asyncio.Task[None] | None = None

    @property
    def pending(self) -> PendingSignOut | None:
        return self.keeper.pending

    def put(self, pending: PendingSignOut, *, send: bool = True) -> None:
        """Keep ``pending``, show the notice, and (unless quitting) start sending it."""
        self.keeper.put_pending(pending)
        self._show_pending(pending)
        if send:
            self._send()

    def resume_at_start(self) -> None:
        record = self.keeper.load_pending()
        if record is None:
            return
        if record.token is None:
            server, expires = record.server, record.expires_at
            self.login.show_notice(lambda: lost_notice(server, expires))
            return
        self._show_pending(record)
        self._send()

    def wake(self) -> None:
        """Try again now (the person asked, or the network is back)."""
        self._wake.set()

    def _show_pending(self, pending: PendingSignOut) -> None:
        server, kept = pending.server, self.keeper.pending_kept
        self.login.show_notice(lambda: pending_notice(server, kept))

    def _send(self) -> None:
        if self._sending is not None and not self._sending.done():
            self._sending.cancel()  # a newer sign-out replaces the older one
        self._sending = self._spawn(self._deliver())

    async def _deliver(self) -> None:
        pending = self.keeper.pending
        if pending is None or pending.token is None:
            return
        self._wake.clear()
        await self.client.deliver(pending, self._wake)
        if self.keeper.pending == pending:
            self.keeper.delivered()
            self.login.show_notice(delivered_notice)
