"""The AccountStore contract: users, their password hashes, roles and state.

Engines: :class:`~.memory.MemoryAccounts` and :class:`~.redis_accounts.RedisAccounts`.
A login does not read accounts through here: :meth:`.attempts.AttemptLimiter.reserve`
fetches the account in the same store call that reserves the attempt.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from server.sessions.records import Account


class AccountStore(ABC):
    @abstractmethod
    async def put(self, account: Account) -> None:
        """Create or replace an account. Accounts never expire."""

    @abstractmethod
    async def put_many(self, accounts: Sequence[Account], *, replace: bool) -> int:
        """Write many accounts in bulk; how many were written.

        With ``replace`` every account is created or replaced; without, an account
        that exists is left untouched and not counted. Each account is written
        atomically (never half a record); the batch as a whole is not one
        transaction: a failure part-way leaves the accounts written so far.
        """

    @abstractmethod
    async def get(self, username: str) -> Account | None:
        """The account, or None."""

    @abstractmethod
    async def list(self) -> list[Account]:
        """All accounts, sorted by username. A walk over every account: admin use only."""
