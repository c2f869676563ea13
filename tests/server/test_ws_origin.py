"""The /ws handshake checks (Origin allowlist, header values) hold however the path is spelled."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.server.raw_http import send
from tests.support.clients import login
from tests.support.server import ServerProcess

ALLOWED = "https://ok.example"
EVIL = "https://evil.example"

#: Targets Sanic routes to the socket handler (each is checked to reach it), and
#: look-alikes that it does not (they must be refused one way or another).
ROUTED = ["/ws", "/ws/", "/ws//", "/ws?x", "/ws/?x", "/ws?", "/ws#x", "ABSOLUTE/ws", "ABSOLUTE/ws/"]
NOT_ROUTED = ["//ws", "///ws", "/%77s", "/w%73", "/ws%2F", "/./ws", "/x/../ws", "/WS", "/ws;x"]


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    """One demo server for the module, allowing only ``ALLOWED``."""
    proc = ServerProcess(["--demo", "--allowed-origins", ALLOWED]).start()
    yield proc
    proc.stop()


def _handshake(
    server: ServerProcess, target: str, token: str, origin: str | None
) -> tuple[int, bytes]:
    raw = target.replace("ABSOLUTE", server.url).encode()
    headers = [(b"Authorization", b"Bearer " + token.encode())]
    if origin is not None:
        headers.append((b"Origin", origin.encode()))
    r = send(server.port, b"GET", raw, headers, upgrade=True)
    return r.status, r.body


@pytest.mark.parametrize("target", ROUTED)
def test_every_routed_spelling_refuses_a_foreign_origin(server: ServerProcess, target: str) -> None:
    """A target reaching the socket handler greets an allowed Origin and 403s an evil one."""
    token = login(server)["access_token"]
    for origin in (ALLOWED, None):
        status, first = _handshake(server, target, token, origin)
        assert status == 101, (target, origin)
        assert json.loads(first)["type"] == "hello"
    status, body = _handshake(server, target, token, EVIL)
    assert status == 403
    assert json.loads(body) == {"error": "forbidden", "detail": "origin not allowed"}


@pytest.mark.parametrize("target", NOT_ROUTED)
def test_look_alike_paths_never_open_a_socket(server: ServerProcess, target: str) -> None:
    """A path Sanic does not route to the socket handler gets a 4xx, whatever the Origin."""
    token = login(server)["access_token"]
    for origin in (ALLOWED, EVIL):
        status, _ = _handshake(server, target, token, origin)
        assert 400 <= status < 500, (target, origin, status)


@pytest.mark.parametrize("value", [b"\x01", b"a\x7fb", "\u20ac".encode(), b"\xff\xfe", b"\xe9"])
@pytest.mark.parametrize("target", ["/ws", "/ws/"])
def test_header_values_websockets_refuses_are_400(
    server: ServerProcess, target: str, value: bytes
) -> None:
    """A header value the websockets library would refuse gets 400 JSON, not a 500."""
    headers = [(b"X-Anything", value)]
    r = send(server.port, b"GET", target.encode(), headers, upgrade=True)
    assert r.status == 400, r.body
    assert r.json() == {"error": "bad_request", "detail": "header value not allowed"}
