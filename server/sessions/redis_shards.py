"""Per-user events on Redis Cluster: sharded pub/sub, subscribed only for the users held here.

Each user's events go to the user's own channel ``<prefix>:{u:<user>}:events``,
published with SPUBLISH by the script that changes the user's keys (same hash slot,
which is what lets a flagged script publish on it). A sharded message stays on the
shard serving its slot and goes only to the connections subscribed to that channel,
so a displacement reaches the workers that hold a socket of that user, not every
worker of every node (a classic PUBLISH is broadcast over the whole cluster bus).

A worker follows a user from its first socket to its last (:meth:`follow`,
:meth:`unfollow`). Follows and unfollows only change what is wanted; the changes
of ``BATCH`` seconds are folded into one write per shard, with one SSUBSCRIBE (or
SUNSUBSCRIBE) per hash slot (Redis refuses channels of two slots in one command).
Each shard is one plain connection to the primary that serves the slots
(:class:`_Shard`), opened when the first of its users is followed. A user is heard
(:meth:`heard`, :meth:`mark`) from the SSUBSCRIBE's confirmation on.

Lost and regained: when a shard's connection fails (its primary died) or the
shard drops channels itself (an SUNSUBSCRIBE nobody asked for: its slots moved,
e.g. a failover demoted it), those users are no longer heard, the topology is
learned again, and they are subscribed wherever their slots are served now -
with backoff while nobody serves them, and not on the node that dropped them while
the topology here still names it (a demoted primary would hear nothing for a while).
Once confirmed there, ``resync`` is awaited with exactly those users, beside
delivery, and again while the store is unreachable. Every other shard goes on undisturbed.

Not guaranteed: a connection that hangs without failing (no RST, no FIN) is
noticed only when the node is declared failed elsewhere and the topology changes
(then its slots' SUNSUBSCRIBE never comes, but the re-learned topology routes new
subscriptions to the promoted replica; the old users are resynced only when the
hung connection finally errors). The re-check round stays the backstop.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import logging
import math
from collections.abc import Callable, Iterable

from redis import exceptions as rx
from redis.asyncio import Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.connection import AbstractConnection
from redis.backoff import ExponentialWithJitterBackoff

from server.sessions.events import EventBus, EventHandler, Resync
from server.sessions.keys import Keys
from server.sessions.records import StoreUnavailable
from server.sessions.redis_conn import Link
from server.sessions.redis_events import deliver, resync_until_done

log = logging.getLogger("loginguard.store")

BATCH = 0.005  # seconds: follows and unfollows within this go out as one write per shard
#: Seconds a node that dropped a user's channel itself is not subscribed on again for
#: that user while the topology here still names it (see :meth:`ShardedEvents.unsubscribed`).
MOVED_HOLD = 5.0
_FAILURES = (rx.RedisError, rx.RedisClusterException, OSError, StoreUnavailable)


class _Shard:
    """One pub/sub connection to one primary, for the users whose slots it serves."""

    def __init__(self, bus: ShardedEvents, node: ClusterNode, client: Redis) -> None:
        self.bus = bus
        self.node = node
        self.client = client
        self.users: set[str] = set()  # subscribed here, or being subscribed
        self.joining: collections.Counter[str] = collections.Counter()  # SSUBSCRIBEs unanswered
        self.leaving: collections.Counter[str] = collections.Counter()  # own SUNSUBSCRIBEs, too
        self.outbox: list[tuple[str, list[str]]] = []  # commands not written yet
        self.conn: AbstractConnection | None = None  # once connected
        self.task: asyncio.Task[None] | None = None

    def send(self, command: str, channels: list[str]) -> None:
        """Queue ``command`` (one slot's channels); :meth:`flush` writes it."""
        counter = self.joining if command == "SSUBSCRIBE" else self.leaving
        counter.update(channels)
        self.outbox.append((command, channels))

    async def flush(self) -> None:
        """Write what is queued, in one write, if connected (else :meth:`run` will)."""
        if self.conn is None or not self.outbox:
            return
        commands, self.outbox = self.outbox, []
        # The bytes are handed to the transport at once; only the drain is awaited.
        await self.conn.send_packed_command(
            self.conn.pack_commands([(command, *channels) for command, channels in commands])
        )

    async def run(self) -> None:
        """Connect, write the queue, then read replies until the connection fails."""
        conn = await self.client.connection_pool.get_connection()  # type: ignore[no-untyped-call]
        try:
            self.conn = conn
            await self.flush()
            while True:
                # math.inf: block for as long as it takes, not socket_timeout.
                reply = await conn.read_response(timeout=math.inf, push_request=True)
                kind, channel, data = reply[0], reply[1], reply[2]
                if kind == "smessage":
                    self.bus.received(data)
                elif kind == "ssubscribe":
                    self.bus.confirmed(self, channel)
                elif kind == "sunsubscribe":
                    self.bus.unsubscribed(self, channel)
        finally:
            self.conn = None
            await conn.disconnect(nowait=True)


class ShardedEvents(EventBus):
    """The events of the users this process follows, from their shards' sharded pub/sub."""

    def __init__(self, link: Link, keys: Keys) -> None:
        self._link = link
        self._keys = keys
        self._wanted: dict[str, int] = {}  # followed: how many times
        self._joins: set[str] = set()  # followed, subscribed nowhere yet
        self._leaves: set[str] = set()  # subscribed somewhere, no longer followed
        self._at: dict[str, _Shard] = {}  # user → the shard it is subscribed (or subscribing) on
        self._marks: dict[str, int] = {}  # user → number of its confirmed subscription
        self._numbers = itertools.count(1)
        self._lost: set[str] = set()  # to resync once heard again
        self._moved: dict[str, tuple[str, float]] = {}  # user → (node that dropped it, until)
        self._to_resync: set[str] = set()
        self._shards: dict[str, _Shard] = {}
        self._waiters: dict[str, asyncio.Event] = {}
        self._dirty = asyncio.Event()
        self._resync_due = asyncio.Event()
        self._handler: EventHandler | None = None
        self._closing: set[asyncio.Task[None]] = set()  # connections being closed
        self._failures: dict[str, int] = {}  # node → connections lost in a row
        self._not_before: dict[str, float] = {}  # node → loop time of the next try
        self._backoff = ExponentialWithJitterBackoff(base=0.05, cap=2.0)

    # -- what the hub asks ------------------------------------------------------------

    def follow(self, user: str) -> None:
        count = self._wanted.get(user, 0)
        self._wanted[user] = count + 1
        if count:
            return
        if user in self._leaves:
            self._leaves.discard(user)  # never left: still heard
        elif user not in self._at:
            self._joins.add(user)
            self._dirty.set()

    def unfollow(self, user: str) -> None:
        count = self._wanted.get(user, 0)
        if count > 1:
            self._wanted[user] = count - 1
            return
        if not count:
            return
        del self._wanted[user]
        self._joins.discard(user)
        self._lost.discard(user)
        self._moved.pop(user, None)
        if user in self._at:
            self._leaves.add(user)
            self._dirty.set()
        waiter = self._waiters.pop(user, None)
        if waiter is not None:
            waiter.set()

    async def heard(self, user: str, within: float) -> bool:
        if user in self._marks:
            return True
        if user not in self._wanted:
            return False
        waiter = self._waiters.setdefault(user, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(waiter.wait(), within)
        return user in self._marks

    def mark(self, user: str) -> int | None:
        return self._marks.get(user)

    # -- the loops ------------------------------------------------------------------

    async def listen(self, handler: EventHandler, resync: Resync) -> None:
        self._handler = handler
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._reconcile_forever())
                group.create_task(self._resync_forever(resync))
        finally:
            self._handler = None
            tasks = [shard.task for shard in self._shards.values() if shard.task is not None]
            for shard in list(self._shards.values()):
                self._close(shard)
            tasks += self._closing
            if tasks:
                await asyncio.wait(tasks, timeout=1.0)
            self._joins |= self._wanted.keys()  # a later listen starts from scratch
            self._leaves.clear()
            self._lost.clear()
            self._moved.clear()

    async def _reconcile_forever(self) -> None:
        failures = 0
        while True:
            await self._dirty.wait()
            await asyncio.sleep(BATCH)
            self._dirty.clear()
            try:
                placed = await self._reconcile()
            except _FAILURES as exc:
                placed = False
                if not failures:
                    log.warning("event=store_events_subscribe_failed error=%r", exc)
            if placed:
                failures = 0
                continue
            failures += 1
            self._dirty.set()
            await asyncio.sleep(self._backoff.compute(min(failures, 16)))

    async def _reconcile(self) -> bool:
        """Send the batch's SUNSUBSCRIBEs and SSUBSCRIBEs; whether every join found a shard."""
        touched: set[_Shard] = set()
        leaves, self._leaves = self._leaves, set()
        for shard, slots in self._by_slot(leaves, self._at.get):
            for channels in slots.values():
                for channel in channels:
                    self._forget(self._keys.user_of_events(channel))
                if shard.users:
                    shard.send("SUNSUBSCRIBE", channels)
                    touched.add(shard)
            if not shard.users:
                self._close(shard)  # closing its connection drops its subscriptions
                touched.discard(shard)
        unplaced: set[str] = set()
        if self._joins:
            async with self._link.io() as client:  # the topology, learned again after a failure
                assert isinstance(client, RedisCluster)
                joins, self._joins = self._joins, set()
                loop = asyncio.get_running_loop()

                def home(user: str) -> _Shard | None:
                    try:
                        node = client.get_node_from_key(self._keys.events(user))
                    except rx.SlotNotCoveredError:
                        node = None
                    if node is None or loop.time() < self._not_before.get(node.name, 0.0):
                        unplaced.add(user)  # nobody serves it, or its node failed a moment ago
                        return None
                    if self._stale(user, node, loop.time()):
                        unplaced.add(user)
                        return None
                    return self._shard(node)

                for shard, slots in self._by_slot(joins, home):
                    for channels in slots.values():
                        for channel in channels:
                            user = self._keys.user_of_events(channel)
                            self._at[user] = shard
                            shard.users.add(user)
                        shard.send("SSUBSCRIBE", channels)
                    touched.add(shard)
                self._joins |= unplaced
        for shard in touched:
            # A write that fails has failed the connection: its reader reports the loss.
            with contextlib.suppress(*_FAILURES):
                await shard.flush()
        return not unplaced

    def _stale(self, user: str, node: ClusterNode, now: float) -> bool:
        """Whether ``node`` dropped ``user``'s channel a moment ago and the topology here
        has not caught up: ask for it again rather than subscribe there."""
        moved = self._moved.get(user)
        if moved is None:
            return False
        name, until = moved
        if node.name == name and now < until:
            self._link.node_failed(node, rx.ConnectionError("slot moved"))  # learn it again
            return True
        del self._moved[user]
        return False

    def _by_slot(
        self, users: Iterable[str], shard_of: Callable[[str], _Shard | None]
    ) -> list[tuple[_Shard, dict[int, list[str]]]]:
        """``users``' channels grouped by shard (``shard_of(user)``, None: skip), then by slot."""
        groups: dict[int, tuple[_Shard, dict[int, list[str]]]] = {}
        for user in users:
            shard = shard_of(user)
            if shard is None:
                continue
            channel = self._keys.events(user)
            slots = groups.setdefault(id(shard), (shard, {}))[1]
            slots.setdefault(self._link.cluster_client.keyslot(channel), []).append(channel)
        return list(groups.values())

    def _shard(self, node: ClusterNode) -> _Shard:
        shard = self._shards.get(node.name)
        if shard is None:
            client = Redis(host=node.host, port=int(node.port), **self._link.node_options)
            shard = self._shards[node.name] = _Shard(self, node, client)
            shard.task = asyncio.get_running_loop().create_task(self._run(shard))
        return shard

    async def _run(self, shard: _Shard) -> None:
        try:
            await shard.run()
        except* Exception as group:  # a failure of the node, or one nobody foresaw
            self._lose(shard, group.exceptions[0])

    def _lose(self, shard: _Shard, error: BaseException) -> None:
        """``shard``'s connection failed: its users are lost until subscribed again."""
        if self._shards.get(shard.node.name) is not shard:
            return  # closed on purpose
        del self._shards[shard.node.name]
        failures = self._failures[shard.node.name] = self._failures.get(shard.node.name, 0) + 1
        pause = self._backoff.compute(min(failures, 16))
        self._not_before[shard.node.name] = asyncio.get_running_loop().time() + pause
        log.warning(
            "event=store_events_shard_lost node=%s users=%d error=%r",
            shard.node.name,
            len(shard.users),
            error,
        )
        self._link.node_failed(shard.node, error)
        for user in list(shard.users):
            self._drop(user)
        self._spawn_close(shard)

    def _drop(self, user: str) -> None:
        """``user``'s subscription is gone without being asked: subscribe it again."""
        self._forget(user)
        if user in self._wanted:
            self._joins.add(user)
            self._lost.add(user)
            self._dirty.set()

    def _forget(self, user: str) -> None:
        shard = self._at.pop(user, None)
        if shard is not None:
            shard.users.discard(user)
        self._marks.pop(user, None)

    def _spawn_close(self, shard: _Shard) -> None:
        task = asyncio.get_running_loop().create_task(shard.client.aclose())
        self._closing.add(task)
        task.add_done_callback(self._closed)

    def _closed(self, task: asyncio.Task[None]) -> None:
        self._closing.discard(task)
        if not task.cancelled():
            task.exception()  # a close that failed: the connection is gone all the same

    def _close(self, shard: _Shard) -> None:
        """Close ``shard`` on purpose (its subscriptions go with its connection)."""
        if self._shards.get(shard.node.name) is shard:
            del self._shards[shard.node.name]
        for user in list(shard.users):
            self._forget(user)
        if shard.task is not None:
            shard.task.cancel()
        self._spawn_close(shard)

    # -- what a shard hears -----------------------------------------------------------

    def received(self, data: str) -> None:
        if self._handler is not None:
            deliver(self._handler, data)

    def confirmed(self, shard: _Shard, channel: str) -> None:
        self._failures.pop(shard.node.name, None)
        waiting = shard.joining.pop(channel, 0)
        if waiting > 1:
            shard.joining[channel] = waiting - 1
            return  # a later SSUBSCRIBE of it is still on its way: heard from that one on
        user = self._keys.user_of_events(channel)
        if self._at.get(user) is not shard or user in self._marks:
            return
        self._marks[user] = next(self._numbers)
        waiter = self._waiters.pop(user, None)
        if waiter is not None:
            waiter.set()
        if user in self._lost:
            self._lost.discard(user)
            self._to_resync.add(user)
            self._resync_due.set()

    def unsubscribed(self, shard: _Shard, channel: str) -> None:
        if shard.leaving[channel] > 0:
            shard.leaving[channel] -= 1
            if not shard.leaving[channel]:
                del shard.leaving[channel]
            return
        # Not asked for: the shard no longer serves the slot (a failover, a migration).
        user = self._keys.user_of_events(channel)
        if self._at.get(user) is shard:
            log.info("event=store_events_moved node=%s", shard.node.name)
            self._link.node_failed(shard.node, rx.ConnectionError("slot moved"))
            # Not on that node again while the topology still names it. A demoted primary
            # would take the SSUBSCRIBE back as a replica of its shard, but it hears the
            # shard's messages only once the new primary has learned that it is its
            # replica - a gossip round later, seconds on a production node timeout - and
            # what is published until then would reach nobody, after the resync.
            self._moved[user] = (shard.node.name, asyncio.get_running_loop().time() + MOVED_HOLD)
            self._drop(user)

    async def _resync_forever(self, resync: Resync) -> None:
        while True:
            await self._resync_due.wait()
            await asyncio.sleep(BATCH)
            self._resync_due.clear()
            users, self._to_resync = frozenset(self._to_resync), set()
            log.info("event=store_events_resumed users=%d", len(users))
            await resync_until_done(resync, users)
