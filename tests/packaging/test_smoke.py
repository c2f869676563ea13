"""The packaged app's smoke test, run whenever ``make package`` has left a bundle behind."""

from __future__ import annotations

import pytest

from tests.packaging.scripts import load
from tests.support.server import ServerProcess

smoke = load("smoke")


def test_state_lines_are_parsed_like_the_app_writes_them() -> None:
    """A state line's fields come back unquoted, spaces and all."""
    line = 'state=displaced user=user1 reason=displaced by="PC 2 (Lab)" ip=10.0.0.2'
    assert smoke.fields(line) == {
        "state": "displaced",
        "user": "user1",
        "reason": "displaced",
        "by": "PC 2 (Lab)",
        "ip": "10.0.0.2",
    }


@pytest.mark.skipif(
    not smoke.BINARY.exists(),
    reason=f"no packaged app at {smoke.BINARY}: `make package` builds it",
)
def test_packaged_app_signs_in_is_displaced_and_quits_cleanly(
    memory_server: ServerProcess,
) -> None:
    """The bundle signs in offscreen, reaches connected, is displaced by PC-2 and exits 3."""
    report = smoke.check(smoke.BINARY, memory_server.url)
    assert report.exit_code == smoke.EXIT_ENDED
    assert report.displaced_by == smoke.SECOND
    assert report.states.index("connected") < report.states.index("displaced")


@pytest.mark.skipif(
    not smoke.BINARY.exists(),
    reason=f"no packaged app at {smoke.BINARY}: `make package` builds it",
)
def test_bundle_is_trimmed_to_what_the_app_uses() -> None:
    """The bundle stays within 90 MB, ships the app's Korean catalogue, and carries only the
    Qt modules, plugins, Qt translations and ICU data the app needs."""
    bundle = smoke.BINARY.parent
    files = [p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()]
    assert sum(p.stat().st_size for p in files) <= 90e6
    internal = bundle / "_internal"
    assert (internal / "desktop_app" / "i18n" / "loginguard_ko.qm").is_file()
    modules = {p.name.split(".")[0] for p in (internal / "PySide6").glob("Qt*.*")}
    assert {"QtCore", "QtGui", "QtWidgets", "QtNetwork"} <= modules  # QtNetwork: one instance
    assert not modules & {"QtQml", "QtQuick", "QtDBus", "QtOpenGL", "QtSql"}
    catalogues = {p.name for p in (internal / "PySide6" / "Qt" / "translations").iterdir()}
    assert catalogues <= {"qt_en.qm", "qt_ko.qm", "qtbase_en.qm", "qtbase_ko.qm"}
    plugins = internal / "PySide6" / "Qt" / "plugins"
    assert not (plugins / "platformthemes" / "libqgtk3.so").exists()
    assert not (plugins / "xcbglintegrations").exists()
    assert not (plugins / "wayland-graphics-integration-client").exists()
    assert not list(internal.rglob("libQt6OpenGL*"))
    for data in internal.rglob("libicudata.so.*"):
        assert data.stat().st_size < 8e6, "ICU data not trimmed (packaging/icu.py)"
    assert not [p for p in internal.rglob("*") if "uvloop" in p.name or "sanic" in p.name]
