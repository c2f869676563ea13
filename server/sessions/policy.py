"""Who wins a login and whom it evicts: pure rules, no I/O.

The memory engine calls :func:`decide` directly; the Redis engine runs the same
rules inside ``scripts/login.lua`` so that the decision and its application are
one atomic step. The conformance suite holds both to the same behaviour.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from shared.policies import Policy

__all__ = ["Decision", "Policy", "decide"]

_ASKING = (Policy.CONFIRM, Policy.ASK)  # refuse like reject unless the login has takeover


class _Held(Protocol):
    @property
    def jti(self) -> str: ...
    @property
    def device_id(self) -> str: ...
    @property
    def created_at(self) -> float: ...


@dataclass(frozen=True, slots=True)
class Decision:
    admit: bool
    evict: tuple[str, ...]  # JTIs to end with reason "displaced"
    conflicts: tuple[str, ...]  # JTIs that blocked the login (when admit is False)
    displaces: bool = False  # an admitted login evicts another device's session (contest.py)


def decide(
    active: Sequence[_Held],
    device_id: str,
    policy: Policy,
    max_sessions: int,
    takeover: bool,
    absent: Collection[str] = (),
) -> Decision:
    """Decide a login against the account's live sessions.

    A session held by the same ``device_id`` is that PC signing in again: it is
    always replaced and never counts as a conflict. Of the rest, the oldest
    (by ``created_at``, then JTI for a stable order) are evicted until the new
    session fits within ``max_sessions``. Under ``reject`` (and ``confirm``
    and ``ask`` without takeover: for ``ask`` the service sets it once the asked PC
    allowed, or did not answer) only ``absent`` sessions - no socket for longer than the
    presence grace: a crashed or switched-off PC - may be evicted; when they do
    not make room, the login is refused and nothing changes.
    """
    same = [s.jti for s in active if s.device_id == device_id]
    others = sorted(
        (s for s in active if s.device_id != device_id), key=lambda s: (s.created_at, s.jti)
    )
    excess = len(others) + 1 - max_sessions
    if excess <= 0:
        return Decision(True, tuple(same), ())
    if policy is Policy.REJECT or (policy in _ASKING and not takeover):
        gone = [s.jti for s in others if s.jti in absent]
        if excess <= len(gone):
            return Decision(True, tuple(same) + tuple(gone[:excess]), (), displaces=True)
        return Decision(False, (), tuple(s.jti for s in others))
    return Decision(True, tuple(same) + tuple(s.jti for s in others[:excess]), (), displaces=True)
