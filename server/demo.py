"""Demo accounts for `--demo` and `make run`. Never use them on a real server."""

from __future__ import annotations

import logging

from server.auth import Passwords
from server.sessions.accounts import AccountStore
from server.sessions.records import Account

log = logging.getLogger("loginguard.demo")

DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("user1", "password1", "user"),
    ("user2", "password2", "user"),
    ("user3", "password3", "user"),
    ("admin", "admin1234", "admin"),
)

WARNING = (
    "\n"
    "  !!! DEMO MODE !!!  Demo accounts user1..user3 / password1..password3 and admin /\n"
    "  admin1234 exist, and unless LOGINGUARD_JWT_SECRET is set the signing secret is\n"
    "  random and lives only as long as this process. Never expose a --demo server.\n"
)


async def seed_demo_users(accounts: AccountStore, passwords: Passwords) -> None:
    """Create the demo accounts that do not exist yet (existing ones are left alone)."""
    for username, password, role in DEMO_USERS:
        if await accounts.get(username) is None:
            hashed = await passwords.hash(password)
            await accounts.put(Account(username, hashed, "admin" if role == "admin" else "user"))
            log.info("event=demo_user_created user=%s", username)
