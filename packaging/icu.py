"""A smaller ICU data library for the Linux bundle: root, English and Korean only.

    python packaging/icu.py SOURCE_LIBICUDATA OUT_DIR

Qt Core on Linux links ICU, and PySide6's ``libicudata.so.<N>`` carries ICU's whole data
set - 32 MB, a third of the bundle: every locale's names, collation, units and time
zones, 230 legacy code-page converters, the CJK/Thai/Lao/Khmer/Burmese word dictionaries
and the transliterators. The app speaks Korean and English and uses none of the rest.

This reads the data package out of the library (ICU's "common data" format: a header,
then a sorted table of contents of named items, each a data file of its own), keeps:

- every item that is not per-locale (plural rules, likely subtags, time-zone data,
  normalisation, converter aliases, the resource pools and indexes ...);
- per-locale items only for ``root``, ``en*`` and ``ko*``, in every tree (collation,
  currency, language, region, unit and zone names);

drops code-page converters (``*.cnv``; UTF-8/16/32, Latin-1 and ASCII are built into
ICU's code), break-iterator dictionaries (``*.dict``) and transliterators, and links the
rest into a new library with the same soname and the same exported symbol
(``icudt<N>_dat``) using binutils' ``as`` and ``ld`` (which PyInstaller's ``strip``
needs on Linux anyway). Guarantees: ICU finds the same items under the same names, so
ko/en collation, locale names and time-zone names are unchanged; asking for another
locale falls back to root, as for any locale ICU does not know. Not kept: legacy
code pages (Shift_JIS, EUC-KR, GB18030 ...) through ICU - Python's own codecs are not
affected.
"""

from __future__ import annotations

import re
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

KEEP_LANGUAGES = ("en", "ko")
MAGIC = (0xDA, 0x27)
ALIGN = 16  # ICU's own packages align every item on 16 bytes
PAD = b"\xaa"  # and fill the gaps with this byte, as its pkgdata tool does
# Locale ids as ICU names its .res files: a language, then script, region or variant parts
# (``sr_Latn_RS``, ``de__PHONEBOOK``); ``res_index`` is the one other name of that shape.
_LOCALE = re.compile(r"root|[a-z]{2,3}(_[A-Za-z0-9]*)*")
_NOT_LOCALES = ("res_index",)
_DROPPED_TREES = ("translit/",)
_DROPPED_KINDS = (".cnv", ".dict")


class IcuDataError(ValueError):
    """The input is not what this module knows how to trim."""


