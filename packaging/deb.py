"""The Debian package: ``/usr/lib/loginguard`` + ``/usr/bin/loginguard`` + menu entry + icons.

The bundle is private to the package, so it lives in ``/usr/lib/loginguard`` (Debian does
not install into ``/opt``), shared libraries 0644, with a Debian changelog and a
machine-readable copyright file; ``lintian`` reports no errors (its remaining warnings:
no manual page, and PyInstaller's bootloader is not a PIE).

:func:`build_deb` stages the PyInstaller folder and calls ``dpkg-deb --build``. Its
``Depends`` come from what the bundle links against but does not carry, the way
``dpkg-shlibdeps`` does it: the ``DT_NEEDED`` entries of every ELF file in the bundle
(direct needs only; their own needs are their packages' business), resolved by ``ldd``
with the bundle on ``LD_LIBRARY_PATH`` as the PyInstaller bootloader puts it, owned per
``dpkg-query -S``, each at least the upstream version installed here. Libraries nobody
installed here ("not found", e.g. Wayland's cursor library for an optional plugin) are
left out. No maintainer scripts: dpkg's file triggers refresh the menu and icon caches.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import struct
import subprocess
import sys
import time
from collections.abc import Iterable
from email.utils import formatdate
from pathlib import Path

import project

INSTALL_DIR = "/usr/lib/loginguard"
BIN_LINK = "../lib/loginguard/loginguard"  # /usr/bin/loginguard -> the bundle's program
PNG_ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
DESKTOP_ENTRY = """\
[Desktop Entry]
Type=Application
Name=LoginGuard
GenericName=Single sign-in guard
GenericName[ko]=단일 로그인 보호
Comment=One account, one PC: tells you when your account signs in elsewhere
Comment[ko]=한 계정은 한 PC에서만: 다른 PC에서 로그인하면 알려 줍니다
Exec=/usr/bin/loginguard
Icon=loginguard
Terminal=false
Categories=System;Security;
Keywords=login;session;security;
StartupNotify=true
"""
MIT_LICENSE = """\
 Permission is hereby granted, free of charge, to any person obtaining a copy
 of this software and associated documentation files (the "Software"), to deal
 in the Software without restriction, including without limitation the rights
 to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
 copies of the Software, and to permit persons to whom the Software is
 furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included in all
 copies or substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
 FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
 AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
 LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
 SOFTWARE.
"""
DESCRIPTION = """\
Description: desktop client for LoginGuard: one account, one PC
 LoginGuard lets an account be signed in on one PC at a time. This client
 holds the session and, when the account signs in on another PC, returns
 to its login window and says which PC took over, from where and when.
