"""/metrics: the per-worker series, push latency, loop lag and store reachability."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families

from server.collector import Collector
from server.metrics import Metrics
from shared.errors import ErrorCode
from tests.support.clients import connected, login
from tests.support.polling import eventually
from tests.support.redis_proc import RedisProcess
from tests.support.server import ServerProcess

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """Every sample of an exposition, by name and sorted labels."""
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def scrape(server: ServerProcess) -> Samples:
    return samples(httpx.get(server.url + "/metrics").text)


def by_worker(found: Samples, name: str) -> dict[str, float]:
    return {dict(labels)["worker"]: value for (n, labels), value in found.items() if n == name}


async def test_two_workers_report_their_own_sockets_lag_and_store_and_pushes_are_timed(
    redis_server: ServerProcess,
) -> None:
    """With two workers each has its own worker-labelled series, the per-worker sockets add
    up to the total, and a displacement pushed to a socket is timed."""
    socks = []
    for user in ("user1", "user2", "user3"):
        token = (await asyncio.to_thread(login, redis_server, user, "PC-1"))["access_token"]
        socks.append(await connected(redis_server, token))

    def settled() -> Samples | None:
        found = scrape(redis_server)
        lag = by_worker(found, "loginguard_loop_lag_seconds_count").values()
        return found if found[("loginguard_sockets", ())] == 3 and all(lag) else None

    found = await eventually(settled, what="3 sockets, every worker's loop timed")
    workers = by_worker(found, "loginguard_loop_lag_seconds_count")
    assert len(workers) == 2, workers
    sockets = by_worker(found, "loginguard_worker_sockets")
    assert set(sockets) <= set(workers), sockets
    assert sum(sockets.values()) == 3, sockets
    assert by_worker(found, "loginguard_store_reachable") == dict.fromkeys(workers, 1.0)
    assert found[("loginguard_errors_total", (("code", "store_unavailable"),))] == 0
    assert found[("loginguard_push_seconds_count", (("reason", "displaced"),))] == 0

    await asyncio.to_thread(login, redis_server, "user1", "PC-new")
    while (message := await socks[0].next_message())["type"] != "displaced":
        assert message["type"] == "sessions", message
    found = scrape(redis_server)
    assert found[("loginguard_push_seconds_count", (("reason", "displaced"),))] == 1
    assert 0 <= found[("loginguard_push_seconds_sum", (("reason", "displaced"),))] < 5
    for sock in socks:
        await sock.conn.close()


async def test_store_reachable_drops_to_0_while_redis_is_down_and_returns_to_1(
    start_server: Callable[..., ServerProcess],
) -> None:
    """A worker with no socket and no request still notices within seconds that Redis is
    gone, and that it is back."""
    redis_proc = RedisProcess().start()
    try:
        server = start_server("--demo", "--redis-url", redis_proc.url)

        def reachable() -> float:
            return scrape(server)[("loginguard_store_reachable", (("worker", "main"),))]

        assert reachable() == 1
        redis_proc.stop()
        await eventually(lambda: reachable() == 0, wait=10, what="store unreachable")
        redis_proc.start()
        await eventually(lambda: reachable() == 1, wait=10, what="store reachable again")
    finally:
        redis_proc.stop()


async def test_a_blocked_event_loop_shows_as_loop_lag() -> None:
    """A stall of the event loop is observed as one late timer of about its length."""
    metrics = Metrics()
    task = asyncio.get_running_loop().create_task(Collector(metrics, period=0.02).run())
    try:
        await asyncio.sleep(0.01)
        time.sleep(0.3)  # noqa: ASYNC251 - the point: what a long GC or blocking call does
        await asyncio.sleep(0.5)
    finally:
        task.cancel()
        gc.unfreeze()  # the collector froze this test process's objects
    found = samples(metrics.exposition().decode())
    count = found[("loginguard_loop_lag_seconds_count", (("worker", "main"),))]
    below = found[("loginguard_loop_lag_seconds_bucket", (("le", "0.25"), ("worker", "main")))]
    under_a_second = found[
        ("loginguard_loop_lag_seconds_bucket", (("le", "1.0"), ("worker", "main")))
    ]
    assert count >= 2, found
    assert count - below == 1, found
    assert under_a_second == count, found


def test_every_error_code_is_exported_before_it_happens() -> None:
    """A fresh worker exports every error code at 0, so a rate of it is 0 rather than absent."""
    found = samples(Metrics().exposition().decode())
    codes = {dict(labels)["code"] for (n, labels) in found if n == "loginguard_errors_total"}
    assert codes == {code.value for code in ErrorCode}
