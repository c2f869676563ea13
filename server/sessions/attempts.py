"""The AttemptLimiter contract: failed-login limits that hold at any concurrency.

An attempt is *reserved* before its password is checked, in the same store call
that fetches the account, so however many requests arrive at once, on however
many workers or nodes, at most ``limit`` passwords per window are ever verified
against one bucket. A wrong password keeps its reservation (it is the failure);
a right one gives it back (``settle``, folded into the session store's login step).

Buckets (each a fixed window that starts at its first reservation):

* **known device** - a ``device_id`` that signed in to this account before (the
  account keeps its last :data:`KNOWN_DEVICES`, OWASP's "device cookie") has a
  bucket of its own, so a stranger's failures never lock the owner's PC out;
  known devices are not held to the per-IP limit either.
* **account** - every unknown device of the account shares one bucket;
* **IP** - every unknown device behind one client address shares one bucket.

On a Redis Cluster the per-IP limit is the one that may lapse: while the shard
holding an address's bucket cannot be reached, its logins go on without it
(``Ticket.unchecked``); the per-account and per-device buckets live with the
account and fail with it.

Engines: :class:`~.memory_accounts.MemoryAttempts`, :class:`~.redis_accounts.RedisAttempts`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from server.sessions.records import Account

KNOWN_DEVICES = 20  # device ids remembered per account, most recent first
KNOWN_DEVICE_TTL = 90 * 86400.0  # a device unseen this long is unknown again


@dataclass(frozen=True, slots=True)
class Limits:
    per_account: int  # unknown devices of one account, per window
    per_device: int  # one known device of one account, per window
    per_ip: int  # unknown devices behind one address, per window
    window: float  # seconds


@dataclass(frozen=True, slots=True)
class Reservation:
    """One reserved attempt: which buckets hold it."""

    user: str
    device_id: str
    ip: str
    known_device: bool  # True: the device's own bucket holds it, else the account's
    holds_ip: bool  # the IP bucket holds it too (reserved before the device was known)
    device_name: str = ""  # for the audit


@dataclass(frozen=True, slots=True)
class Ticket:
    """What :meth:`AttemptLimiter.reserve` found: the account, and a reservation or a wait."""

    account: Account | None
    reservation: Reservation | None  # None: refused, try again in ``retry_after``
    retry_after: float = 0.0
    unchecked: tuple[str, ...] = ()  # limits not applied, their counter unreachable: "ip"


class AttemptLimiter(ABC):
    @abstractmethod
    async def reserve(
        self, user: str, device_id: str, ip: str, limits: Limits, device_name: str = ""
    ) -> Ticket:
        """Fetch ``user``'s account and reserve one attempt, in one round trip.

        Refused when the bucket that would hold the attempt is full (the known
        device's, else the account's or the IP's); a refusal holds nothing.
        Reserved whether or not the account exists, so that probing names costs
        the same as guessing passwords. A limit whose counter cannot be reached
        while the account's can (the IP's, on another cluster shard) is not
        applied, and named in ``unchecked``. A refusal is audited in the step that
        refuses (``login_limited``, reason ``account``, ``device`` or ``ip``).
        """

    @abstractmethod
    async def failed(self, reservation: Reservation, *, reason: str = "bad_password") -> None:
        """The password was wrong (or the account unknown: ``unknown_user``): the
        reservation stays as the failure, and ``login_failed`` is audited.

        Gives back only what does not apply to the device (the IP bucket's hold
        of a device that turned out to be known). One store round trip (per node).
        """

    @abstractmethod
    async def release(self, reservation: Reservation) -> None:
        """Give the reservation back without a login (a right password on a disabled
        account), auditing ``login_refused`` reason ``disabled`` in the same step."""

    @abstractmethod
    async def known_devices(self, user: str) -> list[str]:
        """The device ids known to ``user``'s account, most recent first (diagnostics)."""
