"""The floor: bare Sanic + redis-py (hiredis), doing LoginGuard's kick and nothing else.

``python -m benchmarks.baseline --port P --workers N --redis-url URL --redis-prefix P``
(signing secret in ``LOGINGUARD_JWT_SECRET``). It reads the accounts that
``python -m server users seed`` wrote, in LoginGuard's key layout, and speaks the
same wire for a kick: ``POST /api/auth/login`` verifies the argon2 hash in a
thread pool, issues an HS256 JWT with a jti and makes 2 Redis round trips (fetch
the account; one pipeline that swaps the user's session and PUBLISHes the kick);
the worker holding the old socket sends ``displaced`` and closes with 4001.

What it leaves out, on purpose: limits, tombstones, idle expiry, pings, session
checks on connect, logs, metrics. It is what a kick costs at the least, not a
server anyone should run. ``GET /gc`` reports its full-collection pauses.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jwt
import redis.asyncio as aioredis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sanic import HTTPResponse, Request, Sanic, Websocket
from sanic.response import json as json_response
from websockets.exceptions import ConnectionClosed

app: Sanic[Any, Any] = Sanic("baseline")
app.config.WEBSOCKET_PING_INTERVAL = None  # no per-socket keepalive task (LoginGuard: same)
app.config.WEBSOCKET_PING_TIMEOUT = None
hasher = PasswordHasher()
pool = ThreadPoolExecutor(max(2, os.cpu_count() or 2), thread_name_prefix="argon2")
sockets: dict[str, dict[str, Websocket]] = {}  # user → jti → socket, this worker's
full_gc: list[float] = []  # pause of every full collection, seconds
_gc_started = [0.0]


def _on_gc(phase: str, info: dict[str, int]) -> None:
    if info["generation"] == 2:
        if phase == "start":
            _gc_started[0] = time.perf_counter()
        else:
            full_gc.append(time.perf_counter() - _gc_started[0])


gc.callbacks.append(_on_gc)


def _verify(stored: str | None, password: str) -> bool:
    try:
        return hasher.verify(stored or app.ctx.dummy, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


@app.before_server_start
async def setup(app: Sanic[Any, Any]) -> None:
    app.ctx.prefix = os.environ["BASELINE_REDIS_PREFIX"]
    app.ctx.secret = os.environ["LOGINGUARD_JWT_SECRET"]
    # 32 connections (LoginGuard: same); callers wait for one instead of failing.
    url = os.environ["BASELINE_REDIS_URL"]
    connections = aioredis.BlockingConnectionPool.from_url(
        url, max_connections=32, timeout=20, decode_responses=True
    )
    app.ctx.redis = aioredis.Redis.from_pool(connections)
    app.ctx.dummy = hasher.hash(secrets.token_urlsafe(16))
    app.add_task(listen(app), name="listen")


async def listen(app: Sanic[Any, Any]) -> None:
    """One subscription per worker: kick this worker's other sockets of the user."""
    async with app.ctx.redis.pubsub(ignore_subscribe_messages=True) as pubsub:
        await pubsub.subscribe(f"{app.ctx.prefix}:events")
        async for message in pubsub.listen():
            event = json.loads(message["data"])
            for jti, ws in list(sockets.get(event["user"], {}).items()):
                if jti != event["jti"]:
                    app.add_task(kick(ws, event["by"]))


async def kick(ws: Websocket, by: dict[str, object]) -> None:
    try:
        await ws.send(json.dumps({"type": "displaced", "by": by}))
        await ws.close(4001, "displaced")
    except ConnectionClosed:
        pass


@app.post("/api/auth/login")
async def login(request: Request) -> HTTPResponse:
    body, ctx = request.json, request.app.ctx
    user, device_name = str(body["username"]), str(body["device_name"])
    fields = await ctx.redis.hgetall(f"{ctx.prefix}:{{u:{user}}}:user")
    loop = asyncio.get_running_loop()
    good = await loop.run_in_executor(pool, _verify, fields.get("password_hash"), body["password"])
    if not good or fields.get("disabled") == "1":
        return json_response({"error": "invalid_credentials"}, status=401)
    jti, now = secrets.token_urlsafe(24), time.time()
    expires = int(now) + 12 * 3600
    claims = {"sub": user, "jti": jti, "iat": int(now), "exp": expires}
    token = jwt.encode(claims, ctx.secret, algorithm="HS256")
    by = {"device_name": device_name, "ip": request.ip, "at": now}
    async with ctx.redis.pipeline(transaction=False) as pipe:
        pipe.set(f"{ctx.prefix}:{{u:{user}}}:baseline", jti, exat=expires, get=True)
        pipe.publish(f"{ctx.prefix}:events", json.dumps({"user": user, "jti": jti, "by": by}))
        old, _ = await pipe.execute()
    session = {"jti": jti, "device_id": body["device_id"], "device_name": device_name}
    displaced = [{"jti": old}] if old else []
    return json_response(
        {"access_token": token, "token_type": "bearer", "expires_at": expires, "session": session}
        | {"displaced": displaced}
    )


async def channel(request: Request, ws: Websocket) -> None:
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    try:
        claims = jwt.decode(token, request.app.ctx.secret, algorithms=["HS256"])
    except jwt.InvalidTokenError:
        await ws.send(json.dumps({"type": "invalid_token"}))
        await ws.close(4401, "invalid_token")
        return
    user, jti = claims["sub"], claims["jti"]
    held = sockets.setdefault(user, {})
    held[jti] = ws
    try:
        await ws.send(json.dumps({"type": "hello", "session": {"jti": jti}}))
        await ws.recv()  # returns only if the client sends a data frame
        await ws.close(1008, "clients send no data frames")
    except ConnectionClosed:
        pass
    finally:
        held.pop(jti, None)
        if not held:
            sockets.pop(user, None)


app.add_websocket_route(channel, "/ws")


@app.get("/healthz")
async def healthz(request: Request) -> HTTPResponse:
    return json_response({"status": "ok"})


@app.get("/gc")
async def gc_pauses(request: Request) -> HTTPResponse:
    over = sum(pause > 0.05 for pause in full_gc)
    total, worst = sum(full_gc), max(full_gc, default=0)
    return json_response({"count": len(full_gc), "total": total, "max": worst, "over_50ms": over})


if __name__ == "__main__":
    p = argparse.ArgumentParser(prog="python -m benchmarks.baseline")
    for flag, default in (("--host", "127.0.0.1"), ("--port", "8001"), ("--workers", "1")):
        p.add_argument(flag, default=default)
    p.add_argument("--redis-prefix", default="lg")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    a = p.parse_args()
    os.environ.update(BASELINE_REDIS_URL=a.redis_url, BASELINE_REDIS_PREFIX=a.redis_prefix)
    n = int(a.workers)  # workers inherit the environment, and read it at start
    app.run(
        host=a.host,
        port=int(a.port),
        workers=n,
        single_process=n == 1,
        access_log=False,
        motd=False,
    )
