"""Accounts, and the attempt limiter that reserves before any password is checked."""

from __future__ import annotations

import asyncio

import pytest

from server.sessions.attempts import Limits, Ticket
from server.sessions.factory import Stores
from server.sessions.policy import Policy
from server.sessions.records import Account, SessionRecord
from tests.conformance.helpers import FakeClock

LIMITS = Limits(per_account=3, per_device=2, per_ip=5, window=60)


async def test_accounts_put_get_list(stores: Stores) -> None:
    """Accounts are created, replaced, fetched and listed by username."""
    accounts = stores.accounts
    bob = Account("bob", "$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA")
    alice = Account("alice", "$argon2id$hash-a", role="admin", disabled=True)
    await accounts.put(bob)
    await accounts.put(alice)
    assert await accounts.get("alice") == alice
    assert await accounts.get("carol") is None
    assert await accounts.list() == [alice, bob]
    renewed = Account("bob", "$argon2id$hash-b", role="user", disabled=False)
    await accounts.put(renewed)
    assert await accounts.get("bob") == renewed
    assert await accounts.list() == [alice, renewed]


async def test_put_many_creates_and_replaces_only_when_asked(stores: Stores) -> None:
    """put_many writes a batch; without replace it keeps and skips the accounts that exist."""
    accounts = stores.accounts
    alice = Account("alice", "$argon2id$old", role="admin")
    await accounts.put(alice)
    batch = [Account(f"u{i:04}", "$argon2id$new") for i in range(1500)]  # over one pipeline
    assert (
        await accounts.put_many([*batch, Account("alice", "$argon2id$new")], replace=False) == 1500
    )
    assert await accounts.get("alice") == alice
    assert await accounts.get("u1499") == batch[-1]
    renewed = [Account("alice", "$argon2id$new"), Account("u0000", "$argon2id$x", disabled=True)]
    assert await accounts.put_many(renewed, replace=True) == 2
    assert [await accounts.get("alice"), await accounts.get("u0000")] == renewed
    assert len(await accounts.list()) == 1501
    assert await accounts.put_many([], replace=False) == 0


async def test_accounts_are_not_session_data(stores: Stores) -> None:
    """An account and its attempt counters leave the user's session footprint at zero."""
    await stores.accounts.put(Account("alice", "$argon2id$h"))
    await stores.attempts.reserve("alice", "dev-1", "10.0.0.1", LIMITS)
    assert await stores.sessions.footprint("alice") == 0


async def test_reserve_fetches_the_account(stores: Stores) -> None:
    """The reservation call brings the account along, or None for an unknown name."""
    alice = Account("alice", "$argon2id$h", role="admin")
    await stores.accounts.put(alice)
    ticket = await stores.attempts.reserve("alice", "dev-1", "10.0.0.1", LIMITS)
    assert ticket.account == alice
    assert ticket.reservation is not None
    ghost = await stores.attempts.reserve("ghost", "dev-1", "10.0.0.2", LIMITS)
    assert ghost.account is None
    assert ghost.reservation is not None  # probing names costs the same as guessing


async def test_a_full_window_refuses_until_it_ends(stores: Stores, clock: FakeClock) -> None:
    """The account's bucket takes ``per_account`` attempts, then refuses with the wait left."""
    tickets = [await stores.attempts.reserve("alice", "d", "10.0.0.1", LIMITS) for _ in range(4)]
    assert [t.reservation is not None for t in tickets] == [True, True, True, False]
    assert tickets[3].retry_after == pytest.approx(60)
    clock.advance(30)
    late = await stores.attempts.reserve("alice", "d", "10.0.0.2", LIMITS)
    assert late.reservation is None
    assert late.retry_after == pytest.approx(30)  # the window does not slide
    clock.advance(31)
    assert (await stores.attempts.reserve("alice", "d", "10.0.0.1", LIMITS)).reservation


async def test_parallel_reservations_never_exceed_the_limit(stores: Stores) -> None:
    """Two hundred reservations at once: exactly ``per_account`` are granted."""
    tickets = await asyncio.gather(
        *(stores.attempts.reserve("alice", f"d{i}", f"10.0.{i}.1", LIMITS) for i in range(200))
    )
    assert sum(t.reservation is not None for t in tickets) == LIMITS.per_account