def symbol(elf: bytes, name: bytes) -> tuple[int, int]:
    """File offset and size of the exported data object ``name`` in a 64-bit ELF library."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2:
        raise IcuDataError("not a 64-bit ELF file")
    end = "<" if elf[5] == 1 else ">"
    shoff, shentsize, shnum = struct.unpack_from(end + "Q10xHH", elf, 0x28)
    sections = [
        struct.unpack_from(end + "IIQQQQIIQQ", elf, shoff + i * shentsize) for i in range(shnum)
    ]
    for _, kind, _, _, offset, size, link, _, _, entsize in sections:
        if kind != 11:  # SHT_DYNSYM
            continue
        strtab = sections[link][4]
        for at in range(offset, offset + size, entsize):
            st_name, _, _, shndx, value, st_size = struct.unpack_from(end + "IBBHQQ", elf, at)
            if elf[strtab + st_name : elf.index(b"\0", strtab + st_name)] == name:
                # value is an address; its section maps it to a file offset
                _, _, _, addr, sec_off, _, _, _, _, _ = sections[shndx]
                return value - addr + sec_off, st_size
    raise IcuDataError(f"no exported symbol {name.decode()}")


def read_package(blob: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """Split an ICU common-data package into its header and ``(name, item)`` pairs."""
    header_size, magic1, magic2 = struct.unpack_from("<HBB", blob, 0)
    if (magic1, magic2) != MAGIC or blob[4 + 8 : 4 + 12] != b"CmnD":
        raise IcuDataError("not an ICU common-data package")
    if blob[4 + 4] != 0:
        raise IcuDataError("big-endian ICU data is not handled")
    toc = header_size
    (count,) = struct.unpack_from("<I", blob, toc)
    entries = [struct.unpack_from("<II", blob, toc + 4 + 8 * i) for i in range(count)]
    items = []
    for i, (name_at, data_at) in enumerate(entries):
        name_start = toc + name_at
        name = blob[name_start : blob.index(b"\0", name_start)].decode("ascii")
        data_end = toc + entries[i + 1][1] if i + 1 < count else len(blob)
        items.append((name, blob[toc + data_at : data_end]))
    return blob[:header_size], items


def write_package(header: bytes, items: Sequence[tuple[str, bytes]]) -> bytes:
    """An ICU common-data package of ``items`` (kept in ICU's sorted order)."""
    items = sorted(items, key=lambda item: item[0].encode("ascii"))  # ICU binary-searches
    names = b"".join(name.encode("ascii") + b"\0" for name, _ in items)
    table = 4 + 8 * len(items)
    data_at = _aligned(table + len(names))
    toc = bytearray(struct.pack("<I", len(items)))
    body = bytearray()
    name_at = table
    for name, data in items:
        toc += struct.pack("<II", name_at, data_at + len(body))
        name_at += len(name) + 1
        body += data + PAD * (_aligned(len(data)) - len(data))
    toc += names
    toc += PAD * (data_at - len(toc))
    return header + bytes(toc) + bytes(body)


def _aligned(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def keep_item(name: str, languages: Sequence[str] = KEEP_LANGUAGES) -> bool:
    """Whether the item ``icudt<N>l/<tree>/<file>`` stays (see the module docstring)."""
    path = name.split("/", 1)[1] if "/" in name else name
    if path.startswith(_DROPPED_TREES) or path.endswith(_DROPPED_KINDS):
        return False
    stem, _, ext = path.rsplit("/", 1)[-1].partition(".")
    if ext != "res" or not _LOCALE.fullmatch(stem) or stem in _NOT_LOCALES:
        return True  # not per-locale: pools, indexes, supplemental data, rules
    return stem == "root" or stem.split("_")[0] in languages


def trim(blob: bytes, keep: Callable[[str], bool] = keep_item) -> bytes:
    """The package ``blob`` with only the items ``keep`` accepts."""
    header, items = read_package(blob)
    return write_package(header, [(name, data) for name, data in items if keep(name)])


def link(data: bytes, soname: str, symbol_name: str, out: Path) -> None:
    """Write a shared library named ``soname`` that exports ``data`` as ``symbol_name``."""
    with tempfile.TemporaryDirectory(prefix="lg-icu-") as work:
        blob, source, obj = (Path(work) / n for n in ("data.bin", "data.s", "data.o"))
        blob.write_bytes(data)
        source.write_text(
            f"\t.section .rodata\n\t.globl {symbol_name}\n\t.type {symbol_name}, @object\n"
            f'\t.balign {ALIGN}\n{symbol_name}:\n\t.incbin "{blob}"\n'
            f"\t.size {symbol_name}, .-{symbol_name}\n"
            '\t.section .note.GNU-stack,"",@progbits\n',
            encoding="ascii",
        )
        subprocess.run(["as", "-o", str(obj), str(source)], check=True)  # noqa: S603, S607
        cmd = ["ld", "-shared", "-z", "noexecstack", "-soname", soname, "-o", str(out), str(obj)]
        subprocess.run(cmd, check=True)  # noqa: S603


def trimmed_library(source: Path, out_dir: Path) -> Path:
    """Write ``out_dir/<same name>``: ``source`` (a libicudata) with only what the app uses."""
    match = re.fullmatch(r"libicudata\.so\.(\d+)(\.\d+)*", source.name)
    if not match:
        raise IcuDataError(f"{source.name} is not a libicudata.so.<N>")
    elf = source.read_bytes()
    name = f"icudt{match.group(1)}_dat"
    offset, size = symbol(elf, name.encode())
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / source.name
    link(trim(elf[offset : offset + size]), f"libicudata.so.{match.group(1)}", name, out)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    source, out = Path(args[0]), trimmed_library(Path(args[0]), Path(args[1]))
    print(f"icu: {source.stat().st_size / 1e6:.1f} MB -> {out.stat().st_size / 1e6:.1f} MB: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
