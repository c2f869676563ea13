"""``make package``: the bundle, its installer for this OS, sizes, lintian, the smoke test.

    python packaging/build.py [--no-deb] [--no-installer] [--no-smoke]

1. ``pyinstaller packaging/loginguard.spec`` → ``dist/loginguard/loginguard[.exe]`` (one
   folder, windowed, trimmed; see the spec); on Linux the build machine's run paths are
   then dropped from its ELF files (:func:`deb.drop_build_runpaths`).
2. Prints the bundle's size, part by part (:mod:`sizes`); over 90 MB fails the build.
3. Per OS, the thing people install:
   - Debian-family Linux: ``dist/loginguard_<version>_<arch>.deb`` (``/usr/lib/loginguard``,
     ``/usr/bin/loginguard``, menu entry, icons; ``Depends`` computed like
     ``dpkg-shlibdeps``); over 40 MB, or a ``lintian`` error when lintian is installed,
     fails the build.
   - Windows: ``dist/loginguard-<version>-setup.exe`` (Inno Setup, per-user).
   - macOS: ``dist/LoginGuard-<version>-<arch>.dmg`` (ad-hoc signed unless
     ``LOGINGUARD_CODESIGN_IDENTITY`` is set).
4. Runs ``packaging/smoke.py`` on the bundle, then on what was installed from the
   artefact: the binary unpacked from the .deb, the app installed by setup.exe (then
   uninstalled), or the app inside the attached .dmg.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent))  # packaging/ is not a package
import deb as debian
import installers
import project
import sizes
import smoke

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
BUNDLE = DIST / "loginguard"
WORK = ROOT / "build"
ICONS = WORK / "assets" / "icons"
SIZE_TARGET_MB = 90.0
DEB_TARGET_MB = 40.0


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


def _regular(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def smoke_deb(deb: Path) -> int:
    """Unpack the .deb into a temporary root and smoke-test the binary it installs."""
    with tempfile.TemporaryDirectory(prefix="loginguard-deb-") as root:
        subprocess.run(["dpkg-deb", "-x", str(deb), root], check=True)  # noqa: S603, S607
        link = Path(root) / "usr" / "bin" / "loginguard"
        if os.readlink(link) != debian.BIN_LINK:
            print(f"build: {link} points to {os.readlink(link)}", file=sys.stderr)
            return 1
        return smoke.main([str(Path(root) / debian.INSTALL_DIR.lstrip("/") / "loginguard")])


def check_deb(deb: Path) -> bool:
    """Size and lintian verdict of the .deb, printed; True when both are fine."""
    size = deb.stat().st_size / 1e6
    fine = size <= DEB_TARGET_MB
    print(f"build: {deb.relative_to(ROOT)} - {size:.1f} MB ({'under' if fine else 'OVER'} "
          f"the {DEB_TARGET_MB:.0f} MB target)")  # fmt: skip
    if not shutil.which("lintian"):
        print("build: lintian is not installed (apt-get install lintian): .deb not checked")
        return fine
    errors, output = debian.lintian(deb)
    tags = sorted({line.split()[2] for line in output.splitlines() if line[:3] in ("E: ", "W: ")})
    print(f"build: lintian - {len(errors)} errors; tags: {', '.join(tags) or 'none'}")
    for line in errors:
        print(f"build: {line}", file=sys.stderr)
    return fine and not errors


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="build.py", description=__doc__.split("\n")[0])
    p.add_argument("--no-deb", action="store_true", help="Linux: skip the Debian package")
    p.add_argument("--no-installer", action="store_true", help="skip setup.exe / the .dmg")
    p.add_argument("--no-smoke", action="store_true", help="skip the smoke tests")
    args = p.parse_args(argv)
    version = project.version()

    exe = run_pyinstaller()
    if sys.platform.startswith("linux"):
        cleaned = [p for p in BUNDLE.rglob("*") if _regular(p) and debian.drop_build_runpaths(p)]
        print(f"build: dropped the build machine's run paths from {len(cleaned)} files")
    size, files = tree_size(BUNDLE)
    fine = size / 1e6 <= SIZE_TARGET_MB
    print(
        f"build: {exe.relative_to(ROOT)} - bundle {size / 1e6:.1f} MB ({size / 2**20:.1f} MiB) "
        f"in {files} files, {'under' if fine else 'OVER'} the {SIZE_TARGET_MB:.0f} MB target\n"
        + sizes.table(sizes.parts(BUNDLE))
    )
    installed: list[tuple[str, Path]] = []  # (kind, artefact) to smoke-test once installed
    if sys.platform.startswith("linux") and not args.no_deb:
        if shutil.which("dpkg-deb") and shutil.which("dpkg-query"):
            deb = debian.build_deb(BUNDLE, ICONS, version, DIST, WORK / "deb")
            fine = check_deb(deb) and fine
            installed.append(("deb", deb))
        else:
            print("build: dpkg-deb not found (not a Debian-family system): no .deb")
    elif sys.platform == "win32" and not args.no_installer:
        setup = installers.windows_setup(version)
        print(f"build: {setup.relative_to(ROOT)} - {setup.stat().st_size / 1e6:.1f} MB")
        installed.append(("setup", setup))
    elif sys.platform == "darwin" and not args.no_installer:
        dmg = installers.macos_dmg(version)
        print(f"build: {dmg.relative_to(ROOT)} - {dmg.stat().st_size / 1e6:.1f} MB")
        installed.append(("dmg", dmg))

    status = 0 if args.no_smoke else smoke.main([str(exe)])
    for kind, artefact in installed:
        if status or args.no_smoke:
            break
        if kind == "deb":
            status = smoke_deb(artefact)
        elif kind == "setup":
            status = installers.smoke_windows_setup(artefact, smoke.main)
        else:
            status = installers.smoke_dmg(artefact, smoke.main)
    return status or (0 if fine else 1)


if __name__ == "__main__":
    sys.exit(main())
