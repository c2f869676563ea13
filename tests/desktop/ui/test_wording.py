"""What the app says about failures, durations and times, in English and Korean."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QTimeZone

from desktop_app.i18n import Translations
from desktop_app.session import FailureKind, LoginFailure
from desktop_app.ui.wording import duration, failure_message, when
from shared.messages import Session

SESSION = Session(
    jti="j", device_id="d", device_name="PC-1", ip="10.0.0.1", created_at=1.7e9, expires_at=2e9
)
SEOUL = QTimeZone(b"Asia/Seoul")
NOON_IN_SEOUL = 1_700_017_380.0  # 2023-11-15 12:03 KST


@pytest.fixture
def speak(qapp: object) -> Iterator[Translations]:
    translations = Translations()
    yield translations
    translations.use("en")


@pytest.mark.parametrize(
    ("seconds", "en", "ko"),
    [
        (12, "less than a minute", "1분 미만"),
        (59.4, "less than a minute", "1분 미만"),
        (60, "about 1 minute", "약 1분"),
        (900, "about 15 minutes", "약 15분"),
        (3_540, "about 59 minutes", "약 59분"),
        (3_600, "about 1 hour", "약 1시간"),
        (7_000, "about 2 hours", "약 2시간"),
        (3 * 86_400, "about 3 days", "약 3일"),
    ],
)
def test_durations_read_like_a_person_says_them(
    speak: Translations, seconds: float, en: str, ko: str
) -> None:
    """Seconds become "less than a minute", "about 15 minutes", "about 2 hours" (ko: 약 15분)."""
    assert speak.use("en")
    assert duration(seconds) == en
    assert speak.use("ko")
    assert duration(seconds) == ko


def test_times_are_local_with_their_zone(speak: Translations) -> None:
    """A time today reads "12:03 KST"; another day adds the date; a zone without letters
    gets its UTC offset."""
    assert when(NOON_IN_SEOUL, SEOUL, now=NOON_IN_SEOUL + 60) == "12:03 KST"
    assert when(NOON_IN_SEOUL, SEOUL, now=NOON_IN_SEOUL + 2 * 86_400) == "2023-11-15 12:03 KST"
    kolkata = QTimeZone(b"Asia/Kolkata")
    assert when(NOON_IN_SEOUL, kolkata, now=NOON_IN_SEOUL) == "08:33 IST"
    plus_0545 = QTimeZone(5 * 3600 + 45 * 60)  # a bare offset has no abbreviation
    assert when(NOON_IN_SEOUL, plus_0545, now=NOON_IN_SEOUL) == "08:48 UTC+05:45"


def test_the_rate_limit_says_the_wait_in_words(speak: Translations) -> None:
    """A 15-minute lockout reads "about 15 minutes" / "약 15분", never a count of seconds."""
    failure = LoginFailure(FailureKind.RATE_LIMITED, retry_after=899.0)
    assert speak.use("en")
    assert failure_message(failure) == (
        "Too many failed attempts. You can try again in about 15 minutes."
    )
    assert speak.use("ko")
    assert failure_message(failure).endswith("남은 시간: 약 15분.")


RAW = re.compile(r"Error|Exception|httpx|ssl|errno|Traceback|\bNone\b")


@pytest.mark.parametrize("language", ["en", "ko"])
def test_every_failure_is_a_sentence_of_its_own_in_each_language(
    speak: Translations, language: str
) -> None:
    """No failure shows an exception name or raw detail; Korean shows no English words
    besides the address typed, "HTTP" and the example address."""
    assert speak.use(language)
    server = "https://lg.example.org"
    messages = {
        kind: failure_message(
            LoginFailure(
                kind, retry_after=900, sessions=(SESSION,), status=500,
                detail="ConnectError: All connection attempts failed",
            ),
            server,
        )
        for kind in FailureKind
    }  # fmt: skip
    assert len(set(messages.values())) == len(FailureKind)
    for kind, text in messages.items():
        assert text.strip(), kind
        assert not RAW.search(text), (kind, text)
        assert "All connection attempts" not in text
        if language == "ko":
            rest = text.replace(server, "").replace("http://127.0.0.1:8000", "")
            rest = rest.replace("HTTP", "").replace("PC-1", "").replace("KST", "")
            rest = re.sub(
                r"UTC[+-]\d\d:\d\d|(?<![A-Za-z])[A-Z]{2,5}(?![A-Za-z])", "", rest
            )  # a time zone
            assert not re.search(r"[A-Za-z]{2,}", rest), (kind, text)
            assert re.search(r"[가-힣]", text), (kind, text)
