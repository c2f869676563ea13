"""Accounts and attempt limits in Redis, shared by every worker on every node.

An account and its attempt buckets carry the account's hash tag ``{u:<user>}``,
so ``reserve.lua`` fetches the one and reserves in the other as one atomic
script, on one Cluster shard. The per-IP bucket has a tag of its own and rides
in the same pipeline (one round trip; two shards on a cluster, sent at once).

On a cluster, a login whose IP bucket sits on a shard that cannot be reached
goes on without the per-IP limit (the account's and the device's buckets, on the
account's own shard, still hold): the alternative is that one dead shard stops
every login from the addresses it counts. The ticket says so (``unchecked``) and
the outage is logged once per shard: ``rate_limit_degraded limit=ip``, then
``rate_limit_restored limit=ip`` once the shard answers again or a replica has
taken over. Anything else that cannot be reached fails closed.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

from redis.commands.core import AsyncScript
from redis.typing import EncodableT

from server.sessions import redis_codec as codec
from server.sessions import redis_scan
from server.sessions.accounts import AccountStore
from server.sessions.attempts import (
    KNOWN_DEVICE_TTL,
    AttemptLimiter,
    Limits,
    Reservation,
    Ticket,
)
from server.sessions.keys import Keys
from server.sessions.records import Account, Clock, StoreUnavailable
from server.sessions.redis_audit import Streams
from server.sessions.redis_conn import Call, Link
from server.sessions.redis_nodes import NodeUnreachable

_SCAN_BATCH = 500
_PUT_BATCH = 1000  # accounts per pipeline: one round trip each (per node on a cluster)
log = logging.getLogger("loginguard.store")


class RedisAccounts(AccountStore):
    def __init__(self, link: Link, keys: Keys) -> None:
        self._link = link
        self._keys = keys
        self._new = link.script("account_new.lua", lib=False)

    async def put(self, account: Account) -> None:
        async with self._link.io() as r:
            await r.hset(
                self._keys.account(account.username), mapping=codec.account_fields(account)
            )

    async def put_many(self, accounts: Sequence[Account], *, replace: bool) -> int:
        written = 0
        for start in range(0, len(accounts), _PUT_BATCH):
            batch = accounts[start : start + _PUT_BATCH]
            if replace:
                async with self._link.io() as r, r.pipeline(transaction=False) as pipe:
                    for account in batch:
                        fields = codec.account_fields(account)
                        pipe.hset(self._keys.account(account.username), mapping=fields)
                    await pipe.execute()
                written += len(batch)
                continue
            calls = [
                ([self._keys.account(a.username)], _flat(codec.account_fields(a))) for a in batch
            ]
            # Safe to pipeline (run_many runs a batch again after NOSCRIPT): a second
            # run finds the accounts of the first and leaves them as they are (on a
            # cluster where only some nodes had lost the script, the count then
            # misses the accounts those others created).
            written += sum(int(n) for n in await self._link.run_many(self._new, calls))
        return written

    async def get(self, username: str) -> Account | None:
        async with self._link.io() as r:
            fields = await r.hgetall(self._keys.account(username))
        return codec.account_of({str(k): str(v) for k, v in fields.items()})

    async def list(self) -> list[Account]:
        pattern = self._keys.account_pattern
        found = await redis_scan.every(self._link, match=pattern, count=_SCAN_BATCH)
        async with self._link.io() as r, r.pipeline(transaction=False) as pipe:
            for key in found:
                pipe.hgetall(key)
            replies = await pipe.execute()  # in order, whichever node holds each key
        accounts = [a for a in map(codec.account_of, replies) if a is not None]
        return sorted(accounts, key=lambda a: a.username)


class RedisAttempts(AttemptLimiter):
    def __init__(
        self, link: Link, keys: Keys, clock: Clock, margin_ms: int, streams: Streams
    ) -> None:
        self._link = link
        self._keys = keys
        self._clock = clock
        self._margin_ms = margin_ms
        self._streams = streams
        self._reserve = link.script("reserve.lua")
        self._bucket = link.script("bucket.lua")
        self._ip_down: set[str] = set()  # nodes whose IP buckets could not be reached

    def give(self, bucket: str, *audit: EncodableT, op: str = "give") -> tuple[AsyncScript, Call]:
        """The ``bucket.lua`` call that gives one attempt back to ``bucket`` (``op``
        "note": changes nothing), auditing ``audit`` (event, name, value, ...) if given."""
        return self._bucket, self._streams.call([bucket], [op, self._clock(), *audit])

    def _entry(
        self, event: str, r: Reservation, reason: str, *more: EncodableT
    ) -> list[EncodableT]:
        """An audit entry for bucket.lua: event, then name/value pairs."""
        return [event, "user", r.user, "device", r.device_name, "ip", r.ip, "reason", reason, *more]

    def give_ip(self, ip: str) -> tuple[AsyncScript, Call]:
        return self.give(self._keys.ip_bucket(ip))

    def given_back_ip(self, ip: str, reply: object) -> None:
        """Take in the reply of a pipelined :meth:`give_ip`: best effort, a give-back
        lost to a dead shard leaves one attempt counted."""
        if isinstance(reply, NodeUnreachable):
            self._ip_unreachable(reply)
        elif isinstance(reply, StoreUnavailable):
            log.warning("event=ip_bucket_unavailable ip=%s", ip)
        elif isinstance(reply, Exception):
            raise reply

    async def give_back_ip(self, ip: str) -> None:
        """:meth:`give_ip` on its own, best effort (see :meth:`given_back_ip`)."""
        try:
            reply: object = await self._link.run(*self.give_ip(ip))
        except StoreUnavailable as exc:
            reply = exc
        self.given_back_ip(ip, reply)

    def _ip_unreachable(self, error: NodeUnreachable) -> None:
        if error.node not in self._ip_down:
            log.warning("event=rate_limit_degraded limit=ip node=%s error=%r", error.node, error)
            self._ip_down.add(error.node)

    def _ip_answered(self) -> None:
        if self._ip_down:
            self._ip_down = {node for node in self._ip_down if self._link.is_down(node)}
            if not self._ip_down:
                log.info("event=rate_limit_restored limit=ip")

    def _take_ip(self, ip: str, limits: Limits) -> tuple[AsyncScript, Call]:
        args: list[EncodableT] = ["take", self._clock(), limits.window, limits.per_ip]
        args.append(self._ttl_ms(limits))
        return self._bucket, self._streams.call([self._keys.ip_bucket(ip)], args)

    def _ttl_ms(self, limits: Limits) -> int:
        return math.ceil(limits.window * 1000) + self._margin_ms

    def bucket_of(self, reservation: Reservation) -> str:
        """The per-account bucket that holds ``reservation``."""
        r = reservation
        if r.known_device:
            return self._keys.device_bucket(r.user, r.device_id)
        return self._keys.account_bucket(r.user)

    async def reserve(
        self, user: str, device_id: str, ip: str, limits: Limits, device_name: str = ""
    ) -> Ticket:
        k = self._keys
        keys = [k.account(user), k.devices(user), k.account_bucket(user)]
        keys.append(k.device_bucket(user, device_id))
        args: list[EncodableT] = [self._clock(), limits.window, limits.per_account]
        args += [limits.per_device, self._ttl_ms(limits), device_id, KNOWN_DEVICE_TTL]
        args += [user, device_name, ip]
        mine, by_ip = await self._link.run_each(
            [(self._reserve, self._streams.call(keys, args)), self._take_ip(ip, limits)],
            raise_on_error=False,
        )
        if isinstance(by_ip, NodeUnreachable):
            self._ip_unreachable(by_ip)
        elif isinstance(by_ip, Exception):
            raise by_ip
        else:
            self._ip_answered()
        if isinstance(mine, Exception):
            # The account's shard is down (a cluster): no login, and no attempt counted
            # against an address that may be shared by many accounts.
            if not isinstance(by_ip, Exception) and int(by_ip[0]):
                await self.give_back_ip(ip)
            raise mine
        taken, wait, known = int(mine[0]), float(mine[1]), mine[2] == 1
        account = codec.account_of(_pairs(mine[3:]))
        if isinstance(by_ip, NodeUnreachable):
            if not taken:
                return Ticket(account, None, wait)
            held = Reservation(user, device_id, ip, known, False, device_name)
            return Ticket(account, held, unchecked=() if known else ("ip",))
        ip_taken, ip_wait = int(by_ip[0]), float(by_ip[1])
        held = Reservation(user, device_id, ip, known, bool(ip_taken), device_name)
        if not taken:
            if ip_taken:
                await self.give_back_ip(ip)
            return Ticket(account, None, wait)
        if not known and not ip_taken:
            # The address's bucket refused: the account's gives its hold back and
            # audits the refusal, in the account's slot.
            entry = self._entry("login_limited", held, "ip", "retry_after", repr(ip_wait))
            await self._link.run(*self.give(self.bucket_of(held), *entry))
            return Ticket(account, None, ip_wait)
        return Ticket(account, held)

    async def failed(self, reservation: Reservation, *, reason: str = "bad_password") -> None:
        entry = self._entry("login_failed", reservation, reason)
        calls = [self.give(self.bucket_of(reservation), *entry, op="note")]
        if reservation.known_device and reservation.holds_ip:
            calls.append(self.give_ip(reservation.ip))
        await self._give_back(reservation, calls)

    async def release(self, reservation: Reservation) -> None:
        entry = self._entry("login_refused", reservation, "disabled")
        calls = [self.give(self.bucket_of(reservation), *entry)]
        if reservation.holds_ip:
            calls.append(self.give_ip(reservation.ip))
        await self._give_back(reservation, calls)

    async def _give_back(
        self, reservation: Reservation, calls: list[tuple[AsyncScript, Call]]
    ) -> None:
        """Run the account's call, and the IP bucket's give-back if there is one after it."""
        mine, *by_ip = await self._link.run_each(calls, raise_on_error=False)
        if isinstance(mine, Exception):
            raise mine
        if by_ip:
            self.given_back_ip(reservation.ip, by_ip[0])

    async def known_devices(self, user: str) -> list[str]:
        since = self._clock() - KNOWN_DEVICE_TTL
        async with self._link.io() as r:
            found = await r.zrange(
                self._keys.devices(user), "+inf", f"({since}", desc=True, byscore=True
            )
        return [str(d) for d in found]


def _flat(fields: dict[Any, EncodableT]) -> list[EncodableT]:
    return [item for pair in fields.items() for item in pair]


def _pairs(flat: list[Any]) -> dict[str, str]:
    return {str(flat[i]): str(flat[i + 1]) for i in range(0, len(flat) - 1, 2)}
