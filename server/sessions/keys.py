"""Key names of the Redis engine.

Every key of a user carries the hash tag ``{u:<user>}`` so that all of them sit
in one hash slot and the scripts run unchanged on Redis Cluster::

    <prefix>:{u:alice}:index     ZSET, members "s:<jti>" (live session, score = idle
                                 deadline) and "t:<jti>" (tombstone, score = the ended
                                 session's expires_at); it expires with its last member
    <prefix>:{u:alice}:s:<jti>   HASH, one live session
    <prefix>:{u:alice}:t:<jti>   HASH, one tombstone: reason, by (JSON)
    <prefix>:{u:alice}:user      HASH, the account (never expires)
    <prefix>:{u:alice}:devices   ZSET, device ids known to the account, scored by last login
    <prefix>:{u:alice}:contest   HASH, the ping-pong guard: until, strikes
    <prefix>:{u:alice}:contest:log  ZSET, the guard's window: displacing logins by time
    <prefix>:{u:alice}:ask       HASH, the account's takeover request (policy ask)
    <prefix>:{u:alice}:rl:u      HASH, the unknown devices' attempt window: n, reset
    <prefix>:{u:alice}:rl:d:<id> HASH, one known device's attempt window
    <prefix>:rl:{ip:<ip>}        HASH, one client address's attempt window
    <prefix>:{epoch}             HASH, the write counter: era, n, reset_at (never expires)
    <prefix>:events              the pub/sub channel of SessionEvents (JSON), one server
    <prefix>:{u:alice}:events    alice's own sharded channel (SPUBLISH), on a cluster
    <prefix>:cache:sessions:v2:...  a cached scan_sessions page (5 s); the v2 (records
                                 with device_class) keeps workers of a rolling upgrade
                                 from reading each other's pages

The key of an index member is the user's key prefix plus the member, which is
how the scripts find a record from its index entry.
"""

from __future__ import annotations

import re

_GLOB_SPECIAL = re.compile(r"([*?\[\]\\])")


def glob_escape(text: str) -> str:
    """``text`` as a literal in a Redis MATCH pattern (which escapes with a backslash)."""
    return _GLOB_SPECIAL.sub(r"\\\1", text)


class Keys:
    """Key names under one prefix."""

    def __init__(self, prefix: str) -> None:
        if not prefix or "{" in prefix or "}" in prefix:
            # A brace in the prefix would become the hash tag of every key.
            raise ValueError(f"bad Redis key prefix {prefix!r}: must be non-empty, no braces")
        self.prefix = prefix
        self.channel = f"{prefix}:events"
        self.index_pattern = f"{glob_escape(prefix)}:{{u:*}}:index"
        self.account_pattern = f"{glob_escape(prefix)}:{{u:*}}:user"

    def of_user(self, user: str) -> str:
        """Prefix of every key of ``user``; scripts append an index member to it."""
        return f"{self.prefix}:{{u:{user}}}:"

    def index(self, user: str) -> str:
        return self.of_user(user) + "index"

    def account(self, user: str) -> str:
        return self.of_user(user) + "user"

    def user_pattern(self, user: str) -> str:
        """MATCH pattern for every key of ``user`` (the account included)."""
        return glob_escape(self.of_user(user)) + "*"

    def user_of_index(self, key: str) -> str:
        """The user whose index is ``key`` (inverse of :meth:`index`)."""
        return key[len(self.prefix) + len(":{u:") : -len("}:index")]

    def events(self, user: str) -> str:
        """The sharded pub/sub channel of ``user``'s events, in the slot of its keys."""
        return self.of_user(user) + "events"

    def event_channel(self, user: str, *, sharded: bool) -> str:
        """Where the scripts publish ``user``'s events: the user's own channel on a
        cluster (``sharded``), the one broadcast channel on one server."""
        return self.events(user) if sharded else self.channel

    def user_of_events(self, channel: str) -> str:
        """The user whose channel is ``channel`` (inverse of :meth:`events`)."""
        return channel[len(self.prefix) + len(":{u:") : -len("}:events")]

    def devices(self, user: str) -> str:
        return self.of_user(user) + "devices"

    def contest(self, user: str) -> str:
        return self.of_user(user) + "contest"

    def contest_log(self, user: str) -> str:
        return self.of_user(user) + "contest:log"

    def ask(self, user: str) -> str:
        return self.of_user(user) + "ask"

    def account_bucket(self, user: str) -> str:
        return self.of_user(user) + "rl:u"

    def device_bucket(self, user: str, device_id: str) -> str:
        return self.of_user(user) + "rl:d:" + device_id

    def ip_bucket(self, ip: str) -> str:
        return f"{self.prefix}:rl:{{ip:{ip}}}"

    @property
    def epoch(self) -> str:
        return f"{self.prefix}:{{epoch}}"

    def scan_page(self, cursor: str, count: int) -> str:
        return f"{self.prefix}:cache:sessions:v2:{cursor}:{count}"
