"""Embedded accounts and attempt limits: this process's memory only.

As with :mod:`.memory`, you can only run ONE server worker on ONE node with
these: another process would keep counters of its own, and all of it is gone
when the process exits.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.sessions.accounts import AccountStore
from server.sessions.attempts import (
    KNOWN_DEVICE_TTL,
    KNOWN_DEVICES,
    AttemptLimiter,
    Limits,
    Reservation,
    Ticket,
)
from server.sessions.audit import AuditEvent, MemoryAudit
from server.sessions.records import Account, Clock


class MemoryAccounts(AccountStore):
    def __init__(self) -> None:
        self.by_name: dict[str, Account] = {}

    async def put(self, account: Account) -> None:
        self.by_name[account.username] = account

    async def put_many(self, accounts: Sequence[Account], *, replace: bool) -> int:
        written = 0
        for account in accounts:
            if replace or account.username not in self.by_name:
                self.by_name[account.username] = account
                written += 1
        return written

    async def get(self, username: str) -> Account | None:
        return self.by_name.get(username)

    async def list(self) -> list[Account]:
        return [self.by_name[name] for name in sorted(self.by_name)]


class _Bucket:
    __slots__ = ("count", "reset")

    def __init__(self) -> None:
        self.count, self.reset = 0, 0.0


class MemoryAttempts(AttemptLimiter):
    """Every step runs without an await, so the event loop makes it atomic."""

    def __init__(self, accounts: MemoryAccounts, clock: Clock, audit: MemoryAudit) -> None:
        self._accounts = accounts
        self._clock = clock
        self._audit = audit
        self._buckets: dict[tuple[str, ...], _Bucket] = {}
        self._devices: dict[str, dict[str, float]] = {}  # user → device → last seen

    def _take(self, key: tuple[str, ...], limit: int, window: float) -> float:
        """Reserve one in ``key``'s window; 0 when taken, else seconds to wait."""
        now = self._clock()
        bucket = self._buckets.setdefault(key, _Bucket())
        if bucket.reset <= now:
            bucket.count, bucket.reset = 0, now + window
        if bucket.count >= limit:
            return bucket.reset - now
        bucket.count += 1
        return 0.0

    def _give_back(self, key: tuple[str, ...]) -> None:
        bucket = self._buckets.get(key)
        if bucket is not None and bucket.reset > self._clock() and bucket.count > 0:
            bucket.count -= 1

    def _known(self, user: str, device_id: str) -> bool:
        seen = self._devices.get(user, {}).get(device_id)
        return seen is not None and seen + KNOWN_DEVICE_TTL > self._clock()

    async def reserve(
        self, user: str, device_id: str, ip: str, limits: Limits, device_name: str = ""
    ) -> Ticket:
        account = self._accounts.by_name.get(user)
        if self._known(user, device_id):
            wait = self._take(("d", user, device_id), limits.per_device, limits.window)
            if wait:
                self._limited(user, device_name, ip, "device", wait)
                return Ticket(account, None, wait)
            return Ticket(account, Reservation(user, device_id, ip, True, False, device_name))
        wait = self._take(("u", user), limits.per_account, limits.window)
        if wait:
            self._limited(user, device_name, ip, "account", wait)
            return Ticket(account, None, wait)
        wait = self._take(("ip", ip), limits.per_ip, limits.window)
        if wait:
            self._give_back(("u", user))
            self._limited(user, device_name, ip, "ip", wait)
            return Ticket(account, None, wait)
        return Ticket(account, Reservation(user, device_id, ip, False, True, device_name))

    def _limited(self, user: str, device_name: str, ip: str, bucket: str, wait: float) -> None:
        self._audit.write(
            AuditEvent.LOGIN_LIMITED,
            user,
            device=device_name,
            ip=ip,
            reason=bucket,
            retry_after=wait,
        )

    async def failed(self, reservation: Reservation, *, reason: str = "bad_password") -> None:
        # The memory engine never holds the IP for a known device: nothing to give back.
        r = reservation
        self._audit.write(
            AuditEvent.LOGIN_FAILED, r.user, device=r.device_name, ip=r.ip, reason=reason
        )

    async def release(self, reservation: Reservation) -> None:
        r = reservation
        self.settle(r, remember=False)
        self._audit.write(
            AuditEvent.LOGIN_REFUSED, r.user, device=r.device_name, ip=r.ip, reason="disabled"
        )

    def settle(self, reservation: Reservation, *, remember: bool = True) -> None:
        """Give the reservation back; with ``remember``, the device becomes known."""
        r = reservation
        self._give_back(("d", r.user, r.device_id) if r.known_device else ("u", r.user))
        if r.holds_ip:
            self._give_back(("ip", r.ip))
        if remember:
            devices = self._devices.setdefault(r.user, {})
            devices.pop(r.device_id, None)
            devices[r.device_id] = self._clock()
            while len(devices) > KNOWN_DEVICES:
                del devices[next(iter(devices))]  # insertion order: the least recent

    async def known_devices(self, user: str) -> list[str]:
        now = self._clock()
        seen = self._devices.get(user, {})
        return [d for d, at in reversed(seen.items()) if at + KNOWN_DEVICE_TTL > now]

    def purge(self) -> None:
        """Drop windows that ended and devices no longer known."""
        now = self._clock()
        for key in [k for k, b in self._buckets.items() if b.reset <= now]:
            del self._buckets[key]
        for user, seen in list(self._devices.items()):
            for device in [d for d, at in seen.items() if at + KNOWN_DEVICE_TTL <= now]:
                del seen[device]
            if not seen:
                del self._devices[user]
