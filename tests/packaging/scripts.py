"""Import the scripts in ``packaging/`` by path: that folder is deliberately not a package.

(A top-level ``packaging`` package would shadow the PyPI module pip and pytest import.)
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"


def load(name: str) -> ModuleType:
    """``packaging/<name>.py`` as a module, loaded once per test session."""
    key = f"lg_packaging_{name}"
    if key in sys.modules:
        return sys.modules[key]
    if str(PACKAGING) not in sys.path:
        sys.path.append(str(PACKAGING))  # the scripts import one another by plain name
    spec = importlib.util.spec_from_file_location(key, PACKAGING / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module
    spec.loader.exec_module(module)
    return module
