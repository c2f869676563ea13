"""What the packaging scripts need to know about the project, read from its own files.

The version is ``desktop_app.__version__`` (``pyproject.toml`` declares it dynamic and
reads the same attribute), read as text so nothing has to import the app. The maintainer
is the first entry of ``maintainers`` in ``pyproject.toml``; the ``.deb``'s
``Maintainer`` field and the installers' publisher come from it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def version(root: Path = ROOT) -> str:
    """``desktop_app.__version__``."""
    text = (root / "desktop_app" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    if match is None:
        raise ValueError('desktop_app/__init__.py has no __version__ = "..." line')
    return match.group(1)


def maintainer(root: Path = ROOT) -> str:
    """``Name <email>`` of the first maintainer in ``pyproject.toml``."""
    with (root / "pyproject.toml").open("rb") as f:
        project = tomllib.load(f)["project"]
    people = project.get("maintainers") or project.get("authors") or []
    for person in people:
        if person.get("name") and person.get("email"):
            return f"{person['name']} <{person['email']}>"
    raise ValueError("pyproject.toml names no maintainer (or author) with a name and email")
