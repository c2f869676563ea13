"""python -m benchmarks [--sockets N] [--rounds N]

Prints, for real server processes on loopback:
* push: time from PC-2's login request to PC-1's ``displaced`` message, and the
  login round trip, on the memory store (1 worker) and on Redis (2 workers);
* scale: the same push with N idle sockets held by one worker, that worker's
  memory per socket, and its full garbage-collection pauses.

Machines here are shared and noisy: compare ratios between runs, not absolutes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import time
from collections.abc import Sequence

import httpx

from tests.support.clients import connected
from tests.support.server import (
    FAST_HASH_ENV,
    REDIS_TEST_URL,
    ServerProcess,
    delete_prefix,
    login_body,
    new_prefix,
)


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def row(name: str, values: Sequence[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"  {name:<28} n={len(ms):<5} p50={pct(ms, 0.5):7.2f} ms  p95={pct(ms, 0.95):7.2f} ms  "
        f"p99={pct(ms, 0.99):7.2f} ms  max={max(ms):7.2f} ms"
    )


async def push_rounds(server: ServerProcess, rounds: int) -> tuple[list[float], list[float]]:
    push, login = [], []
    async with httpx.AsyncClient(base_url=server.url) as client:
        for i in range(rounds):
            r = await client.post("/api/auth/login", json=login_body("user1", f"A{i}"))
            sock = await connected(server, r.json()["access_token"])
            started = time.perf_counter()
            second = login_body("user1", f"B{i}")
            request = asyncio.ensure_future(client.post("/api/auth/login", json=second))
            message = await sock.next_message()
            push.append(time.perf_counter() - started)
            await request
            login.append(time.perf_counter() - started)
            assert message["type"] == "displaced"
            await sock.until_closed()
    return push, login


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        text = status.read()
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1))  # type: ignore[union-attr]


def gc_full_pauses(server: ServerProcess) -> tuple[int, float]:
    text = httpx.get(server.url + "/metrics").text
    count = re.search(r'loginguard_gc_pause_seconds_count\{generation="2"\} (\S+)', text)
    total = re.search(r'loginguard_gc_pause_seconds_sum\{generation="2"\} (\S+)', text)
    if not count or not total or float(count.group(1)) == 0:
        return 0, 0.0
    return int(float(count.group(1))), float(total.group(1)) / float(count.group(1))


BENCH_PASSWORD = "bench-password"


async def seed_users(prefix: str, count: int) -> None:
    """Accounts bench0..benchN straight into Redis, hashed as the test server expects."""
    from server.auth import Passwords
    from server.sessions.base import User
    from server.sessions.redis import RedisStore

    passwords = Passwords(
        int(FAST_HASH_ENV["LOGINGUARD_ARGON2_TIME_COST"]),
        int(FAST_HASH_ENV["LOGINGUARD_ARGON2_MEMORY_KIB"]),
    )
    hashed = passwords.hash_sync(BENCH_PASSWORD)
    passwords.close()
    store = RedisStore(REDIS_TEST_URL, prefix=prefix)
    try:
        for start in range(0, count, 1000):
            stop = min(count, start + 1000)
            await asyncio.gather(
                *(store.put_user(User(f"bench{i}", hashed)) for i in range(start, stop))
            )
    finally:
        await store.close()


def round_means(server: ServerProcess) -> dict[str, float]:
    text = httpx.get(server.url + "/metrics").text
    means = {}
    for loop, total in re.findall(r'loginguard_round_seconds_sum\{loop="(\w+)"\} (\S+)', text):
        count = re.search(rf'loginguard_round_seconds_count\{{loop="{loop}"\}} (\S+)', text)
        if count and float(count.group(1)):
            means[loop] = float(total) / float(count.group(1))
    return means


async def scale(sockets: int, rounds: int) -> None:
    """One worker on Redis holding ``sockets`` sessions of as many accounts."""
    prefix = new_prefix()
    await seed_users(prefix, sockets)
    period = "5"  # sweep and heartbeat rounds, so a few happen while we watch
    server = ServerProcess(
        [
            "--demo",
            "--redis-url",
            REDIS_TEST_URL,
            "--redis-prefix",
            prefix,
            "--recheck-interval",
            period,
            "--ping-interval",
            period,
        ]
    ).start()
    held = []
    try:
        assert server.proc is not None
        base = rss_kib(server.proc.pid)
        limits = httpx.Limits(max_connections=50)
        timeouts = httpx.Timeout(60, pool=None)  # thousands queue for 50 connections
        async with httpx.AsyncClient(
            base_url=server.url, limits=limits, timeout=timeouts
        ) as client:
            # A semaphore, not thousands of requests queued in httpx's pool,
            # whose bookkeeping grows with the queue (it measured 15 logins/s).
            gate = asyncio.Semaphore(50)

            async def one(i: int) -> str:
                body = {
                    "username": f"bench{i}",
                    "password": BENCH_PASSWORD,
                    "device_id": f"d{i}",
                    "device_name": f"S{i}",
                }
                async with gate:
                    r = await client.post("/api/auth/login", json=body)
                return str(r.json()["access_token"])

            started = time.perf_counter()
            tokens = await asyncio.gather(*(one(i) for i in range(sockets)))
            logins = time.perf_counter() - started
        started = time.perf_counter()
        for batch in range(0, sockets, 250):
            held += await asyncio.gather(
                *(connected(server, t) for t in tokens[batch : batch + 250])
            )
        opened = time.perf_counter() - started
        await asyncio.sleep(3 * float(period))  # let full sweeps and heartbeats run
        per_socket = (rss_kib(server.proc.pid) - base) * 1024 / sockets
        push, login = await push_rounds(server, rounds)
        gcs, mean_gc = gc_full_pauses(server)
        means = round_means(server)
        print(f"\nscale: one worker (Redis store) holding {sockets} idle sockets")
        print(f"  {sockets} logins in {logins:.1f} s ({sockets / logins:.0f}/s, fast test hash)")
        print(f"  {sockets} sockets opened in {opened:.1f} s")
        print(f"  server memory per socket      ~{per_socket / 1024:.1f} KiB")
        print(f"  full GCs in server            {gcs}, mean pause {mean_gc * 1000:.1f} ms")
        for loop, mean in sorted(means.items()):
            print(f"  one {loop} round, all sockets  {mean * 1000:.1f} ms mean")
        print(row("push with sockets held", push))
        print(row("login round trip", login))
    finally:
        for sock in held:
            await sock.conn.close()
        server.stop()
        delete_prefix(REDIS_TEST_URL, prefix)


async def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks")
    p.add_argument("--rounds", type=int, default=200)
    p.add_argument("--sockets", type=int, default=int(os.environ.get("BENCH_SOCKETS", "10000")))
    a = p.parse_args(argv)
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print(f"LoginGuard benchmarks on {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M')}")
    print("\npush: PC-2 login request → PC-1 receives displaced")
    memory = ServerProcess(["--demo"]).start()
    try:
        push, login = await push_rounds(memory, a.rounds)
        print(row("memory, 1 worker: push", push))
        print(row("memory, 1 worker: login", login))
    finally:
        memory.stop()
    prefix = new_prefix()
    args = ["--demo", "--workers", "2", "--redis-url", REDIS_TEST_URL, "--redis-prefix", prefix]
    redis_server = ServerProcess(args).start()
    try:
        push, login = await push_rounds(redis_server, a.rounds)
        print(row("redis, 2 workers: push", push))
        print(row("redis, 2 workers: login", login))
    finally:
        redis_server.stop()
        delete_prefix(REDIS_TEST_URL, prefix)
    await scale(a.sockets, min(a.rounds, 100))
    print("\n(login uses the tests' cheap argon2 parameters; production hashing adds its cost)")


if __name__ == "__main__":
    asyncio.run(main())
