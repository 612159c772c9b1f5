"""The packaging scripts live in packaging/ (not a Python package: its name would shadow the
`packaging` library PyInstaller and pip import), so tests load them by path."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def load(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    folder = ROOT / "packaging"
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))  # build.py imports bundle_contents as a sibling
    spec = importlib.util.spec_from_file_location(name, folder / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
