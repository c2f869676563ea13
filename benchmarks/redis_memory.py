"""Redis memory per session, per tombstone, per account and per sharded subscription.

``python -m benchmarks.redis_memory [--n 10000]``

Starts a private redis-server (no persistence), then measures ``INFO memory``
``used_memory`` before and after each step over ``n`` users, with records shaped as
the server writes them (32-character JTIs, a 15-character device name, an IPv4
address, argon2id hashes):

1. accounts:      ``n`` accounts (``users add``'s record)
2. sessions:      one login per account (index ZSET + session HASH)
3. tombstones:    a second login per account, displacing the first (its HASH becomes
                  a tombstone, its index member stays until the token's end)
4. known devices: one remembered device per account (a real login's settle step)
5. subscriptions: ``n`` sharded channels subscribed on one connection (what a worker
                  holds on a cluster shard for ``n`` users)

and ``MEMORY USAGE`` of one key of each kind; also Redis's own time per script call
(``INFO commandstats``) for a displacing login and for a re-check.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

import redis
from argon2 import PasswordHasher

from server.auth import new_jti
from server.sessions.factory import redis_stores
from server.sessions.keys import Keys
from server.sessions.policy import Policy
from server.sessions.records import Account, SessionRecord
from tests.support.redis_proc import RedisProcess

PREFIX = "lg"


def _used(client: redis.Redis) -> int:
    return int(client.info("memory")["used_memory"])


def _usec_per_evalsha(client: redis.Redis) -> float:
    """Redis's own time per EVALSHA since the last CONFIG RESETSTAT (INFO commandstats)."""
    return float(client.info("commandstats")["cmdstat_evalsha"]["usec_per_call"])


async def _measure(url: str, n: int) -> dict[str, Any]:
    client = redis.Redis.from_url(url, decode_responses=True)
    stores = redis_stores(url, prefix=PREFIX)
    keys = Keys(PREFIX)
    users = [f"user{i:07d}" for i in range(n)]
    figures: dict[str, Any] = {"n": n}
    try:
        hashed = PasswordHasher().hash("a password of twenty")
        base = _used(client)
        await stores.accounts.put_many([Account(u, hashed) for u in users], replace=True)
        after_accounts = _used(client)
        figures["bytes_per_account"] = round((after_accounts - base) / n)

        now = time.time()

        async def login(user: str, device: str) -> str:
            jti = new_jti()
            record = SessionRecord(
                user, jti, device, "PC-LAB-0123-KOR", "10.20.30.40", now, now + 8 * 3600
            )
            await stores.sessions.login(
                record, policy=Policy.DISPLACE, max_sessions=1, takeover=False, idle_ttl=3600
            )
            return jti

        first = {}
        for chunk in range(0, n, 200):
            batch = users[chunk : chunk + 200]
            jtis = await asyncio.gather(*(login(u, f"device-{u}-a") for u in batch))
            first.update(zip(batch, jtis, strict=True))
        after_sessions = _used(client)
        figures["bytes_per_session"] = round((after_sessions - after_accounts) / n)

        second: dict[str, str] = {}
        client.config_resetstat()
        for chunk in range(0, n, 200):
            batch = users[chunk : chunk + 200]
            jtis = await asyncio.gather(*(login(u, f"device-{u}-b") for u in batch))
            second.update(zip(batch, jtis, strict=True))
        figures["usec_per_displacing_login_script"] = _usec_per_evalsha(client)
        after_tombstones = _used(client)
        figures["bytes_per_tombstone"] = round((after_tombstones - after_sessions) / n)

        # The re-check round's load: check.lua per socket, pipelined ~70 a slice.
        refs = [(u, second[u]) for u in users]  # live sessions
        client.config_resetstat()
        for chunk in range(0, n, 70):
            await stores.sessions.check_many(refs[chunk : chunk + 70], touch_ttl=3600, present=True)
        figures["usec_per_check_script"] = _usec_per_evalsha(client)

        # Real logins also remember the device (reserve/settle): one ZSET member each.
        before_devices = _used(client)
        pipe = client.pipeline(transaction=False)
        for user in users:
            pipe.zadd(keys.devices(user), {f"{new_jti()[:36]}": now})
        pipe.execute()
        figures["bytes_per_known_device"] = round((_used(client) - before_devices) / n)

        sample = users[0]
        prefix = keys.of_user(sample)
        index = client.zrange(keys.index(sample), 0, -1)
        live = next(m for m in index if m.startswith("s:"))
        dead = next(m for m in index if m.startswith("t:"))
        figures["memory_usage"] = {
            "account HASH": client.memory_usage(keys.account(sample)),
            "index ZSET (1 live + 1 tombstone)": client.memory_usage(keys.index(sample)),
            "session HASH": client.memory_usage(prefix + live),
            "tombstone HASH": client.memory_usage(prefix + dead),
            "known devices ZSET (1)": client.memory_usage(keys.devices(sample)),
        }

        subscriber = redis.Redis.from_url(url, decode_responses=True).pubsub()
        before_subs = _used(client)
        for chunk in range(0, n, 1000):
            subscriber.ssubscribe(*(keys.events(u) for u in users[chunk : chunk + 1000]))
        while subscriber.get_message(timeout=1.0) is not None:
            pass  # the confirmations
        figures["bytes_per_sharded_subscription"] = round((_used(client) - before_subs) / n)
        subscriber.close()
        figures["used_memory_total"] = _used(client)
        return figures
    finally:
        await stores.close()
        client.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args(argv)
    server = RedisProcess().start()
    try:
        print(json.dumps(asyncio.run(_measure(server.url, args.n)), indent=2))
    finally:
        server.stop(save=False)


if __name__ == "__main__":
    main()
