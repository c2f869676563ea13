"""The Redis engine's plumbing: the connection pool, error mapping, script calls."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.resources import files
from typing import Any

from redis import exceptions as rx
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.maint_notifications import MaintNotificationsConfig
from redis.typing import EncodableT

from server.sessions.base import StoreUnavailable

#: Errors meaning "Redis is not there (or not writable) right now" → 503, retry later.
UNAVAILABLE: tuple[type[Exception], ...] = (
    rx.ConnectionError,  # includes BusyLoadingError and the pool's "No connection available"
    rx.TimeoutError,
    rx.ReadOnlyError,  # a replica after failover
    rx.ClusterDownError,
    rx.OutOfMemoryError,
    OSError,  # includes the builtin TimeoutError
)

Call = tuple[list[str], list[EncodableT]]  # KEYS and ARGV of one script call


@contextmanager
def reachable() -> Iterator[None]:
    """Turn "Redis is unreachable" errors raised inside into :class:`StoreUnavailable`."""
    try:
        yield
    except UNAVAILABLE as exc:
        raise StoreUnavailable(f"redis: {exc or type(exc).__name__}") from exc


def connect(url: str, *, max_connections: int, timeout: float) -> Redis:
    """A client whose pool holds at most ``max_connections`` and never retries.

    Callers wait up to ``timeout`` for a free connection, a connect or a reply,
    so a dead Redis fails a call within about ``timeout`` seconds. Retries are
    off because a script whose reply was lost must not run twice; a pooled
    connection that went stale is replaced when taken from the pool, so a
    restarted Redis is used again without any retry.

    Maintenance notifications (a Redis Enterprise feature, "auto" by default
    under RESP3) are off: while they are on, redis-py skips that stale-connection
    check, and the first call after a Redis restart fails.
    """
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=timeout,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        decode_responses=True,
        maint_notifications_config=MaintNotificationsConfig(enabled=False),
    )
    return Redis.from_pool(pool)


def load_script(client: Redis, name: str, *, lib: bool = True) -> AsyncScript:
    """Register ``scripts/<name>``, with ``scripts/lib.lua`` prepended unless ``lib=False``."""
    scripts = files("server.sessions") / "scripts"
    text = scripts.joinpath(name).read_text(encoding="utf-8")
    if lib:
        text = scripts.joinpath("lib.lua").read_text(encoding="utf-8") + text
    return client.register_script(text)


async def run(script: AsyncScript, call: Call) -> Any:
    """One EVALSHA (EVAL-free: the script is loaded on NOSCRIPT and called again)."""
    with reachable():
        return await script(keys=call[0], args=call[1])


async def run_many(client: Redis, script: AsyncScript, calls: Sequence[Call]) -> list[Any]:
    """Run an idempotent ``script`` once per call, all in one pipelined round trip.

    redis-py's pipeline support for scripts asks SCRIPT EXISTS before every
    execute, a second round trip; instead the script is loaded only when Redis
    answers NOSCRIPT (its script cache is empty after a restart) and the whole
    pipeline runs again - which is why only idempotent scripts may come here.
    """
    if not calls:
        return []
    with reachable():
        for attempt in range(2):
            try:
                async with client.pipeline(transaction=False) as pipe:
                    for keys, args in calls:
                        pipe.evalsha(script.sha, len(keys), *keys, *args)
                    return await pipe.execute()
            except rx.NoScriptError:
                if attempt:
                    raise
                script.sha = await client.script_load(script.script)
    raise AssertionError("unreachable")
