"""Device classes on every engine: limits, conflicts and displacements per class.

``alice`` signs in from desktops and phones; ``CLASSES`` gives each class one session
of its own (``--max-sessions desktop=1,mobile=1``).
"""

from __future__ import annotations

import pytest

from server.sessions.base import SessionStore
from server.sessions.contest import ContestRule
from server.sessions.factory import Stores
from server.sessions.limits import SessionLimits, parse_limits
from server.sessions.policy import Policy
from server.sessions.records import LoginOutcome, SessionEvent, SessionRecord, Tombstone
from shared.messages import By
from shared.reasons import EndReason
from tests.conformance.helpers import LIFETIME, FakeClock, Login, listening

CLASSES = parse_limits("desktop=1,mobile=1")


async def test_a_phone_and_a_desktop_hold_one_session_each(
    store: SessionStore, login: Login, clock: FakeClock
) -> None:
    """With desktop=1,mobile=1 a phone's login leaves the desktop session live, and
    both keep their class."""
    desk = (await login("d", max_sessions=CLASSES)).admitted
    clock.advance(1)
    out = await login("m", max_sessions=CLASSES, device_class="mobile")
    assert out.admitted is not None
    assert (out.ended, out.conflicts) == ((), ())
    assert desk is not None
    assert desk.device_class == "desktop"
    assert out.admitted.device_class == "mobile"
    assert await store.sessions_of("alice") == [desk, out.admitted]
    mobile = await store.check("alice", "m")
    assert isinstance(mobile, SessionRecord)
    assert mobile.device_class == "mobile"
    assert mobile.public()["device_class"] == "mobile"


async def test_a_second_desktop_displaces_only_the_desktop(
    store: SessionStore, login: Login, clock: FakeClock
) -> None:
    """A new desktop login ends the old desktop's session and leaves the phone's alone;
    a new phone then ends only the old phone's."""
    desk = (await login("d1", max_sessions=CLASSES)).admitted
    phone = (await login("m1", max_sessions=CLASSES, device_class="mobile")).admitted
    clock.advance(1)
    out = await login("d2", max_sessions=CLASSES)
    assert out.admitted is not None
    assert out.ended == (desk,)
    status = await store.check("alice", "d1")
    assert isinstance(status, Tombstone)
    assert status.reason is EndReason.DISPLACED
    assert await store.check("alice", "m1") == phone
    clock.advance(1)
    again = await login("m2", max_sessions=CLASSES, device_class="mobile")
    assert again.ended == (phone,)
    assert await store.sessions_of("alice") == [out.admitted, again.admitted]


@pytest.mark.parametrize("policy", [Policy.REJECT, Policy.CONFIRM])
async def test_reject_and_confirm_refuse_per_class(
    store: SessionStore, login: Login, policy: Policy
) -> None:
    """Under reject and confirm the desktop session blocks a second desktop, naming only
    itself, and never blocks a phone."""
    desk = (await login("d1", max_sessions=CLASSES)).admitted
    phone = await login("m1", policy=policy, max_sessions=CLASSES, device_class="mobile")
    assert phone.admitted is not None
    assert phone.ended == ()
    refused = await login("d2", policy=policy, max_sessions=CLASSES)
    assert refused.admitted is None
    assert (refused.ended, refused.conflicts) == ((), (desk,))
    assert await store.sessions_of("alice") == [desk, phone.admitted]


async def test_confirm_with_takeover_displaces_only_its_class(
    store: SessionStore, login: Login
) -> None:
    """A confirmed takeover by a phone ends the old phone's session, not the desktop's."""
    desk = (await login("d1", max_sessions=CLASSES)).admitted
    phone = (await login("m1", max_sessions=CLASSES, device_class="mobile")).admitted
    out = await login(
        "m2", policy=Policy.CONFIRM, takeover=True, max_sessions=CLASSES, device_class="mobile"
    )
    assert out.admitted is not None
    assert out.ended == (phone,)
    assert await store.check("alice", "d1") == desk


@pytest.mark.parametrize("limit", [1, SessionLimits.shared(1)], ids=["int", "shared"])
async def test_a_bare_number_is_one_limit_for_all_classes(
    store: SessionStore, login: Login, clock: FakeClock, limit: SessionLimits | int
) -> None:
    """With a bare number, as before classes, a phone's login displaces the desktop's
    session, and under reject the desktop blocks the phone."""
    desk = (await login("d1", max_sessions=limit)).admitted
    clock.advance(1)
    refused = await login("m0", policy=Policy.REJECT, max_sessions=limit, device_class="mobile")
    assert (refused.admitted, refused.conflicts) == (None, (desk,))
    out = await login("m1", max_sessions=limit, device_class="mobile")
    assert out.admitted is not None
    assert out.ended == (desk,)
    assert await store.sessions_of("alice") == [out.admitted]


async def test_a_shared_limit_evicts_the_oldest_of_any_class(
    store: SessionStore, login: Login, clock: FakeClock
) -> None:
    """With one limit of 2 for all, a third login evicts the oldest session, whatever
    its class."""
    shared = SessionLimits.shared(2)
    phone = (await login("m", max_sessions=shared, device_class="mobile")).admitted
    clock.advance(1)
    desk = (await login("d", max_sessions=shared)).admitted
    clock.advance(1)
    out = await login("w", max_sessions=shared, device_class="web")
    assert out.ended == (phone,)
    assert await store.sessions_of("alice") == [desk, out.admitted]


