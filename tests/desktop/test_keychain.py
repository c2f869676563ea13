"""The keychain wrapper: tokens kept per profile, and never an exception from a bad keychain."""

from __future__ import annotations

import json

from desktop_app.keychain import PENDING, SERVICE, SESSION, Keychain
from desktop_app.records import Held
from tests.desktop.keyrings import LockedKeyring, MemoryKeyring

HELD = Held("http://s:1", "user1", "tok-1")


def test_a_remembered_session_round_trips_and_is_forgotten() -> None:
    """remember → remembered gives it back; forget removes it; forgetting twice is fine."""
    ring = MemoryKeyring()
    chain = Keychain("PC-1", ring)
    assert chain.remembered() is None
    assert chain.remember(HELD)
    assert chain.remembered() == HELD
    assert json.loads(ring.entries[(SERVICE, f"PC-1/{SESSION}")])["token"] == "tok-1"
    assert chain.forget()
    assert chain.remembered() is None
    assert chain.forget()
    assert chain.trouble is None


def test_profiles_do_not_share_entries() -> None:
    """Two profiles on one machine are two PCs: each has its own entries."""
    ring = MemoryKeyring()
    Keychain("PC-1", ring).remember(HELD)
    assert Keychain("PC-2", ring).remembered() is None
    Keychain("PC-2", ring).keep_pending_token("tok-2")
    assert Keychain("PC-1", ring).pending_token() is None
    assert Keychain("PC-2", ring).pending_token() == "tok-2"
    assert set(ring.entries) == {(SERVICE, f"PC-1/{SESSION}"), (SERVICE, f"PC-2/{PENDING}")}


def test_a_locked_keychain_fails_quietly_and_says_why() -> None:
    """Every call on a locked keychain returns None/False and records the trouble; none raises."""
    ring = LockedKeyring()
    chain = Keychain("PC-1", ring)
    assert not chain.remember(HELD)
    assert chain.remembered() is None
    assert not chain.forget()
    assert not chain.keep_pending_token("t")
    assert chain.pending_token() is None
    assert ring.calls == 5
    assert chain.trouble is not None
    assert "KeyringLocked" in chain.trouble


def test_unreadable_entries_are_treated_as_absent() -> None:
    """An entry that is not our JSON (another program's, an old format) reads as none."""
    ring = MemoryKeyring()
    ring.entries[(SERVICE, f"PC-1/{SESSION}")] = "not json"
    ring.entries[(SERVICE, f"PC-1/{PENDING}")] = json.dumps({"token": 5})
    chain = Keychain("PC-1", ring)
    assert chain.remembered() is None
    assert chain.pending_token() is None
    ring.entries[(SERVICE, f"PC-1/{SESSION}")] = json.dumps({"server": "s", "username": "u"})
    assert chain.remembered() is None
