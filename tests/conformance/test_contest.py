"""The ping-pong guard on every engine: counted, refused and announced in the login step.

Two PCs, ``pc-a`` and ``pc-b``, keep taking the account ``alice`` from each other.
The rule itself is :mod:`server.sessions.contest`; the last test feeds random
login sequences to every engine and to :func:`~server.sessions.contest.judge`
and requires the same answers.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.sessions.base import SessionStore
from server.sessions.contest import MEMORY, ContestRule, ContestState, judge
from server.sessions.factory import Stores, memory_stores, redis_stores
from server.sessions.policy import Policy
from server.sessions.records import ContestEvent, LoginOutcome, SessionRecord
from shared.reasons import EndReason
from tests.conformance.helpers import LIFETIME, START, FakeClock, listening
from tests.support.redis_cluster import RedisCluster
from tests.support.server import REDIS_TEST_URL, delete_prefix, new_prefix

RULE = ContestRule(limit=6, window=300.0, cooldown=300.0, max_cooldown=3600.0)
_jtis = itertools.count()


class Pcs:
    """Logins of one account from named PCs, each with a fresh JTI, under ``RULE``."""

    def __init__(self, store: SessionStore, clock: FakeClock, user: str = "alice") -> None:
        self.store, self.clock, self.user = store, clock, user

    async def login(
        self,
        device: str,
        *,
        policy: Policy = Policy.DISPLACE,
        max_sessions: int = 1,
        rule: ContestRule | None = RULE,
    ) -> LoginOutcome:
        now = self.clock()
        jti = f"{device}-{next(_jtis)}"
        record = SessionRecord(
            self.user, jti, device, f"PC {device}", "10.0.0.1", now, now + LIFETIME
        )
        return await self.store.login(
            record,
            policy=policy,
            max_sessions=max_sessions,
            takeover=False,
            idle_ttl=1800.0,
            contest=rule,
        )

    async def ping_pong(self, displacing: int, gap: float = 1.0) -> list[LoginOutcome]:
        """``pc-a`` signs in, then ``displacing`` logins alternate pc-b, pc-a, ... ``gap``
        seconds apart; the outcomes of the displacing ones."""
        await self.login("pc-a")
        outs = []
        for i in range(displacing):
            self.clock.advance(gap)
            outs.append(await self.login("pc-b" if i % 2 == 0 else "pc-a"))
        return outs

    async def contest(self) -> LoginOutcome:
        """Six displacing logins, then the seventh, which makes the account contested."""
        outs = await self.ping_pong(RULE.limit + 1)
        assert all(o.admitted is not None for o in outs[:-1])
        assert outs[-1].contested is not None
        assert outs[-1].contested.began
        return outs[-1]


@pytest.fixture
def pcs(store: SessionStore, clock: FakeClock) -> Pcs:
    return Pcs(store, clock)


async def test_the_displacing_login_one_too_many_is_refused_and_changes_no_session(
    store: SessionStore, pcs: Pcs
) -> None:
    """Six displacing logins pass; the seventh gets a 300 s wait and leaves the holder alone."""
    outs = await pcs.ping_pong(RULE.limit + 1)
    assert [len(o.ended) for o in outs[:-1]] == [1] * RULE.limit
    assert all(o.contested is None for o in outs[:-1])
    last = outs[-1]
    assert (last.admitted, last.ended, last.conflicts) == (None, (), ())
    assert last.contested is not None
    assert last.contested.retry_after == pytest.approx(300.0)
    assert (last.contested.began, last.contested.displacements) == (True, 7)
    holder = outs[-2].admitted
    assert await store.sessions_of("alice") == [holder]


async def test_during_the_cool_down_displacing_logins_wait_for_what_is_left(
    store: SessionStore, pcs: Pcs, clock: FakeClock
) -> None:
    """A displacing login in the cool-down is told the time left, changes nothing, and
    does not extend the cool-down."""
    await pcs.contest()
    before = await store.sessions_of("alice")
    clock.advance(100)
    out = await pcs.login("pc-b")
    assert out.contested is not None
    assert out.contested.retry_after == pytest.approx(200.0)
    assert not out.contested.began
    assert await store.sessions_of("alice") == before
    clock.advance(200)
    after = await pcs.login("pc-b")
    assert after.admitted is not None
    assert [r.jti for r in after.ended] == [before[0].jti]


async def test_logins_that_displace_nobody_are_never_held_back(
    store: SessionStore, pcs: Pcs
) -> None:
    """In the cool-down: the holder's PC signing in again, a login into a free slot, a
    login after the other PC signed out, and another account are all admitted."""
    await pcs.contest()
    holder = (await store.sessions_of("alice"))[0]
    again = await pcs.login(holder.device_id)
    assert again.admitted is not None
    assert again.contested is None
    assert [r.jti for r in again.ended] == [holder.jti]

    third = await pcs.login("pc-c", max_sessions=2)
    assert third.admitted is not None
    assert third.ended == ()
    assert (await pcs.login("pc-d", max_sessions=2)).contested is not None  # room is gone

    await store.end_all("alice", EndReason.LOGGED_OUT)
    assert (await pcs.login("pc-b")).admitted is not None
    assert (await Pcs(store, pcs.clock, "bob").login("pc-b")).admitted is not None


async def test_logins_refused_by_the_policy_and_same_pc_logins_never_count(
    pcs: Pcs,
) -> None:
    """Twenty 409s under reject and twenty same-PC logins leave the whole limit unused."""
    await pcs.login("pc-a")
    for _ in range(20):
        refused = await pcs.login("pc-b", policy=Policy.REJECT)
        assert refused.admitted is None
        assert refused.contested is None
        assert len(refused.conflicts) == 1
        assert (await pcs.login("pc-a")).admitted is not None
    outs = await pcs.ping_pong(RULE.limit + 1)
    assert [o.contested is None for o in outs] == [True] * RULE.limit + [False]


async def test_the_window_slides(pcs: Pcs, clock: FakeClock) -> None:
    """A displacing login leaves the window exactly ``window`` seconds after it was made."""
    outs = await pcs.ping_pong(RULE.limit)  # at START + 1 ... START + 6
    assert all(o.admitted is not None for o in outs)
    clock.now = START + 1 + RULE.window  # the first one just left the window
    assert (await pcs.login("pc-b")).admitted is not None
    clock.now += 0.5  # six in the window again
    assert (await pcs.login("pc-a")).contested is not None


async def test_an_even_pace_at_the_limit_is_never_contested(pcs: Pcs) -> None:
    """Thirty displacing logins, one every window / limit seconds, all pass."""
    outs = await pcs.ping_pong(30, gap=RULE.window / RULE.limit)
    assert all(o.admitted is not None for o in outs)


async def test_cool_downs_double_per_repeat_up_to_the_cap(pcs: Pcs, clock: FakeClock) -> None:
    """Repeats wait 300, 600, 1200, 2400, then 3600 s (the cap), and the cap again."""
    waits = []
    for _ in range(6):
        last = await pcs.contest()
        assert last.contested is not None
        waits.append(last.contested.retry_after)
        clock.advance(last.contested.retry_after)
    assert waits == pytest.approx([300, 600, 1200, 2400, 3600, 3600])


async def test_a_contest_long_after_the_last_starts_over(pcs: Pcs, clock: FakeClock) -> None:
    """A contest within a day of the last cool-down's end doubles; one after it does not."""
    first = await pcs.contest()
    clock.advance(300 + MEMORY - 10)
    second = await pcs.contest()
    assert second.contested is not None
    assert second.contested.retry_after == pytest.approx(600)
    clock.advance(600 + MEMORY)
    third = await pcs.contest()
    assert first.contested is not None
    assert third.contested is not None
    assert third.contested.retry_after == pytest.approx(300)


