"""The measuring scripts behind docs/scaling.md, at toy size, so they cannot rot."""

from __future__ import annotations

import asyncio

import pytest

from benchmarks import fanout, redis_memory
from tests.support.redis_cluster import RedisCluster
from tests.support.redis_proc import RedisProcess

pytestmark = [pytest.mark.redis, pytest.mark.slow]


async def test_fanout_delivers_each_displacement_to_one_worker(
    redis_cluster: RedisCluster,
) -> None:
    """Per-user sharded events: each of 20 displacements reaches one of 3 workers, and
    none crosses the cluster bus."""
    result = await fanout._measure(redis_cluster, workers=3, users=10, rounds=20)
    assert result["tree"] == "per-user sharded"
    assert result["delivered_per_displacement"] == 1.0
    assert result["cluster_bus_publish_messages_per_displacement"] == 0


async def test_redis_memory_reports_every_figure() -> None:
    """200 users: every figure is reported, and every kind of key has a size (the deltas
    of used_memory are too noisy at this size to check)."""
    server = await asyncio.to_thread(RedisProcess().start)
    try:
        figures = await redis_memory._measure(server.url, 200)
    finally:
        await asyncio.to_thread(server.stop, save=False)
    for name in ("account", "session", "tombstone", "known_device", "sharded_subscription"):
        assert isinstance(figures[f"bytes_per_{name}"], int), figures
    assert all(size > 0 for size in figures["memory_usage"].values()), figures
    assert figures["usec_per_check_script"] > 0
