"""Which of the bundle's shared libraries something in the bundle still needs (Linux).

PyInstaller collects, for every binary, everything ``ldd`` lists: the whole transitive
closure, the system's libraries' own needs included. Once the spec has dropped plugins and
left libraries to the system, much of that closure serves nothing that stays: the GTK
theme's cairo and pango, or the libmount and libblkid that only the system's GIO needs.
:func:`reachable` walks the direct ``DT_NEEDED`` entries (:func:`deb.needed`) from the
binaries that are loaded for their own sake - Python extension modules, Qt plugins and
libpython - through the libraries the bundle keeps, and nothing else. A library only a
system library needs is that library's package's business, as in Debian.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import deb


def is_root(dest: str, kind: str) -> bool:
    """Loaded for its own sake: an extension module, a Qt plugin, or Python itself."""
    path = Path(dest)
    return kind == "EXTENSION" or "plugins" in path.parts or path.name.startswith("libpython")


def reachable(
    binaries: Iterable[tuple[str, str, str]],
    needed: Callable[[Path], list[str]] = deb.needed,
) -> set[str]:
    """File names of the ``(dest, src, kind)`` binaries that a root needs, roots included."""
    entries = list(binaries)
    by_name: Mapping[str, tuple[str, str, str]] = {Path(e[0]).name: e for e in entries}
    todo = [e for e in entries if is_root(e[0], e[2])]
    seen = {Path(e[0]).name for e in todo}
    while todo:
        _, src, _ = todo.pop()
        for name in needed(Path(src)):
            if name in by_name and name not in seen:
                seen.add(name)
                todo.append(by_name[name])
    return seen
