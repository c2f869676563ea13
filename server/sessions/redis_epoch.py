"""Noticing that Redis went back in time, and failing closed when it did.

A Redis restored from an older snapshot (or flushed) brings back sessions that
had been logged out, displaced or kicked, and forgets newer ones. Every change
to sessions bumps a counter under ``<prefix>:{epoch}`` (sent beside the change, best
effort: while that key's shard is unreachable the change goes through unbumped);
each process remembers the highest ``(era, n)`` it was answered. A store that
answers less lost writes: the process starts a new era with ``reset_at = now``
(``epoch.lua``), and from then on every session created before ``reset_at``
ends as ``server_reset`` on its next check or login (``lib.lua``).

Limits, stated honestly: detection needs one process that saw the newer counter
to be running when the old data comes back (a whole fleet restarted together
with a restored Redis cannot tell); reads notice at the next :meth:`watch`
(every second from the hub), writes at once. On Redis Cluster the counter lives
on one shard: restoring that shard or the whole cluster is detected, restoring
one other shard alone is not, and while that shard cannot be reached nothing is
(``store_epoch_unavailable``, logged once) and the other shards serve on.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.commands.core import AsyncScript
from redis.typing import EncodableT

from server.sessions.keys import Keys
from server.sessions.records import Clock, StoreUnavailable
from server.sessions.redis_conn import Call, Link
from server.sessions.redis_nodes import NodeUnreachable

log = logging.getLogger("loginguard.store")


class Epoch:
    def __init__(self, link: Link, keys: Keys, clock: Clock) -> None:
        self._link = link
        self._key = keys.epoch
        self._clock = clock
        self.script = link.script("epoch.lua", lib=False)
        self.seen: tuple[int, int] = (0, 0)
        self.reset_at = 0.0
        self._unreachable = False  # the last bump met an unreachable counter

    def call(self, action: str) -> Call:
        args: list[EncodableT] = [action, self._clock(), *self.seen]
        return [self._key], args

    async def observe(self, reply: Any) -> bool:
        """Take in an ``epoch.lua`` reply; True when this call learned of a reset."""
        era, n, reset_at = int(reply[0]), int(reply[1]), float(reply[2])
        learned = False
        # Judged by the script against what this process had seen when it sent the
        # call: a reply that is merely older than another reply proves nothing.
        if int(reply[3]):
            log.warning(
                "event=store_went_back seen_era=%d seen_n=%d store_era=%d store_n=%d",
                *self.seen,
                era,
                n,
            )
            reply = await self._link.run(self.script, self.call("reset"))
            era, n, reset_at = int(reply[0]), int(reply[1]), float(reply[2])
        if reset_at > self.reset_at:
            log.warning("event=store_reset_adopted reset_at=%.3f", reset_at)
            self.reset_at, learned = reset_at, True
        self.seen = max(self.seen, (era, n))
        return learned

    def bump_call(self) -> tuple[AsyncScript, Call]:
        """The call that counts one write, to pipeline beside it (see :meth:`answered`)."""
        return self.script, self.call("bump")

    async def answered(self, reply: Any) -> bool:
        """Take in the reply of :meth:`bump_call`, or the error it met; True on a reset.

        An unreachable counter (:class:`StoreUnavailable`) is only logged, once until
        a call reaches it again: it never fails the write it was counting.
        """
        if isinstance(reply, StoreUnavailable):
            if not self._unreachable:
                log.warning("event=store_epoch_unavailable error=%r", reply)
            self._unreachable = True
            return False
        if isinstance(reply, Exception):
            raise reply
        if self._unreachable:
            log.info("event=store_epoch_back")
            self._unreachable = False
        return await self.observe(reply)

    async def watch(self) -> bool:
        """Read the counter; True when a reset was newly learned.

        On a cluster whose counter's shard cannot be reached nothing is learned
        (logged as for a bump): the other shards serve on. An unreachable store
        as a whole raises.
        """
        try:
            reply: Any = await self._link.run(self.script, self.call("read"))
        except NodeUnreachable as exc:
            reply = exc
        return await self.answered(reply)
