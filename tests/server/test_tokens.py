"""Tokens that must be refused: forged, expired, alg=none, wrong secret, issuer or audience."""

from __future__ import annotations

import base64
import json
import time

import httpx
import jwt
import pytest

from server import auth as server_auth
from server.auth import Claims, TokenExpired, TokenInvalid, Tokens
from tests.support.clients import auth, login
from tests.support.server import TEST_SECRET, ServerProcess


def _claims(jti: str, **over: object) -> dict[str, object]:
    now = int(time.time())
    return {
        "sub": "user1",
        "jti": jti,
        "iat": now,
        "exp": now + 600,
        "iss": "loginguard",
        "aud": "loginguard-desktop",
        **over,
    }


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _me(server: ServerProcess, token: str) -> httpx.Response:
    return httpx.get(server.url + "/api/auth/me", headers=auth(token))


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("wrong secret", lambda c: jwt.encode(c, "another-secret-" + "y" * 40, "HS256")),
        ("alg none", lambda c: _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(c) + "."),
        ("HS512", lambda c: jwt.encode(c, TEST_SECRET, "HS512")),
        ("wrong issuer", lambda c: jwt.encode({**c, "iss": "evil"}, TEST_SECRET, "HS256")),
        ("wrong audience", lambda c: jwt.encode({**c, "aud": "web"}, TEST_SECRET, "HS256")),
        ("no jti", lambda c: jwt.encode({k: v for k, v in c.items() if k != "jti"}, TEST_SECRET)),
        ("garbage", lambda c: "not.a.jwt"),
    ],
)
def test_forged_tokens_are_invalid(memory_server: ServerProcess, name: str, make: object) -> None:
    """A token not signed by this server with HS256 and its claims is invalid_token."""
    real = login(memory_server)
    token = make(_claims(real["session"]["jti"]))  # type: ignore[operator]
    r = _me(memory_server, token)
    assert (r.status_code, r.json()["error"]) == (401, "invalid_token"), name
    assert _me(memory_server, real["access_token"]).status_code == 200


def test_tampered_payload_is_invalid(memory_server: ServerProcess) -> None:
    """Changing the user inside a real token breaks its signature."""
    token = login(memory_server)["access_token"]
    head, _, sig = token.split(".")
    forged = ".".join([head, _b64(_claims("x", sub="admin")), sig])
    assert _me(memory_server, forged).json()["error"] == "invalid_token"


def test_expired_token_is_session_expired(memory_server: ServerProcess) -> None:
    """A correctly signed token past its exp is refused as session_expired."""
    jti = login(memory_server)["session"]["jti"]
    old = int(time.time()) - 3600
    token = jwt.encode(_claims(jti, iat=old - 60, exp=old), TEST_SECRET, "HS256")
    r = _me(memory_server, token)
    assert (r.status_code, r.json()["error"]) == (401, "session_expired")


def test_signed_token_for_an_unknown_session_is_reset(memory_server: ServerProcess) -> None:
    """A valid signature over a JTI the store never had (or forgot) is session_reset."""
    token = jwt.encode(_claims("never-issued"), TEST_SECRET, "HS256")
    assert _me(memory_server, token).json()["error"] == "session_reset"


def test_token_in_query_string_is_ignored(memory_server: ServerProcess) -> None:
    """Tokens are read from the Authorization header only, never from the URL."""
    token = login(memory_server)["access_token"]
    r = httpx.get(memory_server.url + "/api/auth/me", params={"access_token": token})
    assert (r.status_code, r.json()["error"]) == (401, "invalid_token")
    assert r.headers["www-authenticate"] == "Bearer"


def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    """Claims remembered from a first verification are refused once the token's exp passes."""
    tokens = Tokens(TEST_SECRET, "loginguard", "loginguard-desktop")
    now = int(time.time())
    token = tokens.issue(Claims("user1", "j1", now - 60, now + 30))
    assert tokens.verify(token).jti == "j1"
    monkeypatch.setattr(server_auth.time, "time", lambda: now + 30 + 6.0)  # past exp + leeway
    with pytest.raises(TokenExpired):
        tokens.verify(token)


def test_remembered_tokens_are_bounded() -> None:
    """However many tokens pass, the memory of verified ones stays bounded; all still verify."""
    tokens = Tokens(TEST_SECRET, "loginguard", "loginguard-desktop")
    now = int(time.time())
    issued = [tokens.issue(Claims("u", f"j{i}", now, now + 600)) for i in range(5000)]
    assert [tokens.verify(t).jti for t in issued] == [f"j{i}" for i in range(5000)]
    assert len(tokens._verified) <= server_auth._VERIFIED_MAX
    assert tokens.verify(issued[0]).jti == "j0"  # evicted, verified again from scratch
    with pytest.raises(TokenInvalid):
        tokens.verify(issued[-1][:-2] + "xx")  # a remembered token, altered: checked anew
