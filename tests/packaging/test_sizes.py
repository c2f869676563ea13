"""The bundle's size, part by part, for the Linux and Windows folder layouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.packaging.scripts import load

sizes = load("sizes")


@pytest.mark.parametrize(
    ("path", "part"),
    [
        ("_internal/PySide6/Qt/lib/libicudata.so.73", "ICU data"),
        ("_internal/PySide6/Qt/lib/libicuuc.so.73", "ICU code"),
        ("_internal/PySide6/Qt/lib/libQt6Core.so.6", "Qt libraries"),
        ("_internal/PySide6/Qt6Core.dll", "Qt libraries"),
        ("_internal/PySide6/QtCore.abi3.so", "Qt bindings"),
        ("_internal/PySide6/QtCore.pyd", "Qt bindings"),
        ("_internal/shiboken6/libshiboken6.abi3.so.6.11", "Qt bindings"),
        ("_internal/PySide6/Qt/plugins/platforms/libqxcb.so", "Qt plugins"),
        ("_internal/PySide6/plugins/platforms/qwindows.dll", "Qt plugins"),
        ("_internal/PySide6/Qt/translations/qtbase_ko.qm", "Qt translations"),
        ("_internal/libpython3.11.so.1.0", "Python runtime"),
        ("_internal/python311.dll", "Python runtime"),
        ("_internal/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so",
         "Python extension modules"),
        ("_internal/_ssl.pyd", "Python extension modules"),
        ("_internal/cryptography/hazmat/bindings/_rust.abi3.so", "Python extension modules"),
        ("_internal/libcrypto.so.3", "OpenSSL"),
        ("_internal/libcrypto-3.dll", "OpenSSL"),
        ("_internal/base_library.zip", "Python standard library"),
        ("loginguard", "program and pure-Python packages"),
        ("loginguard.exe", "program and pure-Python packages"),
        ("_internal/libffi.so.8", "other libraries"),
        ("_internal/certifi/cacert.pem", "data and other files"),
    ],
)  # fmt: skip
def test_each_file_lands_in_its_part(path: str, part: str) -> None:
    """File names of every OS's wheels map to the part they belong to."""
    assert sizes.part_of(path) == part


def test_parts_add_up_and_skip_symlinks(tmp_path: Path) -> None:
    """Bytes are summed per part, symlinks are not counted, the table ends with the total."""
    lib = tmp_path / "_internal" / "PySide6" / "Qt" / "lib"
    lib.mkdir(parents=True)
    (lib / "libicudata.so.73").write_bytes(b"i" * 3_000_000)
    (lib / "libQt6Core.so.6").write_bytes(b"q" * 1_000_000)
    (tmp_path / "_internal" / "libQt6Core.so.6").symlink_to(lib / "libQt6Core.so.6")
    (tmp_path / "loginguard").write_bytes(b"p" * 500_000)
    found = sizes.parts(tmp_path)
    assert found == {
        "ICU data": 3_000_000,
        "Qt libraries": 1_000_000,
        "program and pure-Python packages": 500_000,
    }
    lines = sizes.table(found).splitlines()
    assert lines[0].endswith("ICU data")
    assert lines[-1].split() == ["4.5", "MB", "total"]
