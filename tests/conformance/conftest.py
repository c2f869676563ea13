"""One store fixture, parametrized over every engine: ids "memory", "redis", "redis-cluster"."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from server.sessions.base import LoginOutcome, SessionRecord, SessionStore
from server.sessions.policy import Policy
from tests.conformance.helpers import IDLE, LIFETIME, FakeClock, Login
from tests.support.redis_cluster import RedisCluster
from tests.support.server import REDIS_TEST_URL


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(
    params=[
        "memory",
        pytest.param("redis", marks=pytest.mark.redis),
        pytest.param("redis-cluster", marks=pytest.mark.redis),
    ]
)
async def store(request: pytest.FixtureRequest, clock: FakeClock) -> AsyncIterator[SessionStore]:
    """A fresh, empty store of each engine, reading the fake clock."""
    engine: SessionStore
    if request.param == "memory":
        from server.sessions.memory import MemoryStore

        engine = MemoryStore(clock=clock)
    elif request.param == "redis":
        from server.sessions.redis import RedisStore

        # redis_prefix (tests/conftest.py) deletes this prefix's keys afterwards.
        prefix = request.getfixturevalue("redis_prefix")
        engine = RedisStore(REDIS_TEST_URL, prefix=prefix, clock=clock)
    else:
        from server.sessions.redis import RedisStore

        # A private cluster for the session; cluster_prefix deletes its keys afterwards.
        cluster: RedisCluster = request.getfixturevalue("redis_cluster")
        prefix = request.getfixturevalue("cluster_prefix")
        engine = RedisStore(cluster.url, prefix=prefix, clock=clock)
    yield engine
    await engine.close()


@pytest.fixture
def login(store: SessionStore, clock: FakeClock) -> Login:
    """Log in a session created now; device "dev-<jti>" and name "PC <jti>" by default."""

    async def login(
        jti: str,
        device_id: str | None = None,
        *,
        user: str = "alice",
        policy: Policy = Policy.DISPLACE,
        max_sessions: int = 1,
        takeover: bool = False,
        idle_ttl: float = IDLE,
        lifetime: float = LIFETIME,
        ip: str = "10.0.0.1",
    ) -> LoginOutcome:
        now = clock()
        record = SessionRecord(
            user, jti, device_id or f"dev-{jti}", f"PC {jti}", ip, now, now + lifetime
        )
        return await store.login(
            record, policy=policy, max_sessions=max_sessions, takeover=takeover, idle_ttl=idle_ttl
        )

    return login