async def test_uncontest_clears_the_cool_down_the_count_and_the_repeats(
    store: SessionStore, pcs: Pcs
) -> None:
    """After uncontest a displacing login passes, six more follow, and the next contest is
    a first one again (300 s)."""
    assert await store.uncontest("alice") is False
    await pcs.contest()
    assert await store.uncontest("alice") is True
    assert await store.uncontest("alice") is False
    outs = [await pcs.login(pc) for pc in ("pc-b", "pc-a") * 3]
    assert all(o.admitted is not None and o.ended for o in outs)
    last = await pcs.login("pc-b")
    assert last.contested is not None
    assert last.contested.retry_after == pytest.approx(300)


async def test_without_a_rule_nothing_is_counted(pcs: Pcs) -> None:
    """With no guard, twenty displacing logins pass; turned on, the next six still do."""
    await pcs.login("pc-a")
    for i in range(20):
        assert (await pcs.login("pc-b" if i % 2 == 0 else "pc-a", rule=None)).ended
    outs = [await pcs.login(pc) for pc in ("pc-b", "pc-a") * 3]
    assert all(o.admitted is not None for o in outs)


async def test_becoming_contested_publishes_one_event(
    stores: Stores, store: SessionStore, clock: FakeClock
) -> None:
    """The refusal that makes the account contested publishes {user, retry_after}; the
    refusals after it publish nothing."""
    pcs = Pcs(store, clock)
    async with listening(stores) as listener:
        await pcs.contest()
        await pcs.login("pc-b")  # refused in the cool-down
        await store.end_all("alice", EndReason.ADMIN)
        seen = []
        while not seen or getattr(seen[-1], "reason", None) is not EndReason.ADMIN:
            seen.append(await listener.next())
    assert [e for e in seen if isinstance(e, ContestEvent)] == [ContestEvent("alice", 300)]


