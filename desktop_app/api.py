"""The HTTP half of the client: one coroutine per API call, typed results. No Qt.

Errors come back as exceptions carrying what a window needs to say:
:class:`LoginRefused` (a :class:`~desktop_app.session.LoginFailure`),
:class:`Conflict` (409 ``session_active``: the sessions in the way and the
policy), :class:`SessionEnded` (a 401 on an authenticated call: why, and
who), :class:`NoSuchSession` (404: the session to end is gone already) and
:class:`ApiError` (anything else). Network trouble is sorted into a
:class:`~desktop_app.session.FailureKind` here (:func:`kind_of_error`,
:func:`kind_of_status`), so no window ever shows an exception's own English.
The password is sent once and kept nowhere.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

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
from shared.device_classes import DEFAULT_CLASS
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


class NoSuchSession(Exception):
    """404 ``not_found``: the session to end is not (or no longer) one of the account's."""


class ApiError(Exception):
    """Any other failure of a call (network, 5xx, nonsense), sorted by ``kind``."""

    def __init__(self, kind: FailureKind, detail: str = "", status: int | None = None) -> None:
        super().__init__(detail or kind.value)
        self.kind = kind
        self.status = status


def kind_of_error(exc: httpx.HTTPError) -> FailureKind:
    """What a transport failure means for a person: unreachable, too slow, TLS, or odd."""
    if isinstance(exc, httpx.TimeoutException):  # also a TLS handshake that never finished
        return FailureKind.TIMEOUT
    cause: BaseException | None = exc
    for _ in range(8):  # httpx → httpcore → ssl: the TLS error sits at the bottom
        if cause is None:
            break
        if isinstance(cause, ssl.SSLError):
            return FailureKind.TLS
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return FailureKind.INVALID_ADDRESS
    if isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError):
        # Refused, reset, or closed before an answer: nothing usable came back.
        return FailureKind.UNREACHABLE
    return FailureKind.PROTOCOL


def kind_of_status(status: int) -> FailureKind:
    """An HTTP status no call expected, as a kind of failure."""
    if status == 503:
        return FailureKind.STORE_UNAVAILABLE
    if status >= 500:
        return FailureKind.SERVER_ERROR
    return FailureKind.PROTOCOL


def _transport(exc: httpx.HTTPError) -> str:
    return f"{type(exc).__name__}: {exc}"  # for logs only


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
        "device_class": DEFAULT_CLASS,  # a desktop PC: never displaced by a phone's login
    }
    if takeover:
        payload["takeover"] = True
    try:
        response = await http.post(ep.url(paths.LOGIN), json=payload)
    except httpx.HTTPError as exc:
        raise _refused(kind_of_error(exc), _transport(exc)) from None
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
            raise _refused(FailureKind.PROTOCOL, f"bad login answer: {exc}", status=200) from None
    if response.status_code == 409 and error == ErrorCode.SESSION_ACTIVE:
        try:
            sessions = tuple(parse_session(s) for s in body.get("sessions") or ())
        except ProtocolError:
            sessions = ()
        raise Conflict(sessions, str(body.get("policy", "reject")))
    if response.status_code == 401:
        raise _refused(FailureKind.INVALID_CREDENTIALS)
    if response.status_code == 429:
        kind = FailureKind.RATE_LIMITED
        if error == ErrorCode.ACCOUNT_CONTESTED:
            kind = FailureKind.CONTESTED
        raise _refused(kind, retry_after=_retry_after(response, body))
    if response.status_code == 403 and error == ErrorCode.ACCOUNT_DISABLED:
        raise _refused(FailureKind.ACCOUNT_DISABLED)
    if response.status_code in (400, 422) and error in _INPUT_ERRORS:
        raise _refused(FailureKind.REJECTED_INPUT, str(body.get("field", "")))
    status = response.status_code
    raise _refused(kind_of_status(status), f"HTTP {status} {error or ''}".strip(), status=status)


