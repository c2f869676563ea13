"""--max-sessions: a bare number or a map of device classes, and its clear errors."""

from __future__ import annotations

import pytest

from server.__main__ import main
from server.config import ConfigError, load
from server.sessions.limits import SessionLimits, parse_limits

SECRET = {"LOGINGUARD_JWT_SECRET": "s" * 48}


@pytest.mark.parametrize(
    ("spec", "limits"),
    [
        ("1", SessionLimits.shared(1)),
        (" 3 ", SessionLimits.shared(3)),
        ("desktop=1,mobile=1", SessionLimits(None, (("desktop", 1), ("mobile", 1)))),
        (
            "desktop=2, mobile = 1 ,web=3",
            SessionLimits(None, (("desktop", 2), ("mobile", 1), ("web", 3))),
        ),
        ("mobile=1,*=1", SessionLimits(None, (("mobile", 1),), default=1)),
        ("*=2", SessionLimits(None, (), default=2)),
        ("desktop=1,kiosk_2-a=4", SessionLimits(None, (("desktop", 1), ("kiosk_2-a", 4)))),
    ],
)
def test_good_specs_parse(spec: str, limits: SessionLimits) -> None:
    """A bare number is one limit for all classes; a map gives each class its own."""
    assert parse_limits(spec) == limits


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("0", "at least 1"),
        ("", "is not class=N"),
        ("-1", "is not class=N"),
        ("²", "is not class=N"),
        ("desktop", "is not class=N"),
        ("desktop=", "is not class=N"),
        ("desktop=x", "is not class=N"),
        ("desktop=1.5", "is not class=N"),
        ("desktop=0", "at least 1"),
        ("2,desktop=1", "is not class=N"),
        ("Desktop=1", "is not a device class"),
        ("desktop=1,a_very_long_class_name=1", "is not a device class"),
        ("desktop=1,desktop=2", "given twice"),
        ("desktop=1,*=1,*=2", "given twice"),
        ("mobile=1", "must name 'desktop'"),
        ("desktop=1,,mobile=1", "is not class=N"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec: str, says: str) -> None:
    """A malformed --max-sessions is a ConfigError naming the flag and the fault."""
    with pytest.raises(ConfigError, match="--max-sessions") as caught:
        load(["--max-sessions", spec], SECRET)
    assert says in str(caught.value)


def test_the_environment_takes_a_map_and_a_flag_wins() -> None:
    """LOGINGUARD_MAX_SESSIONS takes the same forms; the flag overrides it."""
    env = {**SECRET, "LOGINGUARD_MAX_SESSIONS": "desktop=1,mobile=2"}
    assert load([], env).max_sessions == SessionLimits(None, (("desktop", 1), ("mobile", 2)))
    assert load(["--max-sessions", "4"], env).max_sessions == SessionLimits.shared(4)
    assert load([], SECRET).max_sessions == SessionLimits.shared(1)  # the default, as before


def test_a_bad_map_stops_the_server_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """The server refuses to start on a bad map, saying why on stderr."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LOGINGUARD_JWT_SECRET", "s" * 48)
        assert main(["--max-sessions", "phone=1", "--port", "0"]) == 2
    assert "must name 'desktop'" in capsys.readouterr().err


def test_limits_answer_per_class() -> None:
    """limit_of, pooled and the text form follow the two forms."""
    shared = SessionLimits.shared(2)
    assert (shared.limit_of("web"), shared.pooled("desktop", "mobile")) == (2, True)
    assert str(shared) == "2"
    classes = parse_limits("desktop=1,mobile=3")
    assert [classes.limit_of(c) for c in ("desktop", "mobile", "web")] == [1, 3, None]
    assert (classes.pooled("desktop", "mobile"), classes.pooled("web", "web")) == (False, True)
    assert classes.allowed() == ("desktop", "mobile")
    star = parse_limits("desktop=1,*=2")
    assert (star.limit_of("tablet"), str(star)) == (2, "desktop=1,*=2")
