"""The audit on Redis: which stream each script writes, and the reader of them all.

One server: every script appends to the one stream ``<prefix>:audit``.

Redis Cluster: a script may only touch keys of its own hash slot, so one stream
cannot be written atomically by every account's script. Each hash slot has a stream
of its own, ``<prefix>:audit:{<tag>}``, whose tag is a short string precomputed to
hash to that slot (:func:`slot_tags`); a script writes the stream of the slot it
runs in (an account's ``{u:<user>}`` slot, or an address's ``{ip:<ip>}``). At most
16384 streams exist, each bounded to ``max(ceil(audit_max / 16384), 100)`` entries
(``MAXLEN ~``, which also keeps the last partly trimmed stream node), so that a
slot's few dozen accounts keep some history: on a cluster the audit holds up to
about 16384 * 100 entries however small ``--audit-max`` is. A read of
one account's events reads its slot's stream alone; a read of everyone's events
asks every slot's stream for a few entries, one pipeline per node, and merges them
by id (``<ms>-<seq>-<slot>``: ids of different streams can be equal); one call per node
does that (``audit_read.lua``, a read-only script allowed to cross slots of its node).

Not guaranteed on a cluster: that ids of different nodes order events the way
they happened (each node's clock stamps its own stream ids); ``at``, the writers'
clock, is the better time.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator, Sequence
from functools import cache
from typing import Any

from redis.crc import key_slot
from redis.exceptions import NoScriptError, ResponseError
from redis.typing import EncodableT

from server.sessions.audit import (
    SCAN_BUDGET,
    AuditEntry,
    AuditLog,
    AuditPage,
    entry_of,
    id_key,
)
from server.sessions.keys import Keys
from server.sessions.redis_conn import Call, Link

log = logging.getLogger("loginguard.store")
SLOTS = 16384
SLOT_FLOOR = 100  # entries each slot's stream keeps at least, on a cluster
_CHUNK = 500  # entries per XRANGE while scanning one stream
_SKEW_MS = 300_000  # a time "since" starts the stream scan this much earlier (clock skew)
_BLOCK_MS = 1000  # XREAD BLOCK, below the connection's socket timeout


@cache
def slot_tags() -> tuple[str, ...]:
    """For each hash slot, a short tag that hashes to it (computed once, ~0.4 s)."""
    tags: list[str | None] = [None] * SLOTS
    left, i = SLOTS, 0
    while left:
        tag = format(i, "x")
        slot = key_slot(tag.encode())
        if tags[slot] is None:
            tags[slot] = tag
            left -= 1
        i += 1
    return tuple(t for t in tags if t is not None)


class Streams:
    """The audit stream of each script call, and the bound each is written with."""

    def __init__(self, keys: Keys, *, cluster: bool, audit_max: int) -> None:
        self.prefix = keys.prefix
        self.cluster = cluster
        self.maxlen = max(SLOT_FLOOR, math.ceil(audit_max / SLOTS)) if cluster else audit_max

    def of(self, key: str) -> str:
        """The stream a script whose first key is ``key`` writes to."""
        if not self.cluster:
            return f"{self.prefix}:audit"
        return self.of_slot(key_slot(key.encode()))

    def of_slot(self, slot: int) -> str:
        return f"{self.prefix}:audit:{{{slot_tags()[slot]}}}"

    def call(self, keys: Sequence[str], args: Sequence[EncodableT]) -> Call:
        """``(keys, args)`` with the audit stream as the last key and its MAXLEN as the
        last argument: how every script that loads lib.lua is called."""
        return [*keys, self.of(keys[0])], [*args, self.maxlen]

    def to_read(self, user: str | None, keys: Keys) -> list[tuple[int, str]]:
        """``(slot, stream)`` pairs holding the events of ``user`` (None: everyone's)."""
        if not self.cluster:
            return [(0, f"{self.prefix}:audit")]
        if user is not None:
            slot = key_slot(keys.index(user).encode())
            return [(slot, self.of_slot(slot))]
        return [(slot, self.of_slot(slot)) for slot in range(SLOTS)]


class RedisAudit(AuditLog):
    def __init__(self, link: Link, keys: Keys, streams: Streams) -> None:
        self._link = link
        self._keys = keys
        self._streams = streams
        self._read_node = link.script(
            "audit_read.lua", lib=False, flags="no-writes,allow-cross-slot-keys"
        )

    def _id(self, raw_id: str, slot: int) -> str:
        return f"{raw_id}-{slot}" if self._streams.cluster else raw_id

    async def read(self, user: str | None, since: str | float | None, count: int) -> AuditPage:
        after = _after(since) if since is not None else None
        targets = self._streams.to_read(user, self._keys)
        if len(targets) == 1:
            slot, stream = targets[0]
            return await self._scan(stream, slot, user, after, since, count)
        return await self._merge(targets, after, since, count)

    async def _scan(
        self, stream: str, slot: int, user: str | None, after: Any, since: Any, count: int
    ) -> AuditPage:
        """One stream, in chunks, looking at no more than the budget: forward from
        ``since``, or backward from the end for the latest ``count``."""
        forward = since is not None
        pos = _start(since) if forward else "+"
        chunk = _CHUNK if user is not None else min(_CHUNK, count + 1)
        out: list[AuditEntry] = []
        looked, last, ended = 0, "", False
        async with self._link.io() as r:
            while not ended:
                if forward:
                    batch = _batch(await r.xrange(stream, pos, "+", count=chunk))
                else:
                    batch = _batch(await r.xrevrange(stream, pos, "-", count=chunk))
                ended = len(batch) < chunk
                for raw_id, raw in batch:
                    looked, last = looked + 1, raw_id
                    entry = entry_of(self._id(raw_id, slot), raw)
                    if (after is None or after(entry)) and (user is None or entry.user == user):
                        out.append(entry)
                    if len(out) == count or looked >= SCAN_BUDGET:
                        ended = ended and raw_id == batch[-1][0]
                        break
                else:
                    pos = "(" + batch[-1][0] if batch else pos
                    continue
                break
        if not forward:
            return AuditPage(out[::-1], None)
        return AuditPage(out, None if ended else self._id(last, slot))

    async def _merge(
        self, targets: list[tuple[int, str]], after: Any, since: Any, count: int
    ) -> AuditPage:
        """Every slot's stream at once: a few entries of each, merged by id; only
        entries no stream can still precede (or, backward, follow) are answered."""
        forward = since is not None
        per = min(count, 8) + 1  # a full batch from a cursor has one entry past it
        start = _start(since) if forward else "+"
        replies = await self._fetch(targets, forward, start, per)
        found: list[tuple[tuple[int, int, int], AuditEntry]] = []
        bound: tuple[int, int, int] | None = None
        for (slot, _), batch in zip(targets, replies, strict=True):
            entries = [entry_of(self._id(i, slot), raw) for i, raw in batch]
            entries = [e for e in entries if after is None or after(e)]
            found += [(id_key(e.id), e) for e in entries]
            if len(batch) == per and batch:
                edge = id_key(self._id(batch[-1][0], slot))
                if bound is None or (edge < bound if forward else edge > bound):
                    bound = edge
        found.sort(key=lambda pair: pair[0], reverse=not forward)
        safe = [e for k, e in found if bound is None or (k <= bound if forward else k >= bound)]
        page = safe[:count]
        if not forward:
            return AuditPage(page[::-1], None)
        if len(safe) > count:
            return AuditPage(page, page[-1].id)
        # Everything up to the bound was looked at: the next page starts there.
        nxt = None if bound is None else f"{bound[0]}-{bound[1]}-{bound[2]}"
        return AuditPage(page, nxt)

    async def _fetch(
        self, targets: list[tuple[int, str]], forward: bool, start: str, per: int
    ) -> list[list[tuple[str, dict[str, str]]]]:
        """Up to ``per`` entries of each target stream from ``start``: one script call
        per node (``audit_read.lua``), or, when a slot is not where the client thinks
        (a resharding), one XRANGE per stream, pipelined."""
        command, end = ("XRANGE", "+") if forward else ("XREVRANGE", "-")
        async with self._link.io() as r:
            client = self._link.cluster_client
            by_node: dict[str, tuple[Any, list[int]]] = {}
            for i, (slot, _) in enumerate(targets):
                node = client.nodes_manager.slots_cache[slot][0]
                by_node.setdefault(node.name, (node, []))[1].append(i)
            script = self._read_node

            async def on(node: Any, at: list[int]) -> Any:
                call = ("EVALSHA", script.sha, 0, command, start, end, per)
                streams = [targets[i][1] for i in at]
                try:
                    return await r.execute_command(*call, *streams, target_nodes=node)
                except NoScriptError:  # a node's script cache is empty after a restart
                    await r.execute_command("SCRIPT", "LOAD", script.script, target_nodes=node)
                    return await r.execute_command(*call, *streams, target_nodes=node)

            try:
                answers = await asyncio.gather(*(on(node, at) for node, at in by_node.values()))
            except ResponseError as exc:  # a slot moved: ask each stream's owner instead
                log.info("event=audit_read_fallback error=%r", str(exc))
                answers = None
            replies: list[list[tuple[str, dict[str, str]]]] = [[] for _ in targets]
            if answers is not None:
                for (_, at), flat in zip(by_node.values(), answers, strict=True):
                    for j in range(0, len(flat), 2):
                        replies[at[int(flat[j]) - 1]] = _batch(
                            [(i, _pairs(raw)) for i, raw in flat[j + 1]]
                        )
                return replies
            async with r.pipeline(transaction=False) as pipe:
                for _, stream in targets:
                    pipe.execute_command(command, stream, start, end, "COUNT", per)
                return [_batch(reply) for reply in await pipe.execute()]

    async def follow(
        self,
        user: str | None,
        since: str | float | None,
        *,
        poll: float = 1.0,
        stop: asyncio.Event | None = None,
    ) -> AsyncIterator[AuditEntry]:
        if self._streams.cluster:
            # Pages, polled: redis-py's cluster client can swallow the cancellation of
            # a blocking XREAD (and an everyone read spans every slot anyway).
            async for entry in super().follow(user, since, poll=poll, stop=stop):
                yield entry
            return
        slot, stream = self._streams.to_read(user, self._keys)[0]
        cursor = "0-0"
        if since is None:
            async with self._link.io() as r:
                latest = _batch(await r.xrevrange(stream, "+", "-", count=1))
            cursor = latest[0][0] if latest else "0-0"
        else:
            while True:  # catch up page by page, then block for new entries
                page = await self.read(user, since, 1000)
                for entry in page.entries:
                    yield entry
                since = page.next or (page.entries[-1].id if page.entries else since)
                if page.next is None:
                    break
            if isinstance(since, str):
                cursor = "-".join(since.split("-")[:2])
            else:
                async with self._link.io() as r:
                    latest = _batch(await r.xrevrange(stream, "+", "-", count=1))
                cursor = latest[0][0] if latest else "0-0"
        while stop is None or not stop.is_set():
            async with self._link.io() as r:
                reply: Any = await r.xread({stream: cursor}, count=1000, block=_BLOCK_MS)
            for _, got in reply or []:
                for raw_id, raw in _batch(got):
                    cursor = raw_id
                    entry = entry_of(self._id(raw_id, slot), raw)
                    if user is None or entry.user == user:
                        yield entry
            await asyncio.sleep(0)


def _batch(reply: Any) -> list[tuple[str, dict[str, str]]]:
    """XRANGE's reply, typed (the client decodes responses to str)."""
    return [(str(i), dict(raw or {})) for i, raw in reply or []]


def _pairs(flat: Any) -> dict[str, str]:
    """A Lua reply's field list (name, value, ...) as a dict."""
    return {str(flat[k]): str(flat[k + 1]) for k in range(0, len(flat) - 1, 2)}


def _after(since: str | float) -> Any:
    """A predicate: is an entry past ``since`` (a cursor: strictly after; a time: at or
    after)? ValueError for a malformed cursor."""
    if isinstance(since, str):
        key = id_key(since)
        return lambda e: id_key(e.id) > key
    return lambda e: e.at >= since


def _start(since: str | float) -> str:
    """Where a forward XRANGE for ``since`` begins (inclusive; ``_after`` filters)."""
    if isinstance(since, str):
        ms, seq, _ = id_key(since)
        return f"{ms}-{seq}"
    return str(max(0, math.floor(since * 1000) - _SKEW_MS))
