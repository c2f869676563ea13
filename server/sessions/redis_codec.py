"""How the Redis engine's records look on the wire: script replies, JSON, hashes.

Floats travel as Python's ``repr`` (redis-py encodes them so) and come back
through ``float()``, so times round-trip exactly; the scripts pass them through
as strings and never format a number themselves.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any, cast

from redis.typing import EncodableT, FieldT

from server.sessions.records import (
    Account,
    ContestEvent,
    Role,
    SessionEvent,
    SessionRecord,
    Status,
    StoreEvent,
    TakeoverEvent,
    Tombstone,
)
from shared.messages import By, TakeoverOutcome
from shared.reasons import EndReason

# jti, device_id, device_name, ip, created_at, expires_at, device_class
RECORD_FIELDS = 7


def records(user: str, flat: Sequence[str]) -> list[SessionRecord]:
    """Session records from a script reply of 7 strings per record (lib.lua's
    ``push_record``)."""
    if len(flat) % RECORD_FIELDS:
        raise ValueError(f"record reply of {len(flat)} fields")
    return [
        SessionRecord(user, jti, device_id, name, ip, float(created), float(expires), cls)
        for jti, device_id, name, ip, created, expires, cls in (
            flat[i : i + RECORD_FIELDS] for i in range(0, len(flat), RECORD_FIELDS)
        )
    ]


def status(user: str, jti: str, reply: Sequence[str] | None) -> Status:
    """A ``check.lua`` reply: ``["s", *fields]``, ``["t", reason, by]`` or nil."""
    if reply is None:
        return None
    if reply[0] == "s":
        return records(user, [jti, *reply[1:]])[0]
    return Tombstone(jti, EndReason(reply[1]), load_by(reply[2]))


def dump_by(by: By | None) -> str:
    return json.dumps(by)


def load_by(text: str) -> By | None:
    return by_of(json.loads(text))


def by_of(data: Any) -> By | None:
    if data is None:
        return None
    return By(device_name=str(data["device_name"]), ip=str(data["ip"]), at=float(data["at"]))


def event(text: str) -> StoreEvent:
    """A message of the events channel, as ``finish()`` in ``lib.lua`` writes it,
    ``login.lua``'s ``{"type": "contested", "user", "retry_after"}`` or ``ask.lua``'s
    ``{"type": "takeover", ...}``.

    The contested message also carries ``"jti": "", "reason": null``, which a worker
    from before it existed reads as "the account's list changed" (harmless)."""
    data = json.loads(text)
    kind = data.get("type")
    if kind == "contested":
        return ContestEvent(user=str(data["user"]), retry_after=int(data["retry_after"]))
    if kind == "takeover":  # ask.lua
        return TakeoverEvent(
            user=str(data["user"]),
            id=str(data["id"]),
            state=TakeoverOutcome(data["state"]),
            targets=tuple(str(t) for t in data["targets"]),
            by=by_of(data["by"]),
            timeout=int(data["timeout"]),
        )
    return SessionEvent(
        user=str(data["user"]),
        jti=str(data["jti"]),
        reason=None if data["reason"] is None else EndReason(data["reason"]),
        by=by_of(data["by"]),
    )


def dump_page(page: Sequence[SessionRecord], cursor: str, until: float) -> str:
    """A cached scan page, good until ``until`` by the store's clock."""
    return json.dumps({"sessions": [asdict(r) for r in page], "next": cursor, "until": until})


def load_page(text: str, now: float) -> tuple[list[SessionRecord], str] | None:
    """The cached page, or None once it is stale by the store's clock."""
    data = json.loads(text)
    if data["until"] <= now:
        return None
    return [SessionRecord(**r) for r in data["sessions"]], str(data["next"])


def account_fields(user: Account) -> dict[FieldT, EncodableT]:
    return {
        "username": user.username,
        "password_hash": user.password_hash,
        "role": user.role,
        "disabled": "1" if user.disabled else "0",
    }


def account_of(fields: Mapping[str, str]) -> Account | None:
    """The account in an HGETALL reply; None for the empty reply of a missing key."""
    if not fields:
        return None
    return Account(
        username=fields["username"],
        password_hash=fields["password_hash"],
        role=cast(Role, fields["role"]),
        disabled=fields["disabled"] == "1",
    )
