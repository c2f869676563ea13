"""The HTTP half of the client: one coroutine per API call, typed results. No Qt.

Errors come back as exceptions carrying what a window needs to say:
:class:`LoginRefused` (a :class:`~desktop_app.session.LoginFailure`),
:class:`Conflict` (409 ``session_active``: the sessions in the way and the
policy) and :class:`SessionEnded` (a 401 on an authenticated call: why, and
who). The password is sent once and kept nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from desktop_app.session import FailureKind, LoginFailure
from desktop_app.wire import (
    Ending,
    OwnSession,
    ProtocolError,
    ending_from_error,
    parse_json_object,
    parse_own_session,
    parse_session,
)
from shared import paths
from shared.errors import ErrorCode
from shared.messages import Session


@dataclass(frozen=True, slots=True)
class Endpoints:
    http_base: str  # "http://host:port", no trailing slash
    ws_url: str  # "ws://host:port/ws"

    def url(self, path: str) -> str:
        return self.http_base + path


def endpoints(address: str) -> Endpoints:
    """Turn what a person typed ("host:8000", "https://x/") into the two base URLs.

    Raises ValueError for anything that is not an http(s) address with a host.
    """
    text = address.strip()
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) server address: {address!r}")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ValueError(f"bad port in {address!r}") from None
    base = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
    ws_scheme = "wss" if parts.scheme == "https" else "ws"
    ws = urlunsplit((ws_scheme, parts.netloc, parts.path.rstrip("/") + paths.WS, "", ""))
    return Endpoints(base, ws)


@dataclass(frozen=True, slots=True)
class Device:
    device_id: str  # a UUID kept per installation (per --profile)
    device_name: str


@dataclass(frozen=True, slots=True)
class Grant:
    """A successful login: the token lives here, in memory only."""

    token: str
    session: Session
    displaced: tuple[Session, ...]


class LoginRefused(Exception):
    def __init__(self, failure: LoginFailure) -> None:
        super().__init__(failure.kind.value)
        self.failure = failure


class Conflict(Exception):
    """409 ``session_active``: the account is at its limit elsewhere."""

    def __init__(self, sessions: tuple[Session, ...], policy: str) -> None:
        super().__init__(policy)
        self.sessions = sessions
        self.policy = policy


class SessionEnded(Exception):
    """An authenticated call was refused because the session is over."""

    def __init__(self, ending: Ending) -> None:
        super().__init__(ending.reason.value)
        self.ending = ending


class ApiError(Exception):
    """Any other failure of an authenticated call (network, 5xx, nonsense)."""


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        return parse_json_object(response.content)
    except ProtocolError:
        return {}


def _refused(kind: FailureKind, detail: str = "", **extra: Any) -> LoginRefused:
    return LoginRefused(LoginFailure(kind, detail=detail, **extra))


async def login(
    http: httpx.AsyncClient,
    ep: Endpoints,
    username: str,
    password: str,
    device: Device,
    *,
    takeover: bool = False,
) -> Grant:
    """``POST /api/auth/login``; raises :class:`LoginRefused` or :class:`Conflict`."""
    payload: dict[str, object] = {
        "username": username,
        "password": password,
        "device_id": device.device_id,
        "device_name": device.device_name,
    }
    if takeover:
        payload["takeover"] = True
    try:
        response = await http.post(ep.url(paths.LOGIN), json=payload)
    except httpx.HTTPError as exc:
        raise _refused(FailureKind.UNREACHABLE, f"{type(exc).__name__}: {exc}") from None
    body = _body(response)
    error = body.get("error")
    if response.status_code == 200:
        try:
            token = body["access_token"]
            if not isinstance(token, str) or not token:
                raise ProtocolError("access_token missing")
            displaced = tuple(parse_session(s) for s in body.get("displaced") or ())
            return Grant(token, parse_session(body.get("session")), displaced)
        except (KeyError, ProtocolError) as exc:
            raise _refused(FailureKind.PROTOCOL, f"bad login answer: {exc}") from None
    if response.status_code == 409 and error == ErrorCode.SESSION_ACTIVE:
        try:
            sessions = tuple(parse_session(s) for s in body.get("sessions") or ())
        except ProtocolError:
            sessions = ()
        raise Conflict(sessions, str(body.get("policy", "reject")))
    if response.status_code == 401:
        raise _refused(FailureKind.INVALID_CREDENTIALS)
    if response.status_code == 429:
        raise _refused(FailureKind.RATE_LIMITED, retry_after=_retry_after(response, body))
    if response.status_code == 503:
        raise _refused(FailureKind.STORE_UNAVAILABLE)
    raise _refused(FailureKind.PROTOCOL, f"HTTP {response.status_code} {error or ''}".strip())


def _retry_after(response: httpx.Response, body: dict[str, Any]) -> float | None:
    for value in (body.get("retry_after"), response.headers.get("Retry-After")):
        try:
            return max(float(value), 0.0) if value is not None else None
        except (TypeError, ValueError):
            continue
    return None


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _authenticated_get(http: httpx.AsyncClient, url: str, token: str) -> dict[str, Any]:
    try:
        response = await http.get(url, headers=_auth(token))
    except httpx.HTTPError as exc:
        raise ApiError(f"{type(exc).__name__}: {exc}") from None
    body = _body(response)
    if response.status_code == 401:
        ending = ending_from_error(body)
        if ending is not None:
            raise SessionEnded(ending)
    if response.status_code != 200:
        raise ApiError(f"HTTP {response.status_code} {body.get('error', '')}".strip())
    return body


async def own_sessions(http: httpx.AsyncClient, ep: Endpoints, token: str) -> list[OwnSession]:
    """``GET /api/sessions``: this account's live sessions, this PC's marked ``current``."""
    body = await _authenticated_get(http, ep.url(paths.SESSIONS), token)
    try:
        return [parse_own_session(s) for s in body.get("sessions") or ()]
    except ProtocolError as exc:
        raise ApiError(str(exc)) from None


async def logout(http: httpx.AsyncClient, ep: Endpoints, token: str) -> None:
    """``POST /api/auth/logout``. Best effort: a session that is already over is fine."""
    try:
        await http.post(ep.url(paths.LOGOUT), headers=_auth(token))
    except httpx.HTTPError as exc:
        raise ApiError(f"{type(exc).__name__}: {exc}") from None
