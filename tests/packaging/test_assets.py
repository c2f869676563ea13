"""Build-time assets: icons rendered from the SVG, wrapped as ICO and ICNS."""

from __future__ import annotations

import struct
from pathlib import Path

from PySide6.QtGui import QImage

from tests.packaging.scripts import load

assets = load("assets")

FAKE_PNGS = {16: b"\x89PNG-sixteen", 32: b"\x89PNG-thirty-two", 256: b"\x89PNG-two-five-six"}


def test_ico_directory_points_at_each_png() -> None:
    """Every ICO directory entry gives the size of, and the offset to, its own PNG."""
    data = assets.ico(FAKE_PNGS)
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind, count) == (0, 1, 3)
    for i, size in enumerate(sorted(FAKE_PNGS)):
        width, height, _, _, _, _, length, offset = struct.unpack_from(
            "<BBBBHHII", data, 6 + 16 * i
        )
        assert (width, height) == ((size, size) if size < 256 else (0, 0))
        assert data[offset : offset + length] == FAKE_PNGS[size]


def test_icns_holds_one_png_element_per_known_size() -> None:
    """The ICNS container's length adds up and each element carries the PNG of its size."""
    data = assets.icns(FAKE_PNGS)
    assert data[:4] == b"icns"
    assert struct.unpack_from(">I", data, 4)[0] == len(data)
    elements, at = {}, 8
    while at < len(data):
        kind, length = data[at : at + 4], struct.unpack_from(">I", data, at + 4)[0]
        elements[kind] = data[at + 8 : at + length]
        at += length
    assert elements == {b"icp4": FAKE_PNGS[16], b"icp5": FAKE_PNGS[32], b"ic08": FAKE_PNGS[256]}


def test_icons_render_from_the_svg(tmp_path: Path) -> None:
    """The SVG renders to PNGs of the stated sizes that Qt reads back, opaque in the middle."""
    made = assets.make_icons(tmp_path)
    for size in (16, 256, 1024):
        image = QImage(str(made[f"png{size}"]))
        assert (image.width(), image.height()) == (size, size)
        assert image.pixelColor(size // 2, size // 2).alpha() == 255
        assert image.pixelColor(0, 0).alpha() == 0  # rounded corner: transparent
    assert made["ico"].read_bytes()[:4] == b"\0\0\1\0"
    assert made["icns"].read_bytes()[:4] == b"icns"
