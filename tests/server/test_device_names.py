"""Device names reach the other PC as one line of visible text, or the login is refused."""

from __future__ import annotations

import asyncio
import unicodedata

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.device_names import MAX_LENGTH, clean_device_name
from tests.support.clients import connected, login
from tests.support.server import ServerProcess, login_body

CASES = [
    ("PC-1", "PC-1"),
    ("  Front   desk\tPC ", "Front desk PC"),
    ("PC\x1b[2J\x1b[31m-1\x07", "PC[2J[31m-1"),  # ESC and BEL go, the harmless rest stays
    ("PC\x00-\x7f1", "PC-1"),  # NUL, DEL
    ("\u202eexe.txt", "exe.txt"),  # right-to-left override
    ("a\u202ab\u202bc\u202cd\u202de", "abcde"),  # embeddings and pop
    ("a\u2066b\u2067c\u2068d\u2069e", "abcde"),  # isolates
    ("a\u200eb\u200fc", "abc"),  # LRM, RLM
    ("a\u200bb\u200cc\u200dd\ufeffe\u2060f", "abcdef"),  # zero-width, BOM, word joiner
    ("line1\nline2\r\nline3", "line1 line2 line3"),
    ("a\u2028b\u2029c\x85d", "a b c d"),  # line / paragraph separators, NEL
    ("a\u00a0b\u3000c\u2003d\u2009e", "a b c d e"),  # Unicode spaces
    ("Cafe\u0301", "Caf\u00e9"),  # NFC
    ("e\u200d\u0301", "\u00e9"),  # NFC after a zero-width joiner goes
    ("\ud800PC\udfff", "PC"),  # lone surrogates
    ("x" * 250, "x" * MAX_LENGTH),
    ("x" * (MAX_LENGTH - 1) + " y", "x" * (MAX_LENGTH - 1)),  # cut, then trimmed
    ("\u200b\u200c\u200d\ufeff", ""),
    (" \t\n\u3000 ", ""),
    ("\x1b\x07\x00\x7f", ""),
]


@pytest.mark.parametrize(("raw", "clean"), CASES)
def test_nasty_names_are_cleaned(raw: str, clean: str) -> None:
    """Controls, bidi and zero-width characters go, spaces collapse, NFC, trimmed and cut."""
    assert clean_device_name(raw) == clean


@settings(database=None)  # nothing written into the work tree
@given(st.text(st.characters(codec=None, exclude_categories=()), max_size=400))
def test_cleaning_is_idempotent_and_leaves_one_visible_line(raw: str) -> None:
    """Any text cleans to at most 100 NFC characters, no controls, no runs of space, stably."""
    clean = clean_device_name(raw)
    assert clean_device_name(clean) == clean
    assert len(clean) <= MAX_LENGTH
    assert clean == clean.strip()
    assert "  " not in clean
    assert all(unicodedata.category(ch) not in {"Cc", "Cf", "Cs"} for ch in clean)
    assert all(ch == " " or not ch.isspace() for ch in clean)
    assert unicodedata.is_normalized("NFC", clean)


@pytest.mark.parametrize("name", ["\u200b\u200d", "\x1b\x07", "\u202e", " \u3000\t"])
def test_invisible_only_name_is_refused(memory_server: ServerProcess, name: str) -> None:
    """A device name with nothing visible left gets 422 naming device_name."""
    r = httpx.post(memory_server.url + "/api/auth/login", json=login_body(device=name))
    assert r.status_code == 422
    assert r.json()["error"] == "validation_failed"
    assert r.json()["field"] == "device_name"


async def test_displaced_socket_receives_the_cleaned_name(memory_server: ServerProcess) -> None:
    """The displaced PC is told the newcomer's name without its escapes, bidi or line breaks."""
    pc1 = login(memory_server, "user1", "PC-1")
    sock = await connected(memory_server, pc1["access_token"])
    nasty = "\x1b]0;pwned\x07Evil\u202e\nPC\u200b  2\x00"
    pc2 = await asyncio.to_thread(login, memory_server, "user1", nasty)
    assert pc2["session"]["device_name"] == "]0;pwnedEvil PC 2"
    message = await sock.next_message()
    assert message["type"] == "displaced"
    assert message["by"]["device_name"] == "]0;pwnedEvil PC 2"
    await sock.until_closed()
