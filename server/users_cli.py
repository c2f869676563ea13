"""python -m server users add|passwd|disable|enable|list — accounts in the store.

Accounts live in Redis (``--redis-url`` or ``LOGINGUARD_REDIS_URL``): the
embedded memory store lives inside the server process, so there is nothing
here to edit (use ``--demo`` to try LoginGuard without Redis).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

from server.auth import Passwords
from server.sessions.factory import Stores
from server.sessions.records import Account, StoreUnavailable
from shared.reasons import EndReason
from shared.usernames import RULE, valid_username


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="loginguard-server users")
    p.add_argument("--redis-url", default=os.environ.get("LOGINGUARD_REDIS_URL"))
    p.add_argument("--redis-prefix", default=os.environ.get("LOGINGUARD_REDIS_PREFIX", "lg"))
    sub = p.add_subparsers(dest="cmd", required=True)
    add = sub.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--admin", action="store_true", help="grant the admin role")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    pw = sub.add_parser("passwd", help="set a new password")
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true")
    for name, text in (("disable", "disable and end all sessions"), ("enable", "re-enable")):
        sub.add_parser(name, help=text).add_argument("username")
    sub.add_parser("list", help="list accounts")
    return p


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
    user = await accounts.get(a.username)
    if a.cmd == "add":
        if user is not None:
            print(f"user {a.username!r} exists; use passwd", file=sys.stderr)
            return 1
        password = _read_password(a.password_stdin)
        if len(password) < 8:
            print("password must be at least 8 characters", file=sys.stderr)
            return 1
        hashed = Passwords().hash_sync(password)
        await accounts.put(Account(a.username, hashed, "admin" if a.admin else "user"))
        print(f"added {a.username}")
        return 0
    if user is None:
        print(f"no user {a.username!r}", file=sys.stderr)
        return 1
    if a.cmd == "passwd":
        hashed = Passwords().hash_sync(_read_password(a.password_stdin))
        await accounts.put(Account(user.username, hashed, user.role, user.disabled))
    elif a.cmd == "disable":
        await accounts.put(Account(user.username, user.password_hash, user.role, True))
        ended = await stores.sessions.end_all(user.username, EndReason.DISABLED)
        print(f"disabled {user.username}; ended {len(ended)} session(s)")
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
