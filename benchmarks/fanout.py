"""Events received per worker per displacement on a private 3-primary Redis Cluster.

``python -m benchmarks.fanout [--workers 6] [--users 300] [--displacements 600]``

Each *worker* is one engine (``redis_stores``) with its own event subscription, as a
server worker has; each user's socket is held by one worker at a time (it follows
the user there, where the event bus has follows). A displacement is a login of the
user through a random worker; the worker holding the displaced socket must hear
it, then the new socket lands on a random worker. Printed: events delivered per
displacement (all workers together and per worker) and the cluster bus's publish
messages per displacement (``CLUSTER INFO`` ``cluster_stats_messages_publish*``), so
the same script measures any tree on ``PYTHONPATH`` (before: one broadcast channel).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import Counter
from typing import Any

from server.sessions.factory import Stores, redis_stores
from server.sessions.policy import Policy
from server.sessions.records import SessionRecord, StoreEvent
from tests.support.redis_cluster import RedisCluster


def _bus_publishes(cluster: RedisCluster) -> int:
    total = 0
    for port in cluster.ports:
        with cluster.client(port) as node:
            info = node.cluster("info")
        total += sum(int(v) for k, v in info.items() if k.startswith("cluster_stats_messages_pub"))
    return total


async def _measure(cluster: RedisCluster, workers: int, users: int, rounds: int) -> dict[str, Any]:
    prefix = f"fanout{random.randrange(10**6)}"
    engines: list[Stores] = [redis_stores(cluster.url, prefix=prefix) for _ in range(workers)]
    received: Counter[int] = Counter()
    heard: dict[tuple[str, str], asyncio.Event] = {}

    def handler(index: int):  # type: ignore[no-untyped-def]
        def handle(event: StoreEvent) -> None:
            received[index] += 1
            waiter = heard.get((event.user, getattr(event, "jti", "")))
            if waiter is not None:
                waiter.set()

        return handle

    async def resync(*_: object) -> None:
        return None

    tasks = [
        asyncio.create_task(e.events.listen(handler(i), resync)) for i, e in enumerate(engines)
    ]
    holder: dict[str, int] = {}
    jti_of: dict[str, str] = {}
    names = [f"u{i}" for i in range(users)]
    sharded = hasattr(engines[0].events, "follow")

    async def place(user: str, jti: str) -> None:
        index = random.randrange(workers)
        holder[user], jti_of[user] = index, jti
        if sharded:
            engines[index].events.follow(user)
            assert await engines[index].events.heard(user, 5.0)

    async def login(user: str, jti: str) -> None:
        now = time.time()
        record = SessionRecord(user, jti, f"dev-{jti}", "PC", "10.0.0.1", now, now + 3600)
        engine = engines[random.randrange(workers)]
        await engine.sessions.login(
            record, policy=Policy.DISPLACE, max_sessions=1, takeover=False, idle_ttl=600
        )

    try:
        await asyncio.sleep(0.5)  # classic subscriptions settle (they have no "heard")
        for user in names:
            await login(user, f"{user}-0")
            await place(user, f"{user}-0")
        base, bus_before = sum(received.values()), _bus_publishes(cluster)
        received.clear()
        started = time.perf_counter()
        for n in range(1, rounds + 1):
            user = random.choice(names)
            old, new = jti_of[user], f"{user}-{n}"
            waiter = heard[(user, old)] = asyncio.Event()
            await login(user, new)
            await asyncio.wait_for(waiter.wait(), 5.0)
            del heard[(user, old)]
            if sharded:  # the displaced socket closes: its worker stops following
                engines[holder[user]].events.unfollow(user)
            await place(user, new)
        elapsed = time.perf_counter() - started
        await asyncio.sleep(0.3)  # late deliveries, if any
        bus = _bus_publishes(cluster) - bus_before
        delivered = sum(received.values())
        return {
            "tree": "per-user sharded" if sharded else "one broadcast channel",
            "workers": workers,
            "users": users,
            "displacements": rounds,
            "events_before_measuring": base,
            "delivered_per_displacement": round(delivered / rounds, 3),
            "received_per_worker_per_displacement": round(delivered / rounds / workers, 3),
            "busiest_worker_per_displacement": round(max(received.values()) / rounds, 3),
            "cluster_bus_publish_messages_per_displacement": round(bus / rounds, 3),
            "seconds": round(elapsed, 2),
        }
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for engine in engines:
            await engine.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--displacements", type=int, default=600)
    args = parser.parse_args(argv)
    cluster = RedisCluster().start()
    try:
        result = asyncio.run(_measure(cluster, args.workers, args.users, args.displacements))
    finally:
        cluster.stop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
