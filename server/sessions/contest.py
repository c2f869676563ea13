"""The ping-pong guard: when an account keeps being taken from one PC by another.

Pure rules, no I/O, beside :mod:`.policy`. The memory engine calls :func:`judge`
inside its login step; the Redis engine runs the same rule inside
``scripts/login.lua``, so that counting, refusing and the login decision are one
atomic step. The conformance suite (``tests/conformance/test_contest.py``) holds
both engines to this module.

Only a login that the policy admits *and* that would end another device's
session (a *displacing* login) is judged. A login that displaces nobody - a free
slot, the same PC signing in again - is never counted and never held back, and
neither is one the policy refused.

* More than ``limit`` displacing logins of one account within ``window`` seconds
  (a sliding window) make the account *contested*: the displacing login that
  would have been one too many is refused, and so is every displacing login
  until the cool-down ends.
* The cool-down is ``cooldown`` seconds the first time, doubled for each repeat
  that begins within :data:`MEMORY` after the previous cool-down ended, and
  never longer than ``max_cooldown``.
* Refused logins change nothing: they neither count nor extend the cool-down, so
  the ``Retry-After`` a PC is given holds. So no ``window`` seconds ever admit more
  than ``limit`` displacing logins; once a cool-down at least as long as the window
  has passed, ``limit`` more pass before the next (longer) one.

Not guaranteed: the guard tells two PCs that fight over an account apart from
one person moving between PCs quickly only by the rate; a rate above the limit
is treated as a fight whoever causes it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MEMORY = 24 * 3600.0
"""Seconds after a cool-down ends during which a new contest counts as a repeat."""

_MAX_DOUBLINGS = 40  # 2**40 times any cool-down is past any cap; keeps the power finite


@dataclass(frozen=True, slots=True)
class ContestRule:
    """The guard's settings (``--contest-*``). With ``--contest-limit 0`` the guard is
    off: the stores are given no rule at all."""

    limit: int = 6  # displacing logins allowed within the window
    window: float = 300.0  # seconds, sliding
    cooldown: float = 300.0  # seconds, the first time
    max_cooldown: float = 3600.0  # seconds, the cap of the doubling

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window <= 0 or not 0 < self.cooldown <= self.max_cooldown:
            raise ValueError(f"bad contest rule {self!r}")


@dataclass(frozen=True, slots=True)
class ContestState:
    """What an account's guard remembers; the empty state is ``ContestState()``."""

    hits: tuple[float, ...] = ()  # times of admitted displacing logins, oldest first
    until: float = 0.0  # displacing logins are refused before this moment
    strikes: int = 0  # contests in a row, each within MEMORY of the last one's end

    def forgotten(self, now: float, rule: ContestRule) -> bool:
        """True when nothing here can matter any more: the state may be dropped."""
        window_over = not self.hits or max(self.hits) <= now - rule.window
        return window_over and self.until + MEMORY <= now


@dataclass(frozen=True, slots=True)
class Verdict:
    """The guard's answer to one displacing login."""

    state: ContestState  # what to remember from now on
    retry_after: float  # 0: admit; else refuse and say to wait this many seconds
    began: bool = False  # this login made the account contested: announce it
    displacements: int = 0  # when it began: the displacing logins in the window, this one too


def cooldown_of(rule: ContestRule, strikes: int) -> float:
    """The cool-down of the ``strikes``-th contest in a row (1 for the first)."""
    return min(rule.cooldown * 2.0 ** min(strikes - 1, _MAX_DOUBLINGS), rule.max_cooldown)


def judge(state: ContestState, now: float, rule: ContestRule) -> Verdict:
    """Judge a login the policy admits and that would end another device's session."""
    if now < state.until:
        return Verdict(state, state.until - now)
    hits = tuple(t for t in state.hits if t > now - rule.window)
    if len(hits) < rule.limit:
        return Verdict(ContestState((*hits, now), state.until, state.strikes), 0.0)
    strikes = state.strikes + 1 if state.until + MEMORY > now else 1
    cooldown = cooldown_of(rule, strikes)
    return Verdict(ContestState(hits, now + cooldown, strikes), cooldown, True, len(hits) + 1)


def retry_seconds(wait: float) -> int:
    """A wait as the whole seconds a ``Retry-After`` or a message carries: at least 1."""
    return max(1, math.ceil(wait))
