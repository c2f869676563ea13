"""The HTTP half of the client: one coroutine per API call, typed results. No Qt.

Errors come back as exceptions carrying what a window needs to say:
:class:`LoginRefused` (a :class:`~desktop_app.session.LoginFailure`),
:class:`Conflict` (409 ``session_active``: the sessions in the way and the
policy), :class:`SessionEnded` (a 401 on an authenticated call: why, and
who), :class:`NoSuchSession` (404: the session to end is gone already),
:class:`TakeoverGone` (the takeover request to answer is settled already) and
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
from shared.messages import Session, TakeoverOutcome


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


class TakeoverGone(Exception):
    """The takeover request to answer is settled already (409 ``takeover_closed``, with
    its ``outcome``), unknown (404) or not this session's to answer (403)."""

    def __init__(self, outcome: str | None) -> None:
        super().__init__(outcome or "gone")
        self.outcome = outcome


class ApiError(Exception):
    """Any other failure of a call (network, 5xx, nonsense), sorted by ``kind``."""

    def __init__(
        self,
        kind: FailureKind,
        detail: str = "",
        status: int | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or kind.value)
        self.kind = kind
        self.status = status
        self.body = body or {}  # the error body, when there was one


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    """``GET /api/auth/policy``: how the server settles a login while the account is in use."""

    policy: str  # displace, reject, confirm, ask (or a newer word)
    ask_timeout: float  # under ask: how long the PC in the way has to answer, in seconds


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
    waits: httpx.Timeout | None = None,
) -> Grant:
    """``POST /api/auth/login``; raises :class:`LoginRefused` or :class:`Conflict`.

    ``waits`` replace the client's timeouts for this request: under the ``ask`` policy the
    answer may take as long as the other PC takes to allow it.
    """
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
        if waits is None:
            response = await http.post(ep.url(paths.LOGIN), json=payload)
        else:
            response = await http.post(ep.url(paths.LOGIN), json=payload, timeout=waits)
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
    if response.status_code == 409 and error == ErrorCode.TAKEOVER_DENIED:
        outcome = body.get("outcome")
        raise _refused(_DENIALS.get(str(outcome), FailureKind.TAKEOVER_DENIED), str(outcome))
    if response.status_code == 409 and error == ErrorCode.TAKEOVER_PENDING:
        raise _refused(FailureKind.TAKEOVER_PENDING, retry_after=_retry_after(response, body))
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
#: 409 ``takeover_denied``'s ``outcome`` → why, for the person; any other outcome reads "denied".
_DENIALS = {
    TakeoverOutcome.DENIED.value: FailureKind.TAKEOVER_DENIED,
    TakeoverOutcome.TIMED_OUT.value: FailureKind.TAKEOVER_TIMED_OUT,
    TakeoverOutcome.SUPERSEDED.value: FailureKind.TAKEOVER_SUPERSEDED,
}


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
    json: dict[str, object] | None = None,
) -> dict[str, Any]:
    """One authenticated call; its body when the status is ``ok``, else the right exception.

    ``names_one``: the path names a session, so a 404 ``not_found`` means that one is gone.
    """
    try:
        response = await http.request(method, url, headers=_auth(token), params=params, json=json)
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
        raise ApiError(kind_of_status(status), detail, status, body)
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


async def answer_takeover(
    http: httpx.AsyncClient, ep: Endpoints, token: str, request_id: str, allow: bool
) -> str:
    """``POST /api/takeover-requests/{id}`` ``{"allow": …}``: this PC's answer; its outcome.

    Raises :class:`TakeoverGone` when the request is settled already (or was never
    this session's), :class:`SessionEnded` when this session is over, and
    :class:`ApiError` when the answer may not have arrived (network, 5xx).
    """
    path = paths.TAKEOVER_REQUEST.format(id=quote(request_id, safe=""))
    try:
        body = await _authenticated(http, "POST", ep.url(path), token, json={"allow": allow})
    except ApiError as exc:
        gone = exc.status in (403, 404) or exc.body.get("error") == ErrorCode.TAKEOVER_CLOSED
        if exc.status is not None and exc.status < 500 and gone:
            outcome = exc.body.get("outcome")
            raise TakeoverGone(outcome if isinstance(outcome, str) else None) from None
        raise
    outcome = body.get("outcome")
    if isinstance(outcome, str):
        return outcome
    return (TakeoverOutcome.ALLOWED if allow else TakeoverOutcome.DENIED).value


async def login_policy(http: httpx.AsyncClient, ep: Endpoints, within: float) -> LoginPolicy | None:
    """``GET /api/auth/policy`` (no token); None when it does not answer that in time,
    or answers something else (an older server has no such route)."""
    try:
        response = await http.get(ep.url(paths.POLICY), timeout=within)
    except httpx.HTTPError:
        return None
    body = _body(response)
    policy, ask_timeout = body.get("policy"), body.get("ask_timeout")
    if response.status_code != 200 or not isinstance(policy, str):
        return None
    if isinstance(ask_timeout, bool) or not isinstance(ask_timeout, int | float):
        ask_timeout = 0.0
    return LoginPolicy(policy, max(0.0, min(float(ask_timeout), 3600.0)))


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