async def test_star_gives_each_unnamed_class_a_limit_of_its_own(
    store: SessionStore, login: Login, clock: FakeClock
) -> None:
    """With desktop=1,*=1 a web login and a tablet login each keep one session, and a
    second web login displaces only the web one."""
    limits = parse_limits("desktop=1,*=1")
    desk = (await login("d", max_sessions=limits)).admitted
    web = (await login("w1", max_sessions=limits, device_class="web")).admitted
    tablet = (await login("t", max_sessions=limits, device_class="tablet")).admitted
    clock.advance(1)
    out = await login("w2", max_sessions=limits, device_class="web")
    assert out.ended == (web,)
    live = await store.sessions_of("alice")
    assert [s.jti for s in live] == ["d", "t", "w2"]
    assert (desk, tablet) == (live[0], live[1])


async def test_a_class_the_limits_do_not_allow_is_refused_by_the_store(
    store: SessionStore, login: Login
) -> None:
    """A login of a class the map neither names nor covers with * raises ValueError
    and changes nothing (the login route answers 422 before it gets here)."""
    await login("d", max_sessions=CLASSES)
    before = await store.footprint("alice")
    with pytest.raises(ValueError, match="web"):
        await login("w", max_sessions=CLASSES, device_class="web")
    assert await store.footprint("alice") == before


async def test_the_same_device_replaces_its_session_whatever_the_class(
    store: SessionStore, login: Login, clock: FakeClock
) -> None:
    """A device signing in again under another class replaces its own session, displaces
    no other device and never conflicts, even under reject."""
    limits = parse_limits("desktop=1,mobile=2")
    own = (await login("x1", "dev-x", max_sessions=limits)).admitted
    phone = (await login("m", max_sessions=limits, device_class="mobile")).admitted
    clock.advance(1)
    out = await login(
        "x2", "dev-x", policy=Policy.REJECT, max_sessions=limits, device_class="mobile"
    )
    assert out.admitted is not None
    assert out.ended == (own,)
    assert await store.sessions_of("alice") == [phone, out.admitted]


async def test_presence_frees_a_place_only_in_its_own_class(
    store: SessionStore, login: Login, clock: FakeClock
) -> None:
    """Under reject an absent desktop makes room for a new desktop, while an absent
    phone never makes room for a desktop."""
    grace = 90.0

    async def reject(jti: str, device_class: str = "desktop") -> LoginOutcome:
        return await login(
            jti,
            policy=Policy.REJECT,
            max_sessions=CLASSES,
            presence_grace=grace,
            device_class=device_class,
        )

    desk = (await reject("d1")).admitted
    phone = (await reject("m1", "mobile")).admitted
    clock.advance(grace / 2)
    await store.check("alice", "d1", present=True)  # the desktop holds a socket
    clock.advance(grace / 2 + 1)  # the phone is absent now, the desktop is not
    refused = await reject("d2")
    assert (refused.admitted, refused.conflicts) == (None, (desk,))
    clock.advance(grace)  # both absent now
    out = await reject("d3")
    assert out.admitted is not None
    assert out.ended == (desk,)
    assert await store.check("alice", "m1") == phone


async def test_the_guard_never_holds_back_a_login_into_a_free_class(
    store: SessionStore, clock: FakeClock
) -> None:
    """While two desktops have made the account contested, a phone's login, which
    displaces nobody, is admitted; the desktops' next displacing login is not."""
    rule = ContestRule(limit=2, window=300.0, cooldown=300.0, max_cooldown=3600.0)

    async def sign_in(jti: str, device: str, device_class: str = "desktop") -> LoginOutcome:
        clock.advance(1)
        now = clock()
        record = SessionRecord(
            "alice", jti, device, device, "10.0.0.1", now, now + LIFETIME, device_class
        )
        return await store.login(
            record,
            policy=Policy.DISPLACE,
            max_sessions=CLASSES,
            takeover=False,
            idle_ttl=1800.0,
            contest=rule,
        )

    outs = [await sign_in(f"j{i}", device) for i, device in enumerate(["a", "b", "a", "b"])]
    assert [o.admitted is not None for o in outs] == [True, True, True, False]
    assert outs[-1].contested is not None
    phone = await sign_in("m", "phone", "mobile")
    assert phone.admitted is not None
    assert phone.contested is None
    assert [s.jti for s in await store.sessions_of("alice")] == ["j2", "m"]
    assert (await sign_in("j9", "b")).contested is not None


async def test_a_displacement_in_one_class_tells_the_other_class_its_list_changed(
    stores: Stores, login: Login, clock: FakeClock
) -> None:
    """A desktop displacing a desktop while a phone stays publishes the displacement and
    that the account's list changed."""
    await login("d1", max_sessions=CLASSES)
    await login("m1", max_sessions=CLASSES, device_class="mobile")
    async with listening(stores) as listener:
        await login("d2", max_sessions=CLASSES, ip="10.0.0.2")
        got = [await listener.next(), await listener.next()]
    by = By(device_name="PC d2", ip="10.0.0.2", at=clock.now)
    assert sorted(got, key=repr) == sorted(
        [
            SessionEvent("alice", "d1", EndReason.DISPLACED, by),
            SessionEvent("alice", "d2", None, None),
        ],
        key=repr,
    )
