"""One store fixture, parametrized over every engine: ids "memory", "redis", "redis-cluster"."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from server.sessions.base import SessionStore
from server.sessions.factory import Stores, memory_stores, redis_stores
from server.sessions.policy import Policy, SessionLimits
from server.sessions.records import LoginOutcome, SessionRecord
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
async def stores(request: pytest.FixtureRequest, clock: FakeClock) -> AsyncIterator[Stores]:
    """Fresh, empty stores of each engine, reading the fake clock."""
    engine: Stores
    if request.param == "memory":
        engine = memory_stores(clock)
    elif request.param == "redis":
        # redis_prefix (tests/conftest.py) deletes this prefix's keys afterwards.
        prefix = request.getfixturevalue("redis_prefix")
        engine = redis_stores(REDIS_TEST_URL, prefix=prefix, clock=clock)
    else:
        # A private cluster for the session; cluster_prefix deletes its keys afterwards.
        cluster: RedisCluster = request.getfixturevalue("redis_cluster")
        prefix = request.getfixturevalue("cluster_prefix")
        engine = redis_stores(cluster.url, prefix=prefix, clock=clock)
    yield engine
    await engine.close()


@pytest.fixture
def store(stores: Stores) -> SessionStore:
    """The session store of each engine."""
    return stores.sessions


@pytest.fixture
def login(store: SessionStore, clock: FakeClock) -> Login:
    """Log in a session created now; device "dev-<jti>", name "PC <jti>", class desktop
    by default."""

    async def login(
        jti: str,
        device_id: str | None = None,
        *,
        user: str = "alice",
        policy: Policy = Policy.DISPLACE,
        max_sessions: SessionLimits | int = 1,
        takeover: bool = False,
        idle_ttl: float = IDLE,
        lifetime: float = LIFETIME,
        ip: str = "10.0.0.1",
        presence_grace: float | None = None,
        device_class: str = "desktop",
    ) -> LoginOutcome:
        now = clock()
        device = device_id or f"dev-{jti}"
        record = SessionRecord(
            user, jti, device, f"PC {jti}", ip, now, now + lifetime, device_class
        )
        return await store.login(
            record,
            policy=policy,
            max_sessions=max_sessions,
            takeover=takeover,
            idle_ttl=idle_ttl,
            presence_grace=presence_grace,
        )

    return login
