"""The event bus of one Redis server: one pub/sub connection per process, one channel.

Every worker subscribes to ``<prefix>:events`` and hears every event. On one
server that costs one message per worker per event, which is what a deployment
that fits one Redis can afford; per-user channels would add a subscribe and an
unsubscribe per socket arriving and leaving, to the one server that is already the
bottleneck, and a wait for the confirmation before each first ``hello`` (see
docs/scaling.md for the figures). On a cluster, where a classic PUBLISH is
broadcast over the whole cluster bus, :mod:`.redis_shards` is used instead.
"""

from __future__ import annotations

import asyncio
import itertools
import logging

from redis import exceptions as rx
from redis.backoff import ExponentialWithJitterBackoff

from server.sessions import redis_codec as codec
from server.sessions.events import EventBus, EventHandler, Resync
from server.sessions.records import StoreUnavailable
from server.sessions.redis_conn import Link

log = logging.getLogger("loginguard.store")


class RedisEvents(EventBus):
    """Events of the sessions under one key prefix, from Redis pub/sub."""

    def __init__(self, link: Link, channel: str) -> None:
        self._link = link
        self._channel = channel

    async def listen(self, handler: EventHandler, resync: Resync) -> None:
        await listen(self._link, self._channel, handler, resync)


async def listen(link: Link, channel: str, handler: EventHandler, resync: Resync) -> None:
    """Deliver every event published on ``channel`` to ``handler`` until cancelled.

    When the subscription is lost it is re-established with jittered backoff, and
    ``resync(None)`` runs once it is back, since
    whatever was published in between is gone. The resync runs beside delivery,
    never in its way: events published meanwhile are handled as they come, and a
    resync that fails (the store, or a shard of it, unreachable) is tried again
    with backoff while the subscription stays up. Never returns and raises nothing
    but cancellation.
    """
    backoff = ExponentialWithJitterBackoff(base=0.1, cap=5.0)
    failures = 0
    while True:
        catching_up: asyncio.Task[None] | None = None
        try:
            async with link.pubsub() as pubsub:
                await pubsub.subscribe(channel)
                if failures:
                    log.info("event=store_events_resumed failures=%d", failures)
                    catching_up = asyncio.create_task(resync_until_done(resync, None))
                failures = 0
                async for message in pubsub.listen():
                    deliver(handler, message["data"])
        except (rx.RedisError, rx.RedisClusterException, OSError, StoreUnavailable) as exc:
            failures += 1
            log.warning("event=store_events_lost failures=%d error=%r", failures, exc)
        else:
            failures += 1  # listen() ended without an error: treat it as a lost connection
        finally:
            # A resync still going when the subscription is lost starts over after the
            # next one: what it would have covered may have been missed again.
            if catching_up is not None and not catching_up.done():
                catching_up.cancel()
                await asyncio.wait([catching_up])  # raises only if this task is cancelled
        # Clamped: 2**failures stops fitting a float after a long outage.
        await asyncio.sleep(backoff.compute(min(failures, 16)))


async def resync_until_done(resync: Resync, users: frozenset[str] | None) -> None:
    """Await ``resync(users)`` until it completes, again with backoff while the store is
    unreachable."""
    backoff = ExponentialWithJitterBackoff(base=0.1, cap=5.0)
    for attempt in itertools.count(1):
        try:
            await resync(users)
        except StoreUnavailable as exc:
            if attempt == 1:
                log.warning("event=store_resync_failed retrying=1 error=%r", exc)
        except Exception:
            # Not the store: retrying would not help. Rechecks remain the backstop.
            log.exception("event=store_resync_error")
            return
        else:
            if attempt > 1:
                log.info("event=store_resync_done attempts=%d", attempt)
            return
        await asyncio.sleep(backoff.compute(min(attempt, 16)))


def deliver(handler: EventHandler, data: str) -> None:
    """Hand one message to ``handler``: a bad message or a failing handler stops nothing."""
    try:
        handler(codec.event(data))
    except Exception:
        log.exception("event=store_event_dropped")
