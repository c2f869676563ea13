"""The trimmed ICU data library: same format, only root/en/ko, and Qt still collates Korean."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging.scripts import load
from tests.support.server import timeout

icu = load("icu")

QT_LIB = Path(__import__("PySide6").__file__).parent / "Qt" / "lib"
LIBICUDATA = next(iter(sorted(QT_LIB.glob("libicudata.so.*"))), None)
needs_icu = pytest.mark.skipif(LIBICUDATA is None, reason="this PySide6 ships no ICU (not Linux)")
needs_binutils = pytest.mark.skipif(
    not (shutil.which("as") and shutil.which("ld")), reason="binutils (as, ld) not installed"
)


def _item(text: str) -> bytes:
    return text.encode() * 3  # any bytes: items are opaque to the package format


def test_package_written_then_read_gives_the_items_back_sorted() -> None:
    """Items come back byte for byte, ordered by name as ICU's binary search needs."""
    header = b"\x20\x00\xda\x27" + b"\x14\x00\x00\x00\x00\x00\x02\x00CmnD" + bytes(16)
    assert len(header) == 0x20
    items = [("icudt73l/zz.res", _item("z")), ("icudt73l/coll/ko.res", _item("k" * 17))]
    blob = icu.write_package(header, items)
    got_header, got = icu.read_package(blob)
    assert got_header == header
    assert [name for name, _ in got] == ["icudt73l/coll/ko.res", "icudt73l/zz.res"]
    for name, data in got:
        assert data.startswith(dict(items)[name])
        assert len(data) % icu.ALIGN == 0


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("icudt73l/root.res", True),
        ("icudt73l/ko.res", True),
        ("icudt73l/coll/ko.res", True),
        ("icudt73l/en_US_POSIX.res", True),
        ("icudt73l/zone/en_GB.res", True),
        ("icudt73l/pool.res", True),
        ("icudt73l/res_index.res", True),
        ("icudt73l/supplementalData.res", True),
        ("icudt73l/coll/ucadata.icu", True),
        ("icudt73l/brkitr/line.brk", True),
        ("icudt73l/de.res", False),
        ("icudt73l/coll/de__PHONEBOOK.res", False),
        ("icudt73l/zh_Hant_TW.res", False),
        ("icudt73l/ibm-943_P15A-2003.cnv", False),
        ("icudt73l/brkitr/cjdict.dict", False),
        ("icudt73l/translit/Hang_Latn.res", False),
    ],
)
def test_what_is_kept(name: str, kept: bool) -> None:
    """Shared data and root/en/ko stay; other locales, code pages, dictionaries go."""
    assert icu.keep_item(name) is kept


@needs_icu
def test_pyside_icu_data_reads_and_writes_back_unchanged() -> None:
    """PySide6's own ICU package survives a read and write byte for byte."""
    assert LIBICUDATA is not None
    elf = LIBICUDATA.read_bytes()
    version = LIBICUDATA.name.split(".")[2]
    offset, size = icu.symbol(elf, f"icudt{version}_dat".encode())
    blob = elf[offset : offset + size]
    header, items = icu.read_package(blob)
    assert len(items) > 1000
    assert icu.write_package(header, items) == blob


PROBE = """
import ctypes, sys
from PySide6.QtCore import QCollator, QDateTime, QLocale, QTimeZone
maps = open("/proc/self/maps").read()
print([line.split()[-1] for line in maps.splitlines() if "libicudata" in line][0])
collator = QCollator(QLocale("ko_KR"))
print(collator.compare("가", "나"), collator.compare("나", "가"))
seoul = QTimeZone(b"Asia/Seoul")
when = QDateTime.currentDateTime()
print(seoul.displayName(when, QTimeZone.NameType.LongName, QLocale("ko_KR")))
uc = ctypes.CDLL("libicuuc.so." + sys.argv[1])
status = ctypes.c_int(0)
getattr(uc, "ucnv_open_" + sys.argv[1])(b"Shift_JIS", ctypes.byref(status))
print(status.value)
"""


@needs_icu
@needs_binutils
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF and /proc only")
def test_trimmed_library_serves_qt_in_korean(tmp_path: Path) -> None:
    """With the trimmed library first on the path, Qt collates Korean and names Seoul's time
    zone in Korean, while a legacy code page ICU no longer carries fails to open."""
    assert LIBICUDATA is not None
    out = icu.trimmed_library(LIBICUDATA, tmp_path)
    assert out.stat().st_size < 8e6 < LIBICUDATA.stat().st_size
    for name in ("libicuuc", "libicui18n"):  # their $ORIGIN run path then finds ours
        shutil.copy(next(QT_LIB.glob(f"{name}.so.*")), tmp_path)
    version = LIBICUDATA.name.split(".")[2]
    done = subprocess.run(
        [sys.executable, "-c", PROBE, version],
        env={**os.environ, "LD_LIBRARY_PATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=timeout(60),
    )
    assert done.returncode == 0, done.stderr
    loaded, order, zone, shift_jis = done.stdout.splitlines()
    assert Path(loaded) == out
    assert order == "-1 1"
    assert zone == "대한민국 표준시"
    assert int(shift_jis) > 0  # a U_* error code, not a warning (<0) or success (0)
