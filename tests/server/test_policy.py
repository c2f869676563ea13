"""The pure login rules, without any store."""

from __future__ import annotations

from dataclasses import dataclass

from server.sessions.policy import Decision, Policy, decide


@dataclass(frozen=True)
class Held:
    jti: str
    device_id: str
    created_at: float
    device_class: str = "desktop"


A = Held("a", "pc1", 1.0)
B = Held("b", "pc2", 2.0)


def test_first_login_is_admitted_and_evicts_nothing() -> None:
    """An account with no sessions admits any login under every policy."""
    for policy in Policy:
        assert decide([], "pc1", policy, 1, False) == Decision(True, (), ())


def test_displace_evicts_the_oldest_beyond_the_limit() -> None:
    """Displace keeps the newest max_sessions-1 sessions and admits the new one."""
    assert decide([B, A], "pc3", Policy.DISPLACE, 1, False).evict == ("a", "b")
    assert decide([B, A], "pc3", Policy.DISPLACE, 2, False).evict == ("a",)
    assert decide([B, A], "pc3", Policy.DISPLACE, 3, False).evict == ()


def test_reject_refuses_and_names_the_conflicts() -> None:
    """Reject refuses a login at the limit and reports who holds the account."""
    assert decide([A], "pc2", Policy.REJECT, 1, True) == Decision(False, (), ("a",))


def test_confirm_needs_takeover() -> None:
    """Confirm refuses without takeover and displaces with it."""
    assert decide([A], "pc2", Policy.CONFIRM, 1, False) == Decision(False, (), ("a",))
    assert decide([A], "pc2", Policy.CONFIRM, 1, True) == Decision(True, ("a",), (), True)


def test_same_device_replaces_itself_under_every_policy() -> None:
    """A PC signing in again replaces its own session and is never a conflict."""
    for policy in Policy:
        assert decide([A], "pc1", policy, 1, False) == Decision(True, ("a",), ())


def test_ties_break_by_jti_for_a_stable_order() -> None:
    """Sessions created in the same instant are evicted in JTI order."""
    x, y = Held("y", "p1", 5.0), Held("x", "p2", 5.0)
    assert decide([x, y], "p3", Policy.DISPLACE, 2, False).evict == ("x",)
