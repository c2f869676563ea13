"""Command-line flags and ``LOGINGUARD_*`` environment → one :class:`ServerSettings`.

Every flag has an environment twin (``--redis-url`` ↔ ``LOGINGUARD_REDIS_URL``);
a flag wins over the environment. The JWT secret is environment-only so that it
never shows up in a process list.
"""

from __future__ import annotations

import argparse
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, cast

from server.sessions.limits import SessionLimits, parse_limits
from server.sessions.policy import Policy

MIN_SECRET_BYTES = 32
MAX_ASK_TIMEOUT = 120.0  # a login request waits this long at most (proxies time out at 60 s+)

AskDefault = Literal["allow", "deny"]


class ConfigError(Exception):
    """A setting is missing or wrong; the message says which and how to fix it."""


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    redis_url: str | None = None  # None → embedded memory store
    redis_prefix: str = "lg"
    policy: Policy = Policy.DISPLACE
    # a bare number: one limit for all device classes; or desktop=1,mobile=1[,*=N]
    max_sessions: SessionLimits = field(default_factory=SessionLimits)
    demo: bool = False
    jwt_secret: str = field(default="", repr=False)
    jwt_issuer: str = "loginguard"
    jwt_audience: str = "loginguard-desktop"
    token_ttl: float = 12 * 3600.0  # absolute session lifetime
    idle_ttl: float = 30 * 60.0  # refreshed by API use and live sockets
    recheck_interval: float = 60.0  # sweeper period: re-check every socket's session
    ping_interval: float = 20.0  # also the pong deadline: unanswered by the next round → dropped
    # reject / confirm / ask: a session whose PC held no socket for this long no longer blocks
    presence_grace: float = 90.0
    max_failures_user: int = 10  # failed logins per account per window (unknown devices)
    max_failures_device: int = 10  # failed logins per known device of an account per window
    max_failures_ip: int = 50  # failed logins per client IP per window
    failure_window: float = 15 * 60.0
    # the ping-pong guard (sessions/contest.py): more than contest_limit displacing logins
    # of one account within contest_window hold such logins back; 0 turns it off
    contest_limit: int = 6
    contest_window: float = 5 * 60.0
    contest_cooldown: float = 5 * 60.0  # the first cool-down; doubled per repeat
    contest_cooldown_max: float = 60 * 60.0
    # ask: how long a login waits for the asked PC's answer, and what no answer means
    ask_timeout: float = 20.0
    ask_default: AskDefault = "allow"
    allowed_origins: tuple[str, ...] = ()
    proxies_count: int = 0  # trusted reverse proxies in front (for the client IP)
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    log_level: str = "INFO"


