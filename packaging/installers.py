"""The Windows installer and the macOS disk image, each smoke-tested as a person gets it.

Neither runs on Linux: Inno Setup is a Windows program and ``hdiutil``/``codesign`` are
macOS tools. The release workflow (``.github/workflows/release.yml``) runs
``packaging/build.py`` on each OS, which calls these.

- :func:`windows_setup` compiles ``packaging/windows/loginguard.iss`` with ``ISCC`` into
  ``dist/loginguard-<version>-setup.exe``; :func:`smoke_windows_setup` installs it
  silently for the current user into a temporary folder, smoke-tests the installed
  ``loginguard.exe``, runs the uninstaller and checks the folder and Start-menu entry went.
- :func:`macos_dmg` signs ``dist/LoginGuard.app`` (ad hoc unless
  ``LOGINGUARD_CODESIGN_IDENTITY`` names a Developer ID) and wraps it with an
  ``/Applications`` link into ``dist/LoginGuard-<version>-<arch>.dmg``;
  :func:`smoke_dmg` attaches the image read-only and smoke-tests the app inside it.
  Notarisation needs Apple credentials and is a workflow step of its own.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import project

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
ISS = ROOT / "packaging" / "windows" / "loginguard.iss"
Smoke = Callable[[Sequence[str]], int]


def _run(*cmd: str) -> None:
    subprocess.run(list(cmd), check=True)  # noqa: S603 - fixed tools, our own paths


def find_iscc() -> str | None:
    """Inno Setup's compiler: on PATH, or where its installer puts it."""
    found = shutil.which("iscc")
    if found:
        return found
    for base in (os.environ.get("PROGRAMFILES(X86)"), os.environ.get("PROGRAMFILES")):
        candidate = Path(base or "C:/Program Files (x86)") / "Inno Setup 6" / "ISCC.exe"
        if candidate.is_file():
            return str(candidate)
    return None


def windows_setup(version: str) -> Path:
    """Compile the installer; needs ``dist/loginguard`` and the icons the spec made."""
    iscc = find_iscc()
    if iscc is None:
        raise FileNotFoundError("Inno Setup 6 (ISCC.exe) not found: choco install innosetup")
    publisher = project.maintainer().split(" <", 1)[0]
    _run(iscc, "/Qp", f"/DAppVersion={version}", f"/DAppPublisher={publisher}", str(ISS))
    setup = DIST / f"loginguard-{version}-setup.exe"
    if not setup.is_file():
        raise FileNotFoundError(f"ISCC finished but {setup} is missing")
    return setup


def smoke_windows_setup(setup: Path, smoke: Smoke, wait: float = 120.0) -> int:
    """Install per-user and silently, smoke-test, uninstall; 0 when all of it worked."""
    with tempfile.TemporaryDirectory(prefix="loginguard-setup-") as tmp:
        target = Path(tmp) / "LoginGuard"
        log = Path(tmp) / "setup.log"
        _run(str(setup), "/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART", "/CURRENTUSER",
             f"/DIR={target}", f"/LOG={log}")  # fmt: skip
        exe = target / "loginguard.exe"
        menu = Path(os.environ["APPDATA"]) / "Microsoft/Windows/Start Menu/Programs"
        shortcut = menu / "LoginGuard.lnk"
        if not exe.is_file() or not shortcut.is_file():
            print(f"build: after setup, {exe} or {shortcut} is missing", flush=True)
            return 1
        status = smoke([str(exe)])
        uninstaller = target / "unins000.exe"
        _run(str(uninstaller), "/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART")
        # The uninstaller hands over to a copy of itself and returns at once.
        deadline = time.monotonic() + wait
        while (exe.exists() or shortcut.exists()) and time.monotonic() < deadline:
            time.sleep(0.5)
        if exe.exists() or shortcut.exists():
            print(f"build: the uninstaller left {exe} or {shortcut} behind", flush=True)
            return status or 1
        return status


def macos_dmg(version: str) -> Path:
    """Sign the .app (ad hoc without an identity) and put it in a compressed disk image."""
    app = DIST / "LoginGuard.app"
    identity = os.environ.get("LOGINGUARD_CODESIGN_IDENTITY") or "-"
    if identity == "-":  # a Developer ID build was signed by PyInstaller already
        _run("codesign", "--force", "--deep", "--sign", "-", str(app))
    _run("codesign", "--verify", "--deep", "--strict", "--verbose=2", str(app))
    stage = ROOT / "build" / "dmg"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    shutil.copytree(app, stage / app.name, symlinks=True)
    (stage / "Applications").symlink_to("/Applications")
    dmg = DIST / f"LoginGuard-{version}-{platform.machine()}.dmg"
    _run("hdiutil", "create", "-volname", "LoginGuard", "-srcfolder", str(stage), "-ov",
         "-format", "UDZO", str(dmg))  # fmt: skip
    if identity != "-":
        _run("codesign", "--sign", identity, "--timestamp", str(dmg))
    return dmg


def smoke_dmg(dmg: Path, smoke: Smoke) -> int:
    """Attach the image read-only and smoke-test the app in it, as Finder would run it."""
    with tempfile.TemporaryDirectory(prefix="loginguard-dmg-") as mount:
        _run("hdiutil", "attach", "-nobrowse", "-readonly", "-mountpoint", mount, str(dmg))
        try:
            return smoke(
                [str(Path(mount) / "LoginGuard.app" / "Contents" / "MacOS" / "loginguard")]
            )
        finally:
            _run("hdiutil", "detach", mount)