async def test_the_ip_bucket_spans_accounts(stores: Stores) -> None:
    """Unknown devices behind one address share ``per_ip`` attempts across every account."""
    tickets = [await stores.attempts.reserve(f"user{i}", "d", "10.9.9.9", LIMITS) for i in range(7)]
    assert [t.reservation is not None for t in tickets] == [True] * 5 + [False] * 2
    # A refusal by the IP holds nothing in the account's bucket.
    for _ in range(3):
        other = await stores.attempts.reserve("user6", "d", "10.0.0.1", LIMITS)
        assert other.reservation is not None


async def _sign_in(stores: Stores, ticket: Ticket, clock: FakeClock, jti: str) -> None:
    assert ticket.reservation is not None
    r = ticket.reservation
    now = clock()
    record = SessionRecord(r.user, jti, r.device_id, "PC", r.ip, now, now + 3600)
    await stores.sessions.login(
        record,
        policy=Policy.DISPLACE,
        max_sessions=1,
        takeover=False,
        idle_ttl=600,
        settle=r,
    )


async def test_a_success_gives_its_reservation_back(stores: Stores, clock: FakeClock) -> None:
    """A login settled with its reservation leaves the bucket as it was before."""
    for _ in range(2):
        assert (await stores.attempts.reserve("alice", "d", "10.0.0.1", LIMITS)).reservation
    ticket = await stores.attempts.reserve("alice", "d2", "10.0.0.1", LIMITS)
    await _sign_in(stores, ticket, clock, "a")
    # d2 is known now (its own bucket); the account bucket still has one place.
    assert (await stores.attempts.reserve("alice", "d3", "10.0.0.1", LIMITS)).reservation
    assert (await stores.attempts.reserve("alice", "d4", "10.0.0.1", LIMITS)).reservation is None


async def test_a_known_device_is_never_locked_out_by_strangers(
    stores: Stores, clock: FakeClock
) -> None:
    """After strangers filled the account's and the IP's buckets, the owner's PC still gets in."""
    owner = await stores.attempts.reserve("alice", "owner-pc", "10.0.0.1", LIMITS)
    await _sign_in(stores, owner, clock, "a")
    assert await stores.attempts.known_devices("alice") == ["owner-pc"]
    for i in range(10):
        await stores.attempts.reserve("alice", f"evil{i}", "10.0.0.1", LIMITS)
    refused = await stores.attempts.reserve("alice", "new-pc", "10.0.0.2", LIMITS)
    assert refused.reservation is None
    again = await stores.attempts.reserve("alice", "owner-pc", "10.0.0.1", LIMITS)
    assert again.reservation is not None
    assert again.reservation.known_device


async def test_a_known_device_has_a_bucket_of_its_own(stores: Stores, clock: FakeClock) -> None:
    """Wrong passwords from a known device fill only that device's bucket."""
    await _sign_in(
        stores, await stores.attempts.reserve("alice", "pc", "10.0.0.1", LIMITS), clock, "a"
    )
    for _ in range(LIMITS.per_device):
        ticket = await stores.attempts.reserve("alice", "pc", "10.0.0.1", LIMITS)
        assert ticket.reservation is not None
        await stores.attempts.failed(ticket.reservation)
    assert (await stores.attempts.reserve("alice", "pc", "10.0.0.1", LIMITS)).reservation is None
    assert (await stores.attempts.reserve("alice", "other", "10.0.0.1", LIMITS)).reservation


async def test_release_gives_back_without_remembering(stores: Stores) -> None:
    """release returns the attempt and does not make the device known."""
    for _ in range(LIMITS.per_account):
        ticket = await stores.attempts.reserve("alice", "d", "10.0.0.1", LIMITS)
        assert ticket.reservation is not None
        await stores.attempts.release(ticket.reservation)
    assert (await stores.attempts.reserve("alice", "d", "10.0.0.1", LIMITS)).reservation
    assert await stores.attempts.known_devices("alice") == []


async def test_ping_answers(stores: Stores) -> None:
    """A reachable store answers ping."""
    await stores.ping()
