"""Fixtures shared by every test folder: real servers, real Redis."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.redis_cluster import RedisCluster
from tests.support.server import REDIS_TEST_URL, ServerProcess, delete_prefix, new_prefix


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own on the test DB; its keys go afterwards."""
    prefix = new_prefix()
    yield prefix
    delete_prefix(REDIS_TEST_URL, prefix)


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisCluster]:
    """A private three-primary Redis Cluster, started once for the session and shut down."""
    cluster = RedisCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture
def failover_cluster() -> Iterator[RedisCluster]:
    """Three primaries with a replica each; a failed primary's slots do not stop the others."""
    cluster = RedisCluster(
        replicas=1,
        options=("--cluster-node-timeout", "1000", "--cluster-require-full-coverage", "no"),
    ).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def doomed_cluster() -> Iterator[RedisCluster]:
    """Three primaries, no replicas, of this test's own: the live nodes keep serving
    their slots when one dies."""
    cluster = RedisCluster(options=("--cluster-require-full-coverage", "no")).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def cluster_prefix(redis_cluster: RedisCluster) -> Iterator[str]:
    """A key prefix of this test's own on the private cluster; its keys go afterwards."""
    prefix = new_prefix()
    yield prefix
    redis_cluster.delete_prefix(prefix)


@pytest.fixture
def start_server() -> Iterator[Callable[..., ServerProcess]]:
    """Start real server processes: ``start_server("--demo", ...)``; all stopped after."""
    started: list[ServerProcess] = []

    def start(*args: str, env: dict[str, str] | None = None) -> ServerProcess:
        proc = ServerProcess(list(args), env or {})
        started.append(proc)
        return proc.start()

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
def memory_server(start_server: Callable[..., ServerProcess]) -> ServerProcess:
    """A one-worker demo server on the embedded store."""
    return start_server("--demo")


@pytest.fixture
def redis_server(start_server: Callable[..., ServerProcess], redis_prefix: str) -> ServerProcess:
    """A two-worker demo server on the test Redis, with its own key prefix."""
    return start_server(
        "--demo", "--workers", "2", "--redis-url", REDIS_TEST_URL, "--redis-prefix", redis_prefix
    )
