"""Build-time assets for the packaged app: icons rendered from one SVG, compiled translations.

``python packaging/assets.py icons OUT`` writes ``loginguard-<N>.png`` (16...512 px),
``loginguard.ico`` (Windows) and ``loginguard.icns`` (macOS) into OUT.
``python packaging/assets.py translations OUT`` compiles ``desktop_app/i18n/*.ts`` into
``OUT/*.qm`` with the lrelease that ships in PySide6.

Both containers are written by hand rather than with Pillow: each simply wraps PNG data
(ICO since Windows Vista, ICNS types ``icp4``...``ic10`` since macOS 10.7), which keeps
the build free of another dependency. Runs on Linux, Windows and macOS.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = Path(__file__).resolve().parent / "icons" / "loginguard.svg"
I18N = ROOT / "desktop_app" / "i18n"
PNG_SIZES = (16, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 32, 48, 64, 128, 256)
# ICNS element type → pixel size; every one of these may hold PNG data.
ICNS_TYPES = {b"icp4": 16, b"icp5": 32, b"icp6": 64, b"ic07": 128, b"ic08": 256, b"ic09": 512}
ICNS_TYPES_2X = {b"ic10": 1024}  # 512 pt @2x


def render_pngs(svg: Path, sizes: Sequence[int], out: Path) -> dict[int, bytes]:
    """Render ``svg`` offscreen with Qt's SVG renderer to ``out/loginguard-<N>.png``."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not a valid SVG")
    pngs: dict[int, bytes] = {}
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        path = out / f"loginguard-{size}.png"
        if not image.save(str(path)):
            raise OSError(f"could not write {path}")
        pngs[size] = path.read_bytes()
    return pngs


def ico(pngs: Mapping[int, bytes]) -> bytes:
    """An ICO file whose images are the given PNGs (size ≤ 256 each)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))  # reserved, type 1 = icon, count
    offset = len(header) + 16 * len(sizes)
    entries, blobs = b"", b""
    for size in sizes:
        data = pngs[size]
        side = 0 if size >= 256 else size  # 0 means 256 in the ICO directory
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset)
        blobs += data
        offset += len(data)
    return header + entries + blobs


def icns(pngs: Mapping[int, bytes]) -> bytes:
    """An ICNS file with PNG elements for every type whose size is in ``pngs``."""
    body = b""
    for kind, size in {**ICNS_TYPES, **ICNS_TYPES_2X}.items():
        if size in pngs:
            body += kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def make_icons(out: Path, svg: Path = SVG) -> dict[str, Path]:
    """Write the PNGs, the ICO and the ICNS into ``out``; return them by format/size."""
    out.mkdir(parents=True, exist_ok=True)
    pngs = render_pngs(svg, PNG_SIZES, out)
    written = {f"png{size}": out / f"loginguard-{size}.png" for size in pngs}
    written["ico"] = out / "loginguard.ico"
    written["ico"].write_bytes(ico({s: pngs[s] for s in ICO_SIZES}))
    written["icns"] = out / "loginguard.icns"
    written["icns"].write_bytes(icns(pngs))
    written["svg"] = out / "loginguard.svg"
    shutil.copyfile(svg, written["svg"])
    return written


def lrelease() -> str:
    """Path of the lrelease that ships inside the PySide6 wheel (or on PATH)."""
    import PySide6

    here = Path(PySide6.__file__).parent
    for name in ("lrelease", "lrelease.exe", "Qt/libexec/lrelease"):
        if (here / name).is_file():
            return str(here / name)
    found = shutil.which("pyside6-lrelease") or shutil.which("lrelease")
    if not found:
        raise FileNotFoundError("lrelease not found: install PySide6-Essentials")
    return found


def build_translations(out: Path, src: Path = I18N) -> list[Path]:
    """Compile every ``src/*.ts`` into ``out/*.qm``; return the ``.qm`` files."""
    out.mkdir(parents=True, exist_ok=True)
    tool = lrelease()
    built = []
    for ts in sorted(src.glob("*.ts")):
        qm = out / (ts.stem + ".qm")
        subprocess.run([tool, "-silent", str(ts), "-qm", str(qm)], check=True)  # noqa: S603
        built.append(qm)
    return built


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] not in ("icons", "translations"):
        print("usage: assets.py icons|translations OUTDIR", file=sys.stderr)
        return 2
    out = Path(args[1])
    made = make_icons(out).values() if args[0] == "icons" else build_translations(out)
    for path in made:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
