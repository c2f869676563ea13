"""Compile the ``.ts`` sources into ``.qm`` files next to them.

``python -m desktop_app.i18n.build`` — for packaging (PyInstaller picks the
``.qm`` files up as package data) and for anyone who prefers not to rely on
the app compiling them into the cache at start-up. ``--update`` first re-runs
lupdate over the app's sources so new ``tr()`` strings appear in the ``.ts``
files, keeping existing translations.
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

import PySide6

from desktop_app.i18n import HERE, LANGUAGES, compile_ts, ts_file


def lupdate(app_dir: Path) -> None:
    tool = Path(PySide6.__file__).resolve().parent / "lupdate"
    sources = sorted(str(p) for p in app_dir.rglob("*.py"))
    for language in LANGUAGES:
        subprocess.run(  # noqa: S603 - fixed tool path, our own files
            [str(tool), "-silent", "-no-obsolete", "-locations", "none", "-source-language",
             "en", "-target-language", language, *sources, "-ts", str(ts_file(language))],
            check=True,
        )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m desktop_app.i18n.build", description=__doc__)
    parser.add_argument("--update", action="store_true", help="run lupdate first")
    args = parser.parse_args(argv)
    if args.update:
        lupdate(HERE.parent)
    for language in LANGUAGES:
        source = ts_file(language)
        compile_ts(source, source.with_suffix(".qm"))
        print(f"{source.with_suffix('.qm').relative_to(HERE.parent.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
