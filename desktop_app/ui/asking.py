"""The ``ask`` policy on the PC in the way, as the person sees it.

:meth:`Asking.news` puts each ``takeover_request`` the socket brings into the
prompt (:mod:`desktop_app.ui.takeover_prompt`; the tray, if any, notifies
without naming the PC) and takes it away on ``takeover_closed``. Allow and
Deny are sent by :meth:`Asking.answer`: once the server has the answer the
prompt goes (on Allow, ``displaced`` follows); an answer that came too late is
said under the main window's details; one that may not have arrived is said
in the prompt, whose buttons work again. Requests only reach the prompt while
this PC has a session; the controller dismisses it when the session ends.
"""

from __future__ import annotations

from collections.abc import Callable

from desktop_app.api import ApiError, SessionEnded, TakeoverGone
from desktop_app.client import Client
from desktop_app.session import LoginFailure
from desktop_app.takeover import TakeoverClosed, TakeoverRequest
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.outbox import Spawn
from desktop_app.ui.takeover_prompt import TakeoverPrompt, answer_failed_message, gone_message
from desktop_app.ui.tray import Tray

REMEMBERED = 8
"""Requests whose asker's name is kept for a late answer's sentence."""


class Asking:
    def __init__(
        self,
        client: Client,
        prompt: TakeoverPrompt,
        main: MainWindow,
        tray: Tray | None,
        spawn: Spawn,
        may_ask: Callable[[], bool],
    ) -> None:
        self.client = client
        self.prompt = prompt
        self.main = main
        self.tray = tray
        self._spawn = spawn
        self._may_ask = may_ask  # False once the session is over, or the app quits
        # Who asked, by request id, for the few latest: an answer may be settled after
        # its request left the prompt, and is then told by the asking PC's name.
        self._askers: dict[str, str] = {}
        prompt.answered.connect(self.answer)

    def news(self, news: TakeoverRequest | TakeoverClosed) -> None:
        """The socket says another PC asks for this account, or that its request is settled."""
        if isinstance(news, TakeoverClosed):
            self.prompt.close_request(news.id)
        elif self._may_ask():
            self._askers[news.id] = news.by["device_name"]
            while len(self._askers) > REMEMBERED:
                del self._askers[next(iter(self._askers))]
            self.prompt.ask(news)
            if self.tray is not None:
                self.tray.takeover_requested()

    def answer(self, request_id: str, allow: bool) -> None:
        """Allow or Deny in the prompt: send the answer (the prompt waits for it)."""
        self._spawn(self._answer(request_id, allow))

    def _still_asked(self, request_id: str) -> bool:
        request = self.prompt.request
        return request is not None and request.id == request_id

    async def _answer(self, request_id: str, allow: bool) -> None:
        device = self._askers.get(request_id, "?")
        try:
            await self.client.answer_takeover(request_id, allow)
        except SessionEnded:
            self.prompt.dismiss()  # the ending dialog says why
            return
        except TakeoverGone as exc:
            if self._still_asked(request_id):
                self.prompt.dismiss()
            outcome = exc.outcome
            self.main.show_notice(lambda: gone_message(device, outcome))
            return
        except ApiError as exc:
            failure = LoginFailure(exc.kind, status=exc.status)
            server = self.client.machine.snapshot.server or ""
            if self._still_asked(request_id):
                self.prompt.answer_failed(lambda: answer_failed_message(failure, server))
            return
        if self._still_asked(request_id):  # allowed: `displaced` follows; denied: this PC goes on
            self.prompt.dismiss()