def _env(env: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    return env.get(f"LOGINGUARD_{name}", default)


def argon2_costs(env: Mapping[str, str] | None = None) -> tuple[int, int]:
    """``(time_cost, memory_kib)`` from ``LOGINGUARD_ARGON2_*``, else the defaults.

    The server and every ``users`` command read them here, so an account hashed by
    the command line is hashed as the server would hash it.
    """
    env = os.environ if env is None else env
    d = ServerSettings()
    try:
        time_cost = int(_env(env, "ARGON2_TIME_COST") or d.argon2_time_cost)
        memory_kib = int(_env(env, "ARGON2_MEMORY_KIB") or d.argon2_memory_kib)
    except ValueError:
        raise ConfigError("LOGINGUARD_ARGON2_* must be whole numbers.") from None
    if time_cost < 1 or memory_kib < 32:  # argon2-cffi's 4 lanes need 8 KiB each
        raise ConfigError("LOGINGUARD_ARGON2_TIME_COST must be >= 1 and _MEMORY_KIB >= 32.")
    return time_cost, memory_kib


def build_parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    d = ServerSettings()
    p = argparse.ArgumentParser(prog="loginguard-server", description="LoginGuard server")

    def opt(flag: str, env_name: str, default: object, **kw: object) -> None:
        value = _env(env, env_name)
        p.add_argument(flag, default=default if value is None else value, **kw)  # type: ignore[arg-type]

    opt("--host", "HOST", d.host, help="bind address (default %(default)s)")
    opt("--port", "PORT", d.port, type=int, help="port (default %(default)s)")
    opt("--workers", "WORKERS", d.workers, type=int, help="worker processes (Redis only if >1)")
    opt(
        "--redis-url",
        "REDIS_URL",
        d.redis_url,
        help="redis:// or rediss:// URL, redis+cluster://host:port[,host:port...] for Redis "
        "Cluster (rediss+cluster:// with TLS); omit for the memory store",
    )
    opt("--redis-prefix", "REDIS_PREFIX", d.redis_prefix, help="key prefix (default %(default)s)")
    opt("--policy", "POLICY", d.policy.value, choices=[x.value for x in Policy])
    opt(
        "--max-sessions",
        "MAX_SESSIONS",
        str(d.max_sessions),
        help="sessions per account: N for all device classes together, or per class "
        "as desktop=1,mobile=1 (*=N: each class not named; else such logins are refused) "
        "(default %(default)s)",
    )
    opt("--token-ttl", "TOKEN_TTL", d.token_ttl, type=float, help="absolute lifetime, s")
    opt("--idle-ttl", "IDLE_TTL", d.idle_ttl, type=float, help="idle timeout, s")
    opt("--recheck-interval", "RECHECK_INTERVAL", d.recheck_interval, type=float)
    opt("--ping-interval", "PING_INTERVAL", d.ping_interval, type=float)
    opt(
        "--presence-grace",
        "PRESENCE_GRACE",
        d.presence_grace,
        type=float,
        help="reject/confirm/ask: a session with no socket for this long no longer blocks a "
        "login, s",
    )
    opt("--max-failures-user", "MAX_FAILURES_USER", d.max_failures_user, type=int)
    opt("--max-failures-device", "MAX_FAILURES_DEVICE", d.max_failures_device, type=int)
    opt("--max-failures-ip", "MAX_FAILURES_IP", d.max_failures_ip, type=int)
    opt("--failure-window", "FAILURE_WINDOW", d.failure_window, type=float)
    opt(
        "--contest-limit",
        "CONTEST_LIMIT",
        d.contest_limit,
        type=int,
        help="displacing logins of one account allowed per --contest-window before the "
        "account is contested (default %(default)s; 0: no limit)",
    )
    opt("--contest-window", "CONTEST_WINDOW", d.contest_window, type=float, help="seconds")
    opt(
        "--contest-cooldown",
        "CONTEST_COOLDOWN",
        d.contest_cooldown,
        type=float,
        help="seconds displacing logins are refused the first time; doubled per repeat",
    )
    opt(
        "--contest-cooldown-max",
        "CONTEST_COOLDOWN_MAX",
        d.contest_cooldown_max,
        type=float,
        help="longest cool-down, seconds",
    )
    opt(
        "--ask-timeout",
        "ASK_TIMEOUT",
        d.ask_timeout,
        type=float,
        help="ask: seconds a login waits for the asked PC's answer (default %(default)s)",
    )
    opt(
        "--ask-default",
        "ASK_DEFAULT",
        d.ask_default,
        choices=["allow", "deny"],
        help="ask: what no answer in time means (default %(default)s)",
    )
    opt("--allowed-origins", "ALLOWED_ORIGINS", "", help="comma-separated Origin allowlist")
    opt("--proxies-count", "PROXIES_COUNT", d.proxies_count, type=int)
    opt("--log-level", "LOG_LEVEL", d.log_level)
    demo_env = (_env(env, "DEMO") or "").lower() in ("1", "true", "yes")
    p.add_argument("--demo", action="store_true", default=demo_env, help="seed demo users")
    return p


def load(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> ServerSettings:
    """Parse flags over the environment and validate the result."""
    env = os.environ if env is None else env
    a = build_parser(env).parse_args(argv)
    secret = _env(env, "JWT_SECRET") or ""
    if not secret:
        if not a.demo:
            raise ConfigError(
                "LOGINGUARD_JWT_SECRET is not set. Generate one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'` "
                "and export it (or pass --demo to try LoginGuard with a throwaway secret)."
            )
        secret = secrets.token_urlsafe(48)
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ConfigError(f"LOGINGUARD_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long.")
    if a.workers < 1:
        raise ConfigError("--workers must be at least 1.")
    try:
        max_sessions = parse_limits(a.max_sessions)
    except ValueError as exc:
        raise ConfigError(f"--max-sessions {a.max_sessions!r}: {exc}.") from None
    if a.workers > 1 and not a.redis_url:
        raise ConfigError(
            f"--workers {a.workers} needs --redis-url: the embedded memory store lives inside "
            "one process, so several workers would each see different sessions."
        )
    if "{" in a.redis_prefix or "}" in a.redis_prefix:
        raise ConfigError("--redis-prefix must not contain braces (they mark Redis hash tags).")
    if a.recheck_interval >= a.presence_grace:
        raise ConfigError(
            "--recheck-interval must be shorter than --presence-grace: every socket's session "
            "is marked present once per re-check, so a longer interval would let live PCs "
            "look absent."
        )
    if a.contest_limit < 0 or a.contest_window <= 0:
        raise ConfigError("--contest-limit must be 0 (off) or more, --contest-window above 0.")
    if not 1 <= a.contest_cooldown <= a.contest_cooldown_max:
        raise ConfigError(
            "--contest-cooldown must be at least 1 s and at most --contest-cooldown-max."
        )
    if not 1 <= a.ask_timeout <= MAX_ASK_TIMEOUT:
        raise ConfigError(
            f"--ask-timeout must be between 1 and {MAX_ASK_TIMEOUT:g} seconds: the waiting "
            "login is one HTTP request, which clients and proxies give up on after a minute."
        )
    time_cost, memory_kib = argon2_costs(env)
    return ServerSettings(
        host=a.host,
        port=a.port,
        workers=a.workers,
        redis_url=a.redis_url or None,
        redis_prefix=a.redis_prefix,
        policy=Policy(a.policy),
        max_sessions=max_sessions,
        demo=a.demo,
        jwt_secret=secret,
        token_ttl=a.token_ttl,
        idle_ttl=a.idle_ttl,
        recheck_interval=a.recheck_interval,
        ping_interval=a.ping_interval,
        presence_grace=a.presence_grace,
        max_failures_user=a.max_failures_user,
        max_failures_device=a.max_failures_device,
        max_failures_ip=a.max_failures_ip,
        failure_window=a.failure_window,
        contest_limit=a.contest_limit,
        contest_window=a.contest_window,
        contest_cooldown=a.contest_cooldown,
        contest_cooldown_max=a.contest_cooldown_max,
        ask_timeout=a.ask_timeout,
        ask_default=cast(AskDefault, a.ask_default),
        allowed_origins=tuple(o.strip() for o in a.allowed_origins.split(",") if o.strip()),
        proxies_count=a.proxies_count,
        argon2_time_cost=time_cost,
        argon2_memory_kib=memory_kib,
        log_level=a.log_level.upper(),
    )
