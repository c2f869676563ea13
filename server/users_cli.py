"""python -m server users add|passwd|seed|disable|enable|uncontest|list — accounts in the store.

Accounts live in Redis (``--redis-url`` or ``LOGINGUARD_REDIS_URL``): the
embedded memory store lives inside the server process, so there is nothing
here to edit (use ``--demo`` to try LoginGuard without Redis).

Passwords are hashed with the server's argon2id parameters, read from the same
``LOGINGUARD_ARGON2_TIME_COST`` / ``LOGINGUARD_ARGON2_MEMORY_KIB`` (the stored
hash names them; the server verifies any parameters and rehashes to its own on
the next successful login).

``seed`` makes test and load accounts in bulk (``--name-format 'bench{i}'`` →
bench0 … bench<N-1>), all with the one password in ``LOGINGUARD_SEED_PASSWORD``.
It hashes that password once, so every seeded account carries the same hash and
salt: fine for accounts that share a password anyway, never for real people.
Accounts that exist are left as they are (and counted) unless ``--force``.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from server import config
from server.auth import Passwords
from server.sessions.factory import Stores
from server.sessions.records import Account, StoreUnavailable
from shared.reasons import EndReason
from shared.usernames import RULE, valid_username


def _sub_parser(parent: argparse.ArgumentParser) -> type[argparse.ArgumentParser]:
    """A parser class whose every command also takes ``parent``'s options."""

    class Sub(argparse.ArgumentParser):
        def __init__(self, **kw: Any) -> None:
            super().__init__(**{**kw, "parents": [*kw.get("parents", ()), parent]})

    return Sub


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="loginguard-server users")
    p.add_argument("--redis-url", default=os.environ.get("LOGINGUARD_REDIS_URL"))
    p.add_argument("--redis-prefix", default=os.environ.get("LOGINGUARD_REDIS_PREFIX", "lg"))
    # The same two options after the command too (`users seed --redis-url …`);
    # SUPPRESS keeps the value given before it when they are left out.
    store = argparse.ArgumentParser(add_help=False)
    store.add_argument("--redis-url", default=argparse.SUPPRESS, help="as before the command")
    store.add_argument("--redis-prefix", default=argparse.SUPPRESS, help="as before the command")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=_sub_parser(store))
    add = sub.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--admin", action="store_true", help="grant the admin role")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    pw = sub.add_parser("passwd", help="set a new password")
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true")
    for name, text in (
        ("disable", "disable and end all sessions"),
        ("enable", "re-enable"),
        ("uncontest", "end the contest cool-down of an account and clear its count"),
    ):
        sub.add_parser(name, help=text).add_argument("username")
    seed = sub.add_parser(
        "seed",
        help="create many test accounts sharing one password",
        description="Create accounts named by --name-format for i in 0..count-1, all with "
        f"the password in ${SEED_PASSWORD_ENV}, hashed once (so they share one hash and "
        "salt: test and load accounts only). Existing accounts are skipped unless --force.",
    )
    seed.add_argument("--count", type=int, required=True, help="how many accounts")
    seed.add_argument(
        "--name-format", default="bench{i}", help="name with {i}, e.g. 'bench{i}' (default)"
    )
    seed.add_argument("--force", action="store_true", help="replace accounts that exist")
    sub.add_parser("list", help="list accounts")
    return p


SEED_PASSWORD_ENV = "LOGINGUARD_SEED_PASSWORD"  # noqa: S105 - a variable's name
MIN_PASSWORD = 8
MAX_SEED = 10_000_000


def _seed_names(name_format: str, count: int) -> list[str] | str:
    """The names ``name_format`` gives for 0..count-1, or what is wrong with it."""
    if not 1 <= count <= MAX_SEED:
        return f"--count must be between 1 and {MAX_SEED}"
    if "{i}" not in name_format:
        return f"--name-format must contain {{i}}, e.g. 'bench{{i}}' (got {name_format!r})"
    try:
        names = [name_format.format(i=i) for i in range(count)]
    except (KeyError, IndexError, ValueError) as exc:
        return f"--name-format {name_format!r}: only {{i}} may be used ({exc})"
    bad = next((n for n in names if not valid_username(n)), None)
    if bad is not None:
        return f"--name-format gives {bad!r}, not a valid username: {RULE}"
    if len(set(names)) != count:
        return f"--name-format {name_format!r} gives the same name twice"
    return names


