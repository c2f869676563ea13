"""The Debian package: layout, modes, and Depends computed from what the binary links."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging.scripts import load

deb = load("deb")
assets = load("assets")

needs_dpkg = pytest.mark.skipif(
    not (shutil.which("dpkg-deb") and shutil.which("dpkg-query")), reason="not a Debian system"
)


@pytest.fixture
def fake_bundle(tmp_path: Path) -> Path:
    """A one-folder 'bundle' whose executable is this machine's `true`."""
    bundle = tmp_path / "bundle"
    (bundle / "_internal").mkdir(parents=True)
    true = shutil.which("true")
    assert true is not None
    shutil.copy(true, bundle / "loginguard")
    (bundle / "_internal" / "data.txt").write_text("not executable")
    return bundle


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF only")
def test_needed_reads_the_direct_dependencies_of_an_elf_file() -> None:
    """DT_NEEDED of the running Python names the C library; a text file needs nothing."""
    assert "libc.so.6" in deb.needed(Path(sys.executable).resolve())
    assert deb.needed(Path(__file__)) == []


def test_stage_lays_out_opt_bin_menu_and_icons(tmp_path: Path, fake_bundle: Path) -> None:
    """The package installs /opt/loginguard, a /usr/bin link, a menu entry and icons."""
    icons = tmp_path / "icons"
    assets.make_icons(icons)
    root = tmp_path / "root"
    deb.stage(root, fake_bundle, icons)

    assert (root / "usr/bin/loginguard").readlink() == Path("/opt/loginguard/loginguard")
    entry = (root / "usr/share/applications/loginguard.desktop").read_text()
    assert "Exec=/opt/loginguard/loginguard\n" in entry
    assert "Icon=loginguard\n" in entry
    assert (root / "usr/share/icons/hicolor/256x256/apps/loginguard.png").is_file()
    assert (root / "usr/share/icons/hicolor/scalable/apps/loginguard.svg").is_file()
    if shutil.which("desktop-file-validate"):
        checked = subprocess.run(
            ["desktop-file-validate", str(root / "usr/share/applications/loginguard.desktop")],
            capture_output=True,
            text=True,
        )
        assert checked.returncode == 0, checked.stdout
        assert "hint" not in checked.stdout, checked.stdout
    assert stat.S_IMODE((root / "opt/loginguard/loginguard").stat().st_mode) == 0o755
    assert stat.S_IMODE((root / "opt/loginguard/_internal/data.txt").stat().st_mode) == 0o644


@needs_dpkg
def test_built_deb_depends_on_what_the_binary_links(tmp_path: Path, fake_bundle: Path) -> None:
    """dpkg-deb accepts the package, and Depends names libc6 because `true` links libc."""
    icons = tmp_path / "icons"
    assets.make_icons(icons)
    dist = tmp_path / "dist"
    dist.mkdir()
    package = deb.build_deb(fake_bundle, icons, "1.2.3", dist, tmp_path / "work")

    assert package.name.startswith("loginguard_1.2.3_")
    info = subprocess.run(["dpkg-deb", "--field", str(package)], capture_output=True, text=True)
    fields = dict(line.split(": ", 1) for line in info.stdout.splitlines() if ": " in line)
    assert fields["Package"] == "loginguard"
    assert fields["Depends"].startswith("libc6 (>= ")
    listing = subprocess.run(
        ["dpkg-deb", "--contents", str(package)], capture_output=True, text=True
    )
    assert "./usr/bin/loginguard -> /opt/loginguard/loginguard" in listing.stdout
    assert "root/root" in listing.stdout.splitlines()[0]
