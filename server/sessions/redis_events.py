"""The Redis event bus: one pub/sub connection per process.

On a cluster the subscription is a plain connection to any one node: classic
(not sharded) PUBLISH reaches every node of the cluster.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

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

    When the subscription is lost it is re-established with jittered backoff,
    and ``resync`` is awaited once it is back, since whatever was published in
    between is gone; on a cluster it moves to another node. Never returns and
    raises nothing but cancellation.
    """
    backoff = ExponentialWithJitterBackoff(base=0.1, cap=5.0)
    failures = 0
    while True:
        try:
            async with link.pubsub() as pubsub:
                await pubsub.subscribe(channel)
                if failures:
                    await resync()
                    log.info("event=store_events_resumed failures=%d", failures)
                failures = 0
                async for message in pubsub.listen():
                    _deliver(handler, message)
        except (rx.RedisError, rx.RedisClusterException, OSError, StoreUnavailable) as exc:
            failures += 1
            log.warning("event=store_events_lost failures=%d error=%r", failures, exc)
        else:
            failures += 1  # listen() ended without an error: treat it as a lost connection
        # Clamped: 2**failures stops fitting a float after a long outage.
        await asyncio.sleep(backoff.compute(min(failures, 16)))


def _deliver(handler: EventHandler, message: dict[str, Any]) -> None:
    """Hand one message to ``handler``: a bad message or a failing handler stops nothing."""
    try:
        handler(codec.event(message["data"]))
    except Exception:
        log.exception("event=store_event_dropped")
