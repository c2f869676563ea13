"""The Debian package: layout, modes, Depends computed from what the binary links, lintian,
and the build machine's run paths dropped from ELF files."""

from __future__ import annotations

import gzip
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging.scripts import load

deb = load("deb")
assets = load("assets")
project = load("project")

needs_dpkg = pytest.mark.skipif(
    not (shutil.which("dpkg-deb") and shutil.which("dpkg-query")), reason="not a Debian system"
)
needs_lintian = pytest.mark.skipif(
    not shutil.which("lintian"), reason="lintian is not installed (apt-get install lintian)"
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


def test_stage_lays_out_lib_bin_menu_and_icons(tmp_path: Path, fake_bundle: Path) -> None:
    """The package installs /usr/lib/loginguard, a relative /usr/bin link, a menu entry,
    icons, a Debian changelog and the MIT licence in full; libraries are not executable."""
    icons = tmp_path / "icons"
    assets.make_icons(icons)
    (fake_bundle / "_internal" / "libfake.so.1").write_bytes(b"\x7fELF")
    (fake_bundle / "_internal" / "libfake.so.1").chmod(0o755)
    root = tmp_path / "root"
    deb.stage(root, fake_bundle, icons, "1.2.3")

    link = root / "usr/bin/loginguard"
    assert link.readlink() == Path("../lib/loginguard/loginguard")
    assert link.resolve() == (root / "usr/lib/loginguard/loginguard").resolve()
    entry = (root / "usr/share/applications/loginguard.desktop").read_text()
    assert "Exec=/usr/bin/loginguard\n" in entry
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
    installed = root / "usr/lib/loginguard"
    assert stat.S_IMODE((installed / "loginguard").stat().st_mode) == 0o755
    assert stat.S_IMODE((installed / "_internal/data.txt").stat().st_mode) == 0o644
    assert stat.S_IMODE((installed / "_internal/libfake.so.1").stat().st_mode) == 0o644
    doc = root / "usr/share/doc/loginguard"
    changelog = gzip.decompress((doc / "changelog.gz").read_bytes()).decode()
    assert changelog.startswith("loginguard (1.2.3) unstable; urgency=medium\n")
    assert f" -- {project.maintainer()}  " in changelog
    assert "THE SOFTWARE IS PROVIDED" in (doc / "copyright").read_text()


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
    assert fields["Maintainer"] == project.maintainer()
    assert "@" in fields["Maintainer"]
    assert fields["Depends"].startswith("libc6 (>= ")
    listing = subprocess.run(
        ["dpkg-deb", "--contents", str(package)], capture_output=True, text=True
    )
    assert "./usr/bin/loginguard -> ../lib/loginguard/loginguard" in listing.stdout
    assert "root/root" in listing.stdout.splitlines()[0]


@needs_dpkg
@needs_lintian
def test_lintian_finds_no_error_in_the_package(tmp_path: Path, fake_bundle: Path) -> None:
    """lintian reports no error for the package's layout, control file, changelog and
    copyright (the real bundle's libraries are checked by `make package`)."""
    icons = tmp_path / "icons"
    assets.make_icons(icons)
    dist = tmp_path / "dist"
    dist.mkdir()
    package = deb.build_deb(fake_bundle, icons, "1.2.3", dist, tmp_path / "work")
    errors, output = deb.lintian(package)
    assert errors == [], output
    assert "no-changelog" not in output
    assert "dir-or-file-in-opt" not in output


def _runpaths(path: Path) -> list[str]:
    shown = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True).stdout
    return [line.split("[", 1)[1].rstrip("]") for line in shown.splitlines() if "RUNPATH" in line]


@pytest.mark.skipif(
    not (shutil.which("cc") and shutil.which("readelf")), reason="no C compiler or readelf"
)
def test_build_machine_runpaths_are_dropped_and_origin_kept(tmp_path: Path) -> None:
    """An absolute run path (a pyenv prefix) goes; $ORIGIN ones stay; the library still loads."""
    source = tmp_path / "f.c"
    source.write_text("int f(void) { return 42; }\n")
    paths = {"abs.so": "/root/.pyenv/versions/3.11.7/lib", "origin.so": "$ORIGIN/../lib"}
    for name, runpath in paths.items():
        subprocess.run(
            ["cc", "-shared", "-fPIC", "-o", str(tmp_path / name), str(source),
             f"-Wl,-rpath,{runpath}", "-Wl,--enable-new-dtags"],
            check=True,
        )  # fmt: skip
    assert _runpaths(tmp_path / "abs.so") == ["/root/.pyenv/versions/3.11.7/lib"]

    assert deb.drop_build_runpaths(tmp_path / "abs.so") is True
    assert deb.drop_build_runpaths(tmp_path / "origin.so") is False
    assert deb.drop_build_runpaths(tmp_path / "f.c") is False
    assert _runpaths(tmp_path / "abs.so") == []
    assert _runpaths(tmp_path / "origin.so") == ["$ORIGIN/../lib"]
    import ctypes

    assert ctypes.CDLL(str(tmp_path / "abs.so")).f() == 42
