"""What each part of the bundle costs, so trimming is aimed where the bytes are.

:func:`parts` sorts every regular file of a PyInstaller folder into one named part (first
matching rule wins; symlinks are not counted, as in ``du``) and :func:`table` prints them
largest first. The rules know the file names of the Linux, Windows and macOS wheels.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

# (part, pattern on the path relative to the bundle, with "/" separators)
RULES = [
    ("ICU data", r"(^|/)(lib)?icudata[\w.]*$|(^|/)icudt\d+\w*\.(dat|dll)$"),
    ("ICU code", r"(^|/)(lib)?icu(uc|i18n|in)[\w.]*$"),
    ("Qt plugins", r"(^|/)plugins/"),
    ("Qt translations", r"PySide6/(Qt/)?translations/"),
    ("Qt bindings", r"(^|/)(PySide6|shiboken6)/([^/]*(abi3|pyside6|shiboken6)[^/]*|Qt\w+\.pyd)$"),
    ("Qt libraries", r"(^|/)(lib)?Qt6?\w+(\.so[.\d]*|\.dll|\.dylib)$|/Qt\w+\.framework/"),
    ("OpenSSL", r"(^|/)lib(ssl|crypto)[-\w.]*$"),
    ("Python runtime", r"(^|/)(lib)?python3[\d.]*(\.so[.\d]*|\.dll|\.dylib)?$|(^|/)Python$"),
    ("Python extension modules", r"lib-dynload/|\.pyd$|\.cpython-[\w-]+\.so$|/[^/]+\.abi3\.so$"),
    ("Python standard library", r"(^|/)base_library\.zip$"),
    ("program and pure-Python packages", r"^loginguard(\.exe)?$|^[^/]+/[^/]+\.py[cz]?$"),
    ("other libraries", r"\.(so[.\d]*|dll|dylib)$"),
]
_COMPILED = [(name, re.compile(pattern)) for name, pattern in RULES]


def part_of(relative: str) -> str:
    """The part a file belongs to, by its path inside the bundle."""
    for name, pattern in _COMPILED:
        if pattern.search(relative):
            return name
    return "data and other files"


def parts(bundle: Path) -> dict[str, int]:
    """Bytes per part of the PyInstaller folder ``bundle``."""
    found: dict[str, int] = {}
    for path in bundle.rglob("*"):
        if path.is_file() and not path.is_symlink():
            name = part_of(path.relative_to(bundle).as_posix())
            found[name] = found.get(name, 0) + path.stat().st_size
    return found


def table(sizes: Mapping[str, int]) -> str:
    """One line per part, largest first, in MB, with a total."""
    lines = [f"  {n / 1e6:6.1f} MB  {name}" for name, n in sorted(sizes.items(), key=_largest)]
    lines.append(f"  {sum(sizes.values()) / 1e6:6.1f} MB  total")
    return "\n".join(lines)


def _largest(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]
