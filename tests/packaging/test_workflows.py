"""The GitHub workflows, which cannot run here: actionlint accepts them, and the release
workflow builds and smoke-tests on every OS before anything is uploaded."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.server import ROOT, timeout

WORKFLOWS = ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent
ACTIONLINT = shutil.which("actionlint", path=str(BIN)) or shutil.which("actionlint")
SHELLCHECK = shutil.which("shellcheck", path=str(BIN)) or shutil.which("shellcheck")
needs_actionlint = pytest.mark.skipif(
    ACTIONLINT is None, reason="actionlint is not installed (pip install -e '.[dev]')"
)


def _actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    assert ACTIONLINT is not None
    extra = [f"-shellcheck={SHELLCHECK}"] if SHELLCHECK else []
    return subprocess.run(
        [ACTIONLINT, *extra, *map(str, files)],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout(60),
    )  # fmt: skip


@needs_actionlint
def test_actionlint_accepts_the_workflows() -> None:
    """ci.yml and release.yml pass actionlint (and ShellCheck on their run: steps)."""
    done = _actionlint(WORKFLOWS / "ci.yml", WORKFLOWS / "release.yml")
    assert done.returncode == 0, done.stdout + done.stderr


@needs_actionlint
def test_actionlint_would_catch_a_broken_workflow(tmp_path: Path) -> None:
    """A typo in an expression is reported, so a clean run above means something."""
    broken = tmp_path / ".github" / "workflows" / "release.yml"
    broken.parent.mkdir(parents=True)
    text = (WORKFLOWS / "release.yml").read_text()
    broken.write_text(text.replace("matrix.artefacts", "matrix.artefact"))
    done = _actionlint(broken)
    assert done.returncode != 0
    assert "artefact" in done.stdout


def test_release_smoke_tests_every_os_before_uploading() -> None:
    """Linux, Windows and both Mac architectures each run build.py (which smoke-tests the
    bundle and the installed artefact) before the upload step."""
    text = (WORKFLOWS / "release.yml").read_text()
    for runner in ("ubuntu-", "windows-", "macos-15\n", "macos-15-intel"):
        assert f"os: {runner}" in text
    assert text.index("python packaging/build.py") < text.index("actions/upload-artifact")
    assert "--no-smoke" not in text
    assert "choco install innosetup" in text
    assert "notarytool submit" in text
    assert "HAVE_NOTARY == 'true'" in text
