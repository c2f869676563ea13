"""Log lines keep every interpolated value inside its own field, on its own line, and
the hot paths stay quiet."""

from __future__ import annotations

import asyncio
import logging

import pytest

from server import logs
from server.logs import LogfmtFormatter, logfmt_quote
from tests.support.clients import connected, login
from tests.support.server import ServerProcess


def _format(msg: str, *args: object) -> str:
    record = logging.LogRecord("loginguard.t", logging.INFO, __file__, 1, msg, args, None)
    return LogfmtFormatter("%(message)s").format(record)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("PC-1", "PC-1"),
        ("a@b.c", "a@b.c"),
        ("", '""'),
        ("PC 1", '"PC 1"'),
        ("x=y", '"x=y"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("a\nevent=forged", '"a\\nevent=forged"'),
        ("cr\rlf", '"cr\\rlf"'),
        ("tab\there", '"tab\\there"'),
        ("\x1b[31m", '"\\x1b[31m"'),
        ("nul\x00del\x7f", '"nul\\x00del\\x7f"'),
        ("\u202eevil", '"\\u202eevil"'),
        ("zw\u200bsp", '"zw\\u200bsp"'),
        ("nbsp\u00a0", '"nbsp\\xa0"'),
        ("\ud800", '"\\ud800"'),
        ("caf\u00e9", "caf\u00e9"),
    ],
)
def test_values_are_written_logfmt_style(value: str, written: str) -> None:
    """Safe text stays bare; spaces, =, quotes, backslashes and invisibles are quoted, escaped."""
    assert logfmt_quote(value) == written
    assert _format("event=x v=%s", value) == f"event=x v={written}"


def test_forged_fields_stay_in_one_field_for_s_and_r() -> None:
    """A value posing as more fields or another line is one quoted field under %s and %r."""
    forged = "PC-1 event=session_created user=admin\n2026 INFO loginguard event=x"
    quoted = '"PC-1 event=session_created user=admin\\n2026 INFO loginguard event=x"'
    line = _format("event=login user=%s device=%r n=%d t=%.1f", forged, forged, 3, 0.25)
    assert line == f"event=login user={quoted} device={quoted} n=3 t=0.2"
    assert "\n" not in line


def test_mapping_arguments_are_quoted_too() -> None:
    """Arguments passed as one mapping are quoted like positional ones."""
    record = logging.LogRecord(
        "loginguard.t", logging.INFO, __file__, 1, "event=x user=%(user)s", ({"user": "a b"},), None
    )
    assert LogfmtFormatter("%(message)s").format(record) == 'event=x user="a b"'


def test_lines_are_written_whole_and_in_order_by_the_writer_thread(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Lines logged in a burst reach stderr whole, in order, quoted, by the time logging stops."""
    root = logging.getLogger("loginguard")
    saved = (root.handlers[:], root.level, root.propagate)
    try:
        logs.setup_logging("INFO")
        log = logging.getLogger("loginguard.t")
        for i in range(500):
            log.info("event=x n=%d device=%s", i, f"PC {i}")
        log.debug("event=hidden")
    finally:
        logs._flush()
        root.handlers[:], root.level, root.propagate = saved
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" ", 3)[3] for line in lines] == [
        f'event=x n={i} device="PC {i}"' for i in range(500)
    ]


async def test_every_worker_logs_and_a_kick_writes_one_line(redis_server: ServerProcess) -> None:
    """Each worker writes its own lines; a kick writes one INFO line, none per closed socket."""
    first = await asyncio.to_thread(login, redis_server, "user1", "PC-1")
    sock = await connected(redis_server, first["access_token"])
    await asyncio.to_thread(login, redis_server, "user1", "PC-2")
    assert (await sock.next_message())["type"] == "displaced"
    assert await sock.until_closed() == 4001
    await asyncio.to_thread(redis_server.log_with, "event=session_displaced")
    # /healthz answered from one worker; the other may write its start line later.
    log = await asyncio.to_thread(redis_server.log_with, "event=start ", times=2)
    lines = log.splitlines()
    assert len([line for line in lines if "event=start " in line]) == 2, lines
    events = [line.split(" event=")[1].split(" ")[0] for line in lines if " event=" in line]
    assert events.count("session_created") + events.count("session_displaced") == 2, lines
    assert not any("connection closed" in line for line in lines), lines
