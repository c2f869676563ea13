"""Passwords (argon2id, off the event loop) and JWTs (pyjwt, HS256 pinned).

Argon2 is slow on purpose — tens of milliseconds and 64 MiB per hash — so it
runs in a small dedicated thread pool: the event loop keeps serving sockets
while a burst of logins queues behind the pool instead of behind the loop.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ALGORITHM = "HS256"  # pinned: a token that names any other algorithm is refused
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "jti"]
_LEEWAY_SECONDS = 5  # clock skew between nodes
_VERIFIED_MAX = 4096  # tokens whose signature and claims were checked, remembered at most


class TokenExpired(Exception):
    """The token's ``exp`` has passed."""


class TokenInvalid(Exception):
    """Malformed, forged, wrong algorithm, issuer or audience."""


@dataclass(frozen=True, slots=True)
class Claims:
    user: str
    jti: str
    issued_at: float
    expires_at: float


def new_jti() -> str:
    """A session id from the OS CSPRNG: 192 bits, URL-safe."""
    return secrets.token_urlsafe(24)


class Passwords:
    """argon2id hashing with the work kept off the event loop."""

    def __init__(self, time_cost: int = 3, memory_kib: int = 65536) -> None:
        # argon2-cffi's default type is argon2id.
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        # Bounded: each hash holds memory_kib of RAM while it runs.
        self._pool = ThreadPoolExecutor(
            max_workers=max(2, os.cpu_count() or 2), thread_name_prefix="argon2"
        )
        # Verified against when the user does not exist, so timing does not tell.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash_sync(self, password: str) -> str:
        return self._hasher.hash(password)

    async def hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, self.hash_sync, password
        )

    def _verify(self, stored: str | None, password: str) -> tuple[bool, bool]:
        try:
            self._hasher.verify(stored or self._dummy, password)
        except (VerificationError, InvalidHashError):
            return False, False
        return stored is not None, stored is not None and self._hasher.check_needs_rehash(stored)

    async def verify(self, stored: str | None, password: str) -> tuple[bool, bool]:
        """``(matches, needs_rehash)``; a None hash never matches but costs the same."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._verify, stored, password)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class Tokens:
    """Issue and verify access tokens.

    A desktop app presents the same token on every request and reconnect, so
    the claims of the last ``_VERIFIED_MAX`` tokens that passed verification are
    remembered: a repeat pays a dict lookup and the expiry test, not an HMAC and
    a JSON parse (pyjwt was a sixth of ``/api/auth/me``'s CPU). Only tokens this
    server signed get in, so a flood of junk cannot evict anything but itself;
    whether the session is still valid is the store's question, asked every time.
    """

    def __init__(self, secret: str, issuer: str, audience: str) -> None:
        self._secret = secret
        self._issuer = issuer
        self._audience = audience
        self._verified: dict[str, Claims] = {}  # token → claims, oldest first

    def issue(self, claims: Claims) -> str:
        payload = {
            "sub": claims.user,
            "jti": claims.jti,
            "iat": int(claims.issued_at),
            "exp": int(claims.expires_at),
            "iss": self._issuer,
            "aud": self._audience,
        }
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> Claims:
        claims = self._verified.get(token)
        if claims is None:
            claims = self._decode(token)
            self._verified[token] = claims
            if len(self._verified) > _VERIFIED_MAX:
                del self._verified[next(iter(self._verified))]
        if claims.expires_at <= time.time() - _LEEWAY_SECONDS:
            raise TokenExpired  # pyjwt's test, with its leeway, for remembered tokens too
        return claims

    def _decode(self, token: str) -> Claims:
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=_LEEWAY_SECONDS,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired from exc
        except jwt.InvalidTokenError as exc:
            raise TokenInvalid(type(exc).__name__) from exc
        sub, jti = payload["sub"], payload["jti"]
        if not isinstance(sub, str) or not isinstance(jti, str) or not sub or not jti:
            raise TokenInvalid("sub/jti")
        return Claims(sub, jti, float(payload["iat"]), float(payload["exp"]))
