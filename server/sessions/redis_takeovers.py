"""Takeover requests in Redis: one hash per account (``<prefix>:{u:<user>}:ask``), every
change one call of ``scripts/ask.lua``, in the account's hash slot like its sessions."""

from __future__ import annotations

import json
import time
from typing import Any

from redis.typing import EncodableT

from server.sessions import redis_codec as codec
from server.sessions.keys import Keys
from server.sessions.records import Clock
from server.sessions.redis_audit import Streams
from server.sessions.redis_conn import Link
from server.sessions.takeovers import (
    ASK_LIMIT,
    ASK_WINDOW,
    KEEP_AFTER,
    Answered,
    AskLimited,
    TakeoverRequest,
    Takeovers,
)
from shared.messages import By, TakeoverOutcome

_ANSWERED: dict[str, Answered] = {
    "answered": "answered",
    "closed": "closed",
    "not_found": "not_found",
    "not_asked": "not_asked",
}


class RedisTakeovers(Takeovers):
    name = "redis"

    def __init__(self, link: Link, keys: Keys, streams: Streams, clock: Clock = time.time) -> None:
        super().__init__(clock)
        self._link = link
        self._keys = keys
        self._streams = streams
        self._ask = link.script("ask.lua")

    async def _call(self, user: str, op: str, *args: EncodableT) -> Any:
        k = self._keys
        channel = k.event_channel(user, sharded=self._link.cluster)
        call_args: list[EncodableT] = [op, channel, user, self.clock(), *args]
        return await self._link.run(self._ask, self._streams.call([k.ask(user)], call_args))

    async def open(
        self, request: TakeoverRequest
    ) -> TakeoverRequest | TakeoverOutcome | AskLimited | None:
        reply = await self._call(
            request.user,
            "open",
            request.id,
            request.device_id,
            codec.dump_by(request.by),
            json.dumps(list(request.targets)),
            request.deadline,
            KEEP_AFTER,
            ASK_LIMIT,
            ASK_WINDOW,
        )
        if reply[0] == "opened":
            return None
        if reply[0] == "denied":
            return TakeoverOutcome.DENIED
        if reply[0] == "limited":
            return AskLimited(float(reply[1]))
        request_id, device_id, by, targets, deadline = reply[1:6]
        return _request(request.user, request_id, device_id, by, targets, deadline, "pending", "0")

    async def get(self, user: str) -> TakeoverRequest | None:
        async with self._link.io() as client:
            fields = await client.hgetall(self._keys.ask(user))
        if not fields:
            return None
        f = {str(k): str(v) for k, v in fields.items()}  # decode_responses: already str
        request = _request(
            user,
            f["id"],
            f["device_id"],
            f["by"],
            f["targets"],
            f["deadline"],
            f["state"],
            f["shown"],
        )
        return None if request.deadline + KEEP_AFTER <= self.clock() else request

    async def mark_shown(self, user: str, request_id: str) -> bool:
        return bool(int(await self._call(user, "shown", request_id)))

    async def answer(
        self, user: str, request_id: str, jti: str, allow: bool
    ) -> tuple[Answered, TakeoverOutcome | None]:
        kind, state = await self._call(user, "answer", request_id, jti, int(allow))
        return _ANSWERED[kind], TakeoverOutcome(state) if state else None

    async def close(
        self, user: str, request_id: str, state: TakeoverOutcome, *, unless_shown: bool = False
    ) -> TakeoverOutcome:
        reply = await self._call(user, "close", request_id, state.value, int(unless_shown))
        return TakeoverOutcome(reply)


def _request(
    user: str,
    request_id: str,
    device_id: str,
    by: str,
    targets: str,
    deadline: str,
    state: str,
    shown: str,
) -> TakeoverRequest:
    found = codec.load_by(by)
    assert found is not None
    return TakeoverRequest(
        user,
        request_id,
        device_id,
        By(**found),
        tuple(json.loads(targets)),
        float(deadline),
        TakeoverOutcome(state),
        shown == "1",
    )
