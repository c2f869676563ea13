"""Every error leaves as JSON ``{"error": <code>, ...}`` with the right status.

Handlers validate what they read; as a last line of defence, a RecursionError
(input nested too deep for a parser) or a UnicodeError (text that cannot be
encoded, such as a lone surrogate) that escapes a handler is the client's
fault and leaves as 400 ``bad_request``, logged at warning with the path, never
as a 500 with a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from sanic import Request, Sanic
from sanic.exceptions import MethodNotAllowed, NotFound, SanicException
from sanic.response import HTTPResponse, json

from server.sessions.records import StoreUnavailable
from shared.errors import ErrorCode

log = logging.getLogger("loginguard.errors")


class HttpError(Exception):
    """Raised by handlers; rendered as ``status`` + ``{"error": code, **extra}``."""

    def __init__(
        self,
        status: int,
        code: ErrorCode,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(code.value)
        self.status = status
        self.code = code
        self.headers = headers or {}
        self.extra = extra


def error_json(
    status: int, code: ErrorCode, headers: dict[str, str] | None = None, **extra: Any
) -> HTTPResponse:
    return json({"error": code.value, **extra}, status=status, headers=headers)


def install(app: Sanic[Any, Any]) -> None:
    """Route every exception through one JSON renderer."""

    def count(request: Request, code: ErrorCode) -> None:
        state = getattr(request.app.ctx, "lg", None)
        if state is not None:
            state.metrics.errors.labels(code.value).inc()

    async def api_error(request: Request, exc: HttpError) -> HTTPResponse:
        count(request, exc.code)
        return error_json(exc.status, exc.code, exc.headers, **exc.extra)

    async def store_down(request: Request, exc: StoreUnavailable) -> HTTPResponse:
        count(request, ErrorCode.STORE_UNAVAILABLE)
        log.warning("event=store_unavailable path=%s", request.path)
        return error_json(503, ErrorCode.STORE_UNAVAILABLE, {"Retry-After": "1"})

    async def sanic_error(request: Request, exc: SanicException) -> HTTPResponse:
        if isinstance(exc, NotFound):
            code = ErrorCode.NOT_FOUND
        elif isinstance(exc, MethodNotAllowed):
            code = ErrorCode.METHOD_NOT_ALLOWED
        elif exc.status_code < 500:
            code = ErrorCode.BAD_REQUEST
        else:
            code = ErrorCode.INTERNAL
        count(request, code)
        return error_json(exc.status_code, code, getattr(exc, "headers", None))

    async def bad_input(request: Request, exc: RecursionError | UnicodeError) -> HTTPResponse:
        count(request, ErrorCode.BAD_REQUEST)
        log.warning("event=bad_input error=%s path=%s", type(exc).__name__, request.path)
        return error_json(400, ErrorCode.BAD_REQUEST)

    async def unexpected(request: Request, exc: Exception) -> HTTPResponse:
        count(request, ErrorCode.INTERNAL)
        log.exception("event=internal_error path=%s", request.path)
        return error_json(500, ErrorCode.INTERNAL)

    app.error_handler.add(HttpError, api_error)
    app.error_handler.add(StoreUnavailable, store_down)
    app.error_handler.add(SanicException, sanic_error)
    app.error_handler.add(RecursionError, bad_input)
    app.error_handler.add(UnicodeError, bad_input)
    app.error_handler.add(Exception, unexpected)
