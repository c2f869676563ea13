"""``make package``: the PyInstaller bundle, the Debian package, its size, the smoke test.

    python packaging/build.py [--no-deb] [--no-smoke]

1. ``pyinstaller packaging/loginguard.spec`` → ``dist/loginguard/loginguard`` (one folder,
   windowed, trimmed; see the spec).
2. On Debian-family Linux: ``dist/loginguard_<version>_<arch>.deb``, installing the folder
   as ``/opt/loginguard`` with ``/usr/bin/loginguard``, a ``.desktop`` entry and icons.
   Its ``Depends`` are computed from what the bundle links against but does not carry,
   like ``dpkg-shlibdeps`` does (resolved with ``ldd``, owned per ``dpkg -S``).
3. Prints the bundle size (the target is under 120 MB).
4. Runs ``packaging/smoke.py`` on the bundle and on the binary unpacked from the .deb.

Windows and macOS stop after step 1 and print the installer commands
(``packaging/README.md``); the smoke test needs stderr, which a windowed Windows app lacks.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Sequence
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent))  # packaging/ is not a package
import deb as debian
import smoke

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
BUNDLE = DIST / "loginguard"
WORK = ROOT / "build"
ICONS = WORK / "assets" / "icons"
SIZE_TARGET_MB = 120.0


def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def run_pyinstaller() -> Path:
    """Build the one-folder bundle; return the executable's path."""
    if importlib.util.find_spec("PyInstaller") is None:
        sys.exit("build: PyInstaller is missing: pip install -e '.[package]' (make package does)")
    spec = ROOT / "packaging" / "loginguard.spec"
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"]
    cmd += ["--distpath", str(DIST), "--workpath", str(WORK / "pyinstaller"), str(spec)]
    subprocess.run(cmd, check=True, cwd=ROOT)  # noqa: S603
    exe = BUNDLE / ("loginguard.exe" if os.name == "nt" else "loginguard")
    if not exe.is_file():
        sys.exit(f"build: PyInstaller finished but {exe} is missing")
    return exe


def tree_size(root: Path) -> tuple[int, int]:
    """``(bytes, files)`` of the regular files under ``root`` (symlinks not counted)."""
    total = count = 0
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
            count += 1
    return total, count


def smoke_deb(deb: Path) -> int:
    """Unpack the .deb into a temporary root and smoke-test the binary it installs."""
    with tempfile.TemporaryDirectory(prefix="loginguard-deb-") as root:
        subprocess.run(["dpkg-deb", "-x", str(deb), root], check=True)  # noqa: S603, S607
        link = Path(root) / "usr" / "bin" / "loginguard"
        if os.readlink(link) != "/opt/loginguard/loginguard":
            print(f"build: {link} points to {os.readlink(link)}", file=sys.stderr)
            return 1
        return smoke.main([str(Path(root) / "opt" / "loginguard" / "loginguard")])


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="build.py", description=__doc__.split("\n")[0])
    p.add_argument("--no-deb", action="store_true", help="skip the Debian package")
    p.add_argument("--no-smoke", action="store_true", help="skip the smoke test")
    args = p.parse_args(argv)
    version = project_version()

    exe = run_pyinstaller()
    size, files = tree_size(BUNDLE)
    verdict = "under" if size / 1e6 < SIZE_TARGET_MB else "OVER"
    print(
        f"build: {exe.relative_to(ROOT)} - bundle {size / 1e6:.1f} MB ({size / 2**20:.1f} MiB) "
        f"in {files} files, {verdict} the {SIZE_TARGET_MB:.0f} MB target"
    )
    deb = None
    if sys.platform.startswith("linux") and not args.no_deb:
        if shutil.which("dpkg-deb") and shutil.which("dpkg-query"):
            deb = debian.build_deb(BUNDLE, ICONS, version, DIST, WORK / "deb")
            print(f"build: {deb.relative_to(ROOT)} - {deb.stat().st_size / 1e6:.1f} MB")
        else:
            print("build: dpkg-deb not found (not a Debian-family system): no .deb")
    elif sys.platform == "win32":
        iss = r"packaging\windows\loginguard.iss"
        print(f"build: next, the installer: iscc /DAppVersion={version} {iss}")
    elif sys.platform == "darwin":
        print("build: next, sign, notarize and wrap dist/LoginGuard.app: packaging/macos/README.md")

    if args.no_smoke or sys.platform == "win32":
        return 0 if verdict == "under" else 1
    status = smoke.main([str(exe)])
    if status == 0 and deb is not None:
        status = smoke_deb(deb)
    return status or (0 if verdict == "under" else 1)


if __name__ == "__main__":
    sys.exit(main())