"""


def needed(path: Path) -> list[str]:
    """The ``DT_NEEDED`` sonames of an ELF file; ``[]`` for anything else."""
    data = path.read_bytes()
    found = _dynamic(data)
    if found is None:
        return []
    dyn, _, offset, size, strtab = found
    names = []
    for at in range(offset, offset + size, struct.calcsize(dyn)):
        tag, value = struct.unpack_from(dyn, data, at)
        if tag == 0:  # DT_NULL
            break
        if tag == 1:  # DT_NEEDED
            names.append(data[strtab + value : data.index(b"\0", strtab + value)].decode())
    return names


def _dynamic(data: bytes) -> tuple[str, str, int, int, int] | None:
    """``(entry format, byte order, offset, size, string table offset)`` of the dynamic
    section of an ELF image, or None."""
    if data[:4] != b"\x7fELF":
        return None
    wide, end = data[4] == 2, "<" if data[5] == 1 else ">"
    if wide:
        shoff, shentsize, shnum = struct.unpack_from(end + "Q10xHH", data, 0x28)
        sect, dyn = end + "IIQQQQIIQQ", end + "qQ"
    else:
        shoff, shentsize, shnum = struct.unpack_from(end + "I10xHH", data, 0x20)
        sect, dyn = end + "IIIIIIIIII", end + "iI"
    sections = [struct.unpack_from(sect, data, shoff + i * shentsize) for i in range(shnum)]
    for _, kind, _, _, offset, size, link, _, _, _ in sections:
        if kind == 6:  # SHT_DYNAMIC
            return dyn, end, offset, size, sections[link][4]
    return None


def drop_build_runpaths(path: Path) -> bool:
    """Remove run paths that are not relative to the file (``$ORIGIN``); True if any were.

    A Python built under a prefix (pyenv's ``/root/.pyenv/versions/3.11.7/lib``) leaves
    that prefix as the RUNPATH of libpython and every extension module. In the bundle it
    is never needed, and on another machine it points wherever that path leads; lintian
    rejects it. ``$ORIGIN`` paths (Qt's, PySide's) stay. The dynamic section keeps its
    size: later entries move up and DT_NULL fills the end, as ``chrpath -d`` does.
    """
    data = bytearray(path.read_bytes())
    found = _dynamic(bytes(data))
    if found is None:
        return False
    dyn, _, offset, size, strtab = found
    width = struct.calcsize(dyn)
    entries = [struct.unpack_from(dyn, data, at) for at in range(offset, offset + size, width)]

    def foreign(tag: int, value: int) -> bool:
        if tag not in (15, 29):  # DT_RPATH, DT_RUNPATH
            return False
        text = data[strtab + value : data.index(b"\0", strtab + value)]
        return b"$ORIGIN" not in text

    kept = [e for e in entries if not foreign(*e)]
    if len(kept) == len(entries):
        return False
    kept += [(0, 0)] * (len(entries) - len(kept))
    for i, entry in enumerate(kept):
        struct.pack_into(dyn, data, offset + i * width, *entry)
    mode = path.stat().st_mode
    path.chmod(mode | 0o200)
    path.write_bytes(bytes(data))
    path.chmod(mode)
    return True


def external_libraries(bundle: Path) -> set[Path]:
    """System libraries the bundle's ELF files need directly, as resolved on this machine."""
    env = {**os.environ, "LD_LIBRARY_PATH": str(bundle / "_internal")}
    inside = bundle.resolve()
    found: set[Path] = set()
    for path in sorted(bundle.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        direct = set(needed(path))
        if not direct:
            continue
        listing = subprocess.run(  # noqa: S603
            ["ldd", str(path)],  # noqa: S607 - glibc's ldd, from PATH
            capture_output=True,
            text=True,
            env=env,
            check=False,
        ).stdout
        for name, where in re.findall(r"^\s*(\S+) => (/\S+) \(", listing, re.MULTILINE):
            lib = Path(where)
            if name in direct and not lib.resolve().is_relative_to(inside):
                found.add(lib)
    return found


def owning_packages(libs: Iterable[Path]) -> set[str]:
    """The installed Debian packages that ship ``libs`` (merged-/usr aware)."""
    libs = set(libs)
    asked: dict[str, Path] = {}
    for lib in libs:
        for variant in {str(lib), str(lib.resolve())}:
            other = variant[4:] if variant.startswith("/usr/") else "/usr" + variant
            asked[variant] = asked[other] = lib
    listing = subprocess.run(  # noqa: S603
        ["dpkg-query", "-S", *sorted(asked)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    packages: set[str] = set()
    owned: set[Path] = set()
    for line in listing.splitlines():
        if ": " not in line or line.startswith("diversion"):
            continue
        owners, path = line.rsplit(": ", 1)
        packages.update(owner.split(":")[0].strip() for owner in owners.split(","))
        owned.add(asked.get(path.strip(), Path(path)))
    for lib in sorted(libs - owned):
        print(f"deb: no package owns {lib}; it is not in Depends", file=sys.stderr)
    return packages


def depends_field(packages: Iterable[str]) -> str:
    """``pkg (>= upstream-version), ...`` with the versions installed on this machine."""
    parts = []
    for name in sorted(packages):
        version = subprocess.run(  # noqa: S603
            ["dpkg-query", "-W", "-f=${Version}", name],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        upstream = version.rsplit("-", 1)[0] if "-" in version else version
        parts.append(f"{name} (>= {upstream})" if upstream else name)
    return ", ".join(parts)


def _normalise_modes(root: Path) -> None:
    # Debian policy: 0755 for directories and programs, 0644 for everything else -
    # shared libraries and Python extension modules included (dlopen needs no x bit).
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        library = ".so" in path.name and path.is_file()
        executable = path.is_dir() or (path.stat().st_mode & 0o111 and not library)
        path.chmod(0o755 if executable else 0o644)


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)  # reproducible


def changelog(version: str, maintainer: str, when: float | None = None) -> str:
    """A one-entry Debian changelog for this native package (lintian asks for one)."""
    stamp = formatdate(time.time() if when is None else when, usegmt=True)
    stamp = stamp.replace("GMT", "+0000")
    return (
        f"loginguard ({version}) unstable; urgency=medium\n\n"
        f"  * Release {version}; the changes are in the project's CHANGELOG.md.\n\n"
        f" -- {maintainer}  {stamp}\n"
    )


def copyright_file(maintainer: str) -> str:
    """``debian/copyright`` in the machine-readable format, MIT in full."""
    holder = maintainer.split(" <", 1)[0]
    return (
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
        f"Upstream-Name: loginguard\nUpstream-Contact: {maintainer}\n\n"
        f"Files: *\nCopyright: {time.gmtime().tm_year} {holder}\nLicense: MIT\n\n"
        f"License: MIT\n{MIT_LICENSE}"
    )


def _size_kib(root: Path) -> int:
    files = (p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    return (sum(p.stat().st_size for p in files) + 1023) // 1024


def stage(root: Path, bundle: Path, icons: Path, version: str = "0") -> None:
    """Lay out the package's files under ``root`` (everything but ``DEBIAN/``)."""
    shutil.copytree(bundle, root / INSTALL_DIR.lstrip("/"), symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    # Relative, as Debian wants links within one top-level folder.
    (root / "usr" / "bin" / "loginguard").symlink_to(BIN_LINK)
    share = root / "usr" / "share"
    (share / "applications").mkdir(parents=True)
    (share / "applications" / "loginguard.desktop").write_text(DESKTOP_ENTRY, encoding="utf-8")
    hicolor = share / "icons" / "hicolor"
    for size in PNG_ICON_SIZES:
        (hicolor / f"{size}x{size}" / "apps").mkdir(parents=True)
        shutil.copyfile(
            icons / f"loginguard-{size}.png", hicolor / f"{size}x{size}" / "apps" / "loginguard.png"
        )
    (hicolor / "scalable" / "apps").mkdir(parents=True)
    shutil.copyfile(icons / "loginguard.svg", hicolor / "scalable" / "apps" / "loginguard.svg")
    doc = share / "doc" / "loginguard"
    doc.mkdir(parents=True)
    maintainer = project.maintainer()
    (doc / "copyright").write_text(copyright_file(maintainer), encoding="utf-8")
    (doc / "changelog.gz").write_bytes(_gzip(changelog(version, maintainer).encode()))
    _normalise_modes(root)


def build_deb(bundle: Path, icons: Path, version: str, dist: Path, work: Path) -> Path:
    """Build ``dist/loginguard_<version>_<arch>.deb`` from the PyInstaller ``bundle``."""
    arch = subprocess.run(
        ["dpkg", "--print-architecture"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    name = f"loginguard_{version}_{arch}"
    root = work / name
    shutil.rmtree(root, ignore_errors=True)
    stage(root, bundle, icons, version)
    depends = depends_field(owning_packages(external_libraries(root / INSTALL_DIR.lstrip("/"))))
    control = root / "DEBIAN" / "control"
    control.parent.mkdir(mode=0o755)
    control.write_text(
        f"Package: loginguard\nVersion: {version}\nArchitecture: {arch}\n"
        f"Maintainer: {project.maintainer()}\n"
        f"Installed-Size: {_size_kib(root)}\nDepends: {depends}\n"
        f"Section: net\nPriority: optional\n{DESCRIPTION}",
        encoding="utf-8",
    )
    control.chmod(0o644)
    deb = dist / f"{name}.deb"
    cmd = ["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(root), str(deb)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    return deb


def lintian(deb: Path) -> tuple[list[str], str]:
    """Run ``lintian`` on ``deb``: ``(error lines, full output)``."""
    done = subprocess.run(  # noqa: S603
        ["lintian", "--no-tag-display-limit", str(deb)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    output = done.stdout + done.stderr
    return [line for line in output.splitlines() if line.startswith("E: ")], output
