"""One rule, two implementations: policy.decide and login.lua agree on random session sets."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from redis.typing import EncodableT, FieldT

from server.sessions.factory import redis_stores
from server.sessions.keys import Keys
from server.sessions.policy import Policy, SessionLimits, as_limits, decide
from server.sessions.records import SessionRecord
from shared.device_classes import DEFAULT_CLASS
from tests.conformance.helpers import START
from tests.support.server import REDIS_TEST_URL, delete_prefix, new_prefix

pytestmark = pytest.mark.redis

NOW = START + 1000.0
_users = itertools.count()


@dataclass(frozen=True)
class Held:
    jti: str
    device_id: str
    created_at: float
    stored_class: str | None  # None: a record from before device classes

    @property
    def device_class(self) -> str:
        return self.stored_class or DEFAULT_CLASS


held_sessions = st.lists(
    st.builds(
        Held,
        jti=st.text("abcXYZ09-_", min_size=1, max_size=6),
        device_id=st.sampled_from(["d1", "d2", "d3", "d4"]),
        # Ties are frequent on purpose: then the JTI orders them, byte-wise.
        created_at=st.sampled_from([START, START + 1, START + 2, START + 2.5]),
        stored_class=st.sampled_from([None, "desktop", "mobile", "web"]),
    ),
    max_size=6,
    unique_by=lambda h: h.jti,
)
# A bare number, or a map with or without "*" (always letting the new login's class in).
limits = st.one_of(
    st.integers(1, 4),
    st.builds(
        lambda desktop, mobile, default: SessionLimits(
            total=None,
            per_class=(("desktop", desktop),) + ((("mobile", mobile),) if mobile else ()),
            default=default,
        ),
        desktop=st.integers(1, 3),
        mobile=st.integers(0, 3),  # 0: not named
        default=st.one_of(st.none(), st.integers(1, 3)),
    ),
)


@pytest.fixture(scope="module")
def prefix() -> Iterator[str]:
    """A key prefix of this module's own; its keys go afterwards."""
    name = new_prefix()
    yield name
    delete_prefix(REDIS_TEST_URL, name)


def _seed(prefix: str, user: str, held: list[Held]) -> None:
    """Write the sessions straight into Redis, as login.lua itself would have."""
    keys = Keys(prefix)
    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        for h in held:
            fields: dict[FieldT, EncodableT] = {
                "device_id": h.device_id,
                "device_name": "PC",
                "ip": "10.0.0.1",
                "created_at": repr(h.created_at),
                "expires_at": repr(NOW + 3600),
            }
            if h.stored_class is not None:
                fields["device_class"] = h.stored_class
            client.hset(keys.of_user(user) + "s:" + h.jti, mapping=fields)
            client.zadd(keys.index(user), {"s:" + h.jti: NOW + 600})
    finally:
        client.close()


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    held=held_sessions,
    device=st.sampled_from(["d1", "d2", "d5"]),
    device_class=st.sampled_from(["desktop", "mobile", "web"]),
    policy=st.sampled_from(list(Policy)),
    max_sessions=limits,
    takeover=st.booleans(),
)
def test_login_lua_decides_as_policy_decide(
    prefix: str,
    held: list[Held],
    device: str,
    device_class: str,
    policy: Policy,
    max_sessions: SessionLimits | int,
    takeover: bool,
) -> None:
    """Admission, evictions and conflicts are the same sets in Python and in Lua, for
    every device class, bare or per-class limits, and records from before classes."""
    assume(as_limits(max_sessions).limit_of(device_class) is not None)
    user = f"diff{next(_users)}"
    _seed(prefix, user, held)
    expected = decide(held, device, policy, max_sessions, takeover, (), device_class)
    record = SessionRecord(
        user, "new-jti", device, "PC new", "10.0.0.2", NOW, NOW + 3600, device_class
    )

    async def run() -> tuple[bool, set[str], list[str], dict[str, str]]:
        stores = redis_stores(REDIS_TEST_URL, prefix=prefix, clock=lambda: NOW)
        try:
            out = await stores.sessions.login(
                record, policy=policy, max_sessions=max_sessions, takeover=takeover, idle_ttl=600
            )
        finally:
            await stores.close()
        return (
            out.admitted is not None,
            {r.jti for r in out.ended},
            [r.jti for r in out.conflicts],
            {r.jti: r.device_class for r in (*out.ended, *out.conflicts)},
        )

    admitted, ended, conflicts, classes = asyncio.run(run())
    assert admitted == expected.admit
    assert ended == set(expected.evict)
    assert conflicts == list(expected.conflicts)
    assert classes == {h.jti: h.device_class for h in held if h.jti in classes}