async def test_simultaneous_displacing_logins_are_counted_exactly(
    store: SessionStore, clock: FakeClock
) -> None:
    """Of 50 logins at once from 50 PCs, the first and six displacing ones are admitted;
    one begins the contest and the other 43 are told to wait."""
    pcs = Pcs(store, clock)
    outs = await asyncio.gather(*(pcs.login(f"pc-{i}") for i in range(50)))
    admitted = [o for o in outs if o.admitted is not None]
    refusals = [o.contested for o in outs if o.contested is not None]
    assert len(admitted) == 1 + RULE.limit
    assert sum(1 for o in admitted if o.ended) == RULE.limit
    assert len(refusals) == 50 - len(admitted)
    assert [r.began for r in refusals].count(True) == 1
    assert len(await store.sessions_of("alice")) == 1


# -- one rule, every engine: random sequences against contest.judge -----------------------

# Each step: seconds to wait, then which of three PCs signs in.
steps = st.lists(
    st.tuples(st.sampled_from([0.0, 0.5, 30.0, 60.0, 299.5, 300.0, 900.0]), st.integers(0, 2)),
    min_size=1,
    max_size=25,
)
rules = st.builds(
    ContestRule,
    limit=st.integers(1, 4),
    window=st.sampled_from([60.0, 300.0]),
    cooldown=st.sampled_from([30.0, 300.0]),
    max_cooldown=st.sampled_from([300.0, 1000.0]),
)


def _expected(rule: ContestRule, sequence: list[tuple[float, int]]) -> list[object]:
    """What each login should get, by the pure rule: "ok", or the wait of a refusal."""
    state, now, holder, answers = ContestState(), START, None, []
    for wait, pc in sequence:
        now += wait
        if holder is None or holder == pc:
            answers.append("ok")
            holder = pc
            continue
        verdict = judge(state, now, rule)
        state = verdict.state
        if verdict.retry_after:
            answers.append((round(verdict.retry_after, 6), verdict.began))
        else:
            answers.append("ok")
            holder = pc
    return answers


async def _answers(
    engine: Stores, clock: FakeClock, rule: ContestRule, sequence: list[tuple[float, int]]
) -> list[object]:
    pcs = Pcs(engine.sessions, clock, user=f"seq{next(_jtis)}")
    answers: list[object] = []
    for wait, pc in sequence:
        clock.advance(wait)
        out = await pcs.login(f"pc-{pc}", rule=rule)
        if out.contested is None:
            assert out.admitted is not None
            answers.append("ok")
        else:
            answers.append((round(out.contested.retry_after, 6), out.contested.began))
    return answers


@pytest.fixture(scope="module")
def engines_prefix(redis_cluster: RedisCluster) -> Iterator[str]:
    prefix = new_prefix()
    yield prefix
    delete_prefix(REDIS_TEST_URL, prefix)
    redis_cluster.delete_prefix(prefix)


@pytest.mark.redis
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rule=rules, sequence=steps)
def test_every_engine_judges_as_contest_judge(
    engines_prefix: str,
    redis_cluster: RedisCluster,
    rule: ContestRule,
    sequence: list[tuple[float, int]],
) -> None:
    """Admissions, waits and beginnings are the same in Python, in memory, in Redis and on
    a cluster, for random paces, PCs and rules."""
    expected = _expected(rule, sequence)

    async def run() -> list[list[object]]:
        clocks = [FakeClock() for _ in range(3)]
        engines = [
            memory_stores(clocks[0]),
            redis_stores(REDIS_TEST_URL, prefix=engines_prefix, clock=clocks[1]),
            redis_stores(redis_cluster.url, prefix=engines_prefix, clock=clocks[2]),
        ]
        try:
            return [
                await _answers(engine, clock, rule, sequence)
                for engine, clock in zip(engines, clocks, strict=True)
            ]
        finally:
            for engine in engines:
                await engine.close()

    for answers in asyncio.run(run()):
        assert answers == expected