_INPUT_ERRORS = (ErrorCode.BAD_REQUEST, ErrorCode.VALIDATION_FAILED)


def _retry_after(response: httpx.Response, body: dict[str, Any]) -> float | None:
    for value in (body.get("retry_after"), response.headers.get("Retry-After")):
        try:
            return max(float(value), 0.0) if value is not None else None
        except (TypeError, ValueError):
            continue
    return None


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _authenticated(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    token: str,
    *,
    ok: int = 200,
    params: dict[str, str] | None = None,
    names_one: bool = False,
) -> dict[str, Any]:
    """One authenticated call; its body when the status is ``ok``, else the right exception.

    ``names_one``: the path names a session, so a 404 ``not_found`` means that one is gone.
    """
    try:
        response = await http.request(method, url, headers=_auth(token), params=params)
    except httpx.HTTPError as exc:
        raise ApiError(kind_of_error(exc), _transport(exc)) from None
    body = _body(response)
    status = response.status_code
    if status == 401:
        ending = ending_from_error(body)
        if ending is not None:
            raise SessionEnded(ending)
    if names_one and status == 404 and body.get("error") == ErrorCode.NOT_FOUND:
        raise NoSuchSession()
    if status != ok:
        detail = f"HTTP {status} {body.get('error', '')}".strip()
        raise ApiError(kind_of_status(status), detail, status)
    return body


async def own_sessions(http: httpx.AsyncClient, ep: Endpoints, token: str) -> list[OwnSession]:
    """``GET /api/sessions``: this account's live sessions, this PC's marked ``current``."""
    body = await _authenticated(http, "GET", ep.url(paths.SESSIONS), token)
    try:
        return [parse_own_session(s) for s in body.get("sessions") or ()]
    except ProtocolError as exc:
        raise ApiError(FailureKind.PROTOCOL, str(exc), 200) from None


async def end_session(http: httpx.AsyncClient, ep: Endpoints, token: str, session_id: str) -> None:
    """``DELETE /api/sessions/{id}``: that session of this account is over once this returns.

    Raises :class:`NoSuchSession` when the account has no such live session
    (it ended meanwhile), :class:`SessionEnded` when the caller's own is over,
    :class:`ApiError` otherwise: then it may still be alive.
    """
    path = paths.SESSION.format(id=quote(session_id, safe=""))
    await _authenticated(http, "DELETE", ep.url(path), token, ok=204, names_one=True)


async def end_other_sessions(http: httpx.AsyncClient, ep: Endpoints, token: str) -> None:
    """``DELETE /api/sessions?others=true``: every session of the account but this one ends."""
    params = {"others": "true"}
    await _authenticated(http, "DELETE", ep.url(paths.SESSIONS), token, ok=204, params=params)


async def logout(http: httpx.AsyncClient, ep: Endpoints, token: str) -> None:
    """``POST /api/auth/logout``; returns once the server has ended the session.

    A 401 counts as done: the session is over already (or the token is not one
    the server knows), so there is nothing left to end. Raises :class:`ApiError`
    when the request did not get through or the server could not act (5xx):
    the session may still be alive there.
    """
    try:
        response = await http.post(ep.url(paths.LOGOUT), headers=_auth(token))
    except httpx.HTTPError as exc:
        raise ApiError(kind_of_error(exc), _transport(exc)) from None
    if response.status_code >= 500:
        status = response.status_code
        raise ApiError(kind_of_status(status), f"HTTP {status}", status)


async def healthy(http: httpx.AsyncClient, ep: Endpoints, within: float) -> bool:
    """True when ``GET /healthz`` answers 200 within ``within`` seconds: the server is back.

    The cheapest question the server answers (no store call). A proxy in front
    of a dead server answers 502, which is False, as it should be.
    """
    try:
        response = await http.get(ep.url(paths.HEALTHZ), timeout=within)
    except httpx.HTTPError:
        return False
    return response.status_code == 200
