"""Who wins a login and whom it evicts: pure rules, no I/O.

The memory engine calls :func:`decide` directly; the Redis engine runs the same
rules inside ``scripts/login.lua`` so that the decision and its application are
one atomic step. The conformance suite holds both to the same behaviour.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from server.sessions.limits import SessionLimits
from shared.device_classes import DEFAULT_CLASS
from shared.policies import Policy

__all__ = ["Decision", "Policy", "SessionLimits", "as_limits", "decide"]

_ASKING = (Policy.CONFIRM, Policy.ASK)  # refuse like reject unless the login has takeover


class _Held(Protocol):
    @property
    def jti(self) -> str: ...
    @property
    def device_id(self) -> str: ...
    @property
    def created_at(self) -> float: ...
    @property
    def device_class(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Decision:
    admit: bool
    evict: tuple[str, ...]  # JTIs to end with reason "displaced"
    conflicts: tuple[str, ...]  # JTIs that blocked the login (when admit is False)
    displaces: bool = False  # an admitted login evicts another device's session (contest.py)


def as_limits(max_sessions: SessionLimits | int) -> SessionLimits:
    """A bare number is one limit for all classes together."""
    if isinstance(max_sessions, int):
        return SessionLimits.shared(max_sessions)
    return max_sessions


def decide(
    active: Sequence[_Held],
    device_id: str,
    policy: Policy,
    max_sessions: SessionLimits | int,
    takeover: bool,
    absent: Collection[str] = (),
    device_class: str = DEFAULT_CLASS,
) -> Decision:
    """Decide a login from ``device_id`` of ``device_class`` against the account's live
    sessions.

    A session held by the same ``device_id`` is that PC signing in again: it is
    always replaced, whatever its class, and never counts as a conflict. Of the
    rest, only those in the new login's pool count: every session under a bare
    number, the sessions of the same class under a map (:mod:`.limits`). Of those,
    the oldest (by ``created_at``, then JTI for a stable order) are evicted until
    the new session fits within the pool's limit. Under ``reject`` (and ``confirm``
    and ``ask`` without takeover: for ``ask`` the service sets it once the asked PC
    allowed, or did not answer) only ``absent`` sessions - no socket for longer than
    the presence grace: a crashed or switched-off PC - may be evicted; when they do
    not make room, the login is refused and nothing changes. ValueError for a class
    the limits do not allow (the login route refuses it first).
    """
    limits = as_limits(max_sessions)
    limit = limits.limit_of(device_class)
    if limit is None:
        raise ValueError(f"device class {device_class!r} is not allowed by {limits}")
    same = [s.jti for s in active if s.device_id == device_id]
    others = sorted(
        (
            s
            for s in active
            if s.device_id != device_id and limits.pooled(s.device_class, device_class)
        ),
        key=lambda s: (s.created_at, s.jti),
    )
    excess = len(others) + 1 - limit
    if excess <= 0:
        return Decision(True, tuple(same), ())
    if policy is Policy.REJECT or (policy in _ASKING and not takeover):
        gone = [s.jti for s in others if s.jti in absent]
        if excess <= len(gone):
            return Decision(True, tuple(same) + tuple(gone[:excess]), (), displaces=True)
        return Decision(False, (), tuple(s.jti for s in others))
    return Decision(True, tuple(same) + tuple(s.jti for s in others[:excess]), (), displaces=True)