def _hash(password: str) -> str:
    """``password`` hashed with the argon2id parameters the server is configured with."""
    passwords = Passwords(*config.argon2_costs())
    try:
        return passwords.hash_sync(password)
    finally:
        passwords.close()


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("New password: ")
    if first != getpass.getpass("Repeat password: "):
        raise SystemExit("passwords do not match")
    return first


async def _run(a: argparse.Namespace, stores: Stores) -> int:
    accounts = stores.accounts
    if a.cmd == "list":
        for u in await accounts.list():
            print(f"{u.username}\t{u.role}\t{'disabled' if u.disabled else 'active'}")
        return 0
    if a.cmd == "seed":
        hashed = _hash(os.environ[SEED_PASSWORD_ENV])  # checked by run()
        batch = [Account(name, hashed) for name in a.names]
        written = await accounts.put_many(batch, replace=a.force)
        kept = len(batch) - written
        note = f"; {kept} existed and were left as they were (--force replaces)" if kept else ""
        names = f"{batch[0].username} … {batch[-1].username}"
        print(f"seeded {written} of {len(batch)} account(s) {names}{note}")
        return 0
    user = await accounts.get(a.username)
    if a.cmd == "add":
        if user is not None:
            print(f"user {a.username!r} exists; use passwd", file=sys.stderr)
            return 1
        password = _read_password(a.password_stdin)
        if len(password) < MIN_PASSWORD:
            print(f"password must be at least {MIN_PASSWORD} characters", file=sys.stderr)
            return 1
        hashed = _hash(password)
        await accounts.put(Account(a.username, hashed, "admin" if a.admin else "user"))
        print(f"added {a.username}")
        return 0
    if user is None:
        print(f"no user {a.username!r}", file=sys.stderr)
        return 1
    if a.cmd == "passwd":
        hashed = _hash(_read_password(a.password_stdin))
        await accounts.put(Account(user.username, hashed, user.role, user.disabled))
    elif a.cmd == "disable":
        await accounts.put(Account(user.username, user.password_hash, user.role, True))
        ended = await stores.sessions.end_all(user.username, EndReason.DISABLED)
        print(f"disabled {user.username}; ended {len(ended)} session(s)")
        return 0
    elif a.cmd == "uncontest":
        if await stores.sessions.uncontest(user.username, by_admin="(users command)"):
            print(f"uncontested {user.username}: displacing logins are admitted again")
        else:
            print(f"{user.username} was not contested (its count of displacements is cleared)")
        return 0
    else:
        await accounts.put(Account(user.username, user.password_hash, user.role, False))
    print(f"{a.cmd}: {user.username}")
    return 0


def _without_password(url: str) -> str:
    """The URL as it may be printed: credentials masked."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


def run(argv: Sequence[str]) -> int:
    a = _parser().parse_args(argv)
    # Only new names are checked: an old account outside the rule can still be
    # disabled, re-enabled or given a new password (and never signs in).
    if a.cmd == "add" and not valid_username(a.username):
        print(f"users: invalid username {a.username!r}: {RULE}", file=sys.stderr)
        return 2
    if a.cmd in ("add", "passwd", "seed"):
        try:
            config.argon2_costs()
        except config.ConfigError as exc:
            print(f"users: {exc}", file=sys.stderr)
            return 2
    if a.cmd == "seed":
        names = _seed_names(a.name_format, a.count)
        if isinstance(names, str):
            print(f"users seed: {names}", file=sys.stderr)
            return 2
        a.names = names
        if len(os.environ.get(SEED_PASSWORD_ENV, "")) < MIN_PASSWORD:
            print(
                f"users seed: set {SEED_PASSWORD_ENV} to the accounts' password "
                f"(at least {MIN_PASSWORD} characters)",
                file=sys.stderr,
            )
            return 2
    if not a.redis_url:
        print(
            "users: needs --redis-url (or LOGINGUARD_REDIS_URL). The embedded memory store "
            "lives inside the server process; use --demo to try LoginGuard without Redis.",
            file=sys.stderr,
        )
        return 2
    from server.sessions.factory import redis_stores

    async def go() -> int:
        stores = redis_stores(a.redis_url, prefix=a.redis_prefix)
        try:
            return await _run(a, stores)
        except StoreUnavailable:
            print(f"users: cannot reach Redis at {_without_password(a.redis_url)}", file=sys.stderr)
            return 1
        finally:
            await stores.close()

    return asyncio.run(go())
