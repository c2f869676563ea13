"""Pruning the bundle's libraries: only what a root needs directly, through kept libraries."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.packaging.scripts import load

prune = load("prune")


@pytest.mark.skipif(not shutil.which("cc"), reason="no C compiler")
def test_a_library_only_a_system_library_needs_is_dropped(tmp_path: Path) -> None:
    """ext.so needs libkept; libsys (left to the system) needs libonly: libonly goes."""

    def lib(name: str, *needs: str) -> str:
        source = tmp_path / f"{name}.c"
        source.write_text(f"int {name}_f(void) {{ return 1; }}\n")
        out = tmp_path / (f"{name}.so" if name == "ext" else f"lib{name}.so.1")
        links = [f"-l:lib{n}.so.1" for n in needs]
        subprocess.run(
            ["cc", "-shared", "-fPIC", "-o", str(out), str(source),
             f"-Wl,-soname,{out.name}", f"-L{tmp_path}", "-Wl,--no-as-needed", *links],
            check=True,
        )  # fmt: skip
        return str(out)

    only, kept = lib("only"), lib("kept")
    system = lib("sys", "only")
    ext = lib("ext", "kept", "sys")
    binaries = [
        ("mod/ext.so", ext, "EXTENSION"),
        ("libkept.so.1", kept, "BINARY"),
        ("libonly.so.1", only, "BINARY"),  # collected by ldd's closure, through libsys
    ]
    assert system  # libsys.so.1 is the system's: not among the binaries
    assert prune.reachable(binaries) == {"ext.so", "libkept.so.1"}


def test_roots_are_extensions_plugins_and_python() -> None:
    """Loaded for their own sake: extension modules, Qt plugins, libpython; not plain libs."""
    assert prune.is_root("PySide6/QtCore.abi3.so", "EXTENSION")
    assert prune.is_root("PySide6/Qt/plugins/platforms/libqxcb.so", "BINARY")
    assert prune.is_root("libpython3.11.so.1.0", "BINARY")
    assert not prune.is_root("libQt6Core.so.6", "BINARY")
