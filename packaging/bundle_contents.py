"""What goes into the frozen desktop app, kept apart from the spec so tests can read it.

The spec (AdaptiveLearning.spec) imports this module; nothing here imports PyInstaller, so
`tests/packaging` checks the lists without building anything.

Why each list exists:
- Alembic runs `alembic/env.py` and the revision files from the bundle as plain files, so
  PyInstaller never sees their imports; `migration_imports()` reads them, and the spec
  passes them as hidden imports. A later migration that imports something new is covered
  without anyone editing the spec.
- The excludes keep the unpacked app small (target <= 250 MB): Qt modules the desktop never
  uses (QtQml alone drags in QtQuick and, with the full PySide6, WebEngine), the sync
  server's stack, and the research/test tooling that needs numpy.
"""
from __future__ import annotations

import ast
from pathlib import Path

APP_NAME = "AdaptiveLearning"
CLI_NAME = "adaptive-learning"  # the console twin on Windows, where a windowed exe has no stdout

# Qt modules the app does not import (desktop_app/ui uses QtCore, QtGui, QtWidgets, QtSvg; the
# sync service uses QtNetwork's QNetworkInformation to sync when the network comes back).
# tests/packaging checks that no import in desktop_app/ or sync_client/ names one of these.
QT_EXCLUDES = [
    "PySide6.QtQml", "PySide6.QtQmlFeatures", "PySide6.QtQuick", "PySide6.QtQuickControls2",
    "PySide6.QtQuickTest", "PySide6.QtQuickWidgets", "PySide6.QtQuick3D",
    "PySide6.QtWebEngineCore", "PySide6.QtWebEngineWidgets", "PySide6.QtWebEngineQuick",
    "PySide6.QtWebChannel", "PySide6.QtWebSockets", "PySide6.QtWebView",
    "PySide6.Qt3DCore", "PySide6.Qt3DRender", "PySide6.Qt3DInput", "PySide6.Qt3DLogic",
    "PySide6.Qt3DAnimation", "PySide6.Qt3DExtras",
    "PySide6.QtMultimedia", "PySide6.QtMultimediaWidgets", "PySide6.QtSpatialAudio",
    "PySide6.QtPdf", "PySide6.QtPdfWidgets", "PySide6.QtCharts", "PySide6.QtDataVisualization",
    "PySide6.QtGraphs", "PySide6.QtNetworkAuth", "PySide6.QtBluetooth", "PySide6.QtPositioning",
    "PySide6.QtLocation", "PySide6.QtNfc", "PySide6.QtSensors", "PySide6.QtSerialPort",
    "PySide6.QtSerialBus", "PySide6.QtRemoteObjects", "PySide6.QtScxml", "PySide6.QtStateMachine",
    "PySide6.QtTextToSpeech", "PySide6.QtHttpServer",
    "PySide6.QtSql", "PySide6.QtTest", "PySide6.QtDesigner", "PySide6.QtUiTools", "PySide6.QtHelp",
    "PySide6.QtXml", "PySide6.QtConcurrent", "PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets",
    "PySide6.QtPrintSupport", "PySide6.QtLabsStyleKit", "PySide6.QtDBus",
]

# Python packages the desktop app never imports at run time.
PYTHON_EXCLUDES = [
    # the sync server's stack (same repository, other process)
    "sync_server", "fastapi", "starlette", "uvicorn", "psycopg", "psycopg_binary", "psycopg_pool",
    "pydantic", "pydantic_core", "anyio", "httptools",
    # research and evaluation tooling (numpy); the app's engine is stdlib-only
    "numpy", "desktop_app.engine.evaluate", "desktop_app.engine.fitting",
    "desktop_app.engine.knowledge_tracing",
    # tests and build tools
    "pytest", "_pytest", "pytestqt", "hypothesis", "schemathesis", "PyInstaller", "pip", "setuptools",
    "bench", "tools", "tests",
    # heavy optional imports some libraries try
    "tkinter", "IPython", "matplotlib", "PIL",
]

EXCLUDES = QT_EXCLUDES + PYTHON_EXCLUDES

# Imported by name at run time (entry points), invisible to PyInstaller's import graph.
EXTRA_HIDDEN_IMPORTS = [
    "keyring.backends.SecretService", "keyring.backends.Windows", "keyring.backends.macOS",
    "keyring.backends.kwallet", "keyring.backends.chainer", "keyring.backends.fail",
    "sqlalchemy.dialects.sqlite",
]

# Distributions whose metadata must be in the bundle (keyring finds its backends through
# entry points in its metadata; without it every lookup falls back to the "fail" backend).
METADATA = ["keyring"]


def _skip(path: Path) -> bool:
    return "__pycache__" in path.parts or path.suffix in {".pyc", ".pyo"} or path.name.startswith(".")


def data_files(root: Path) -> list[tuple[str, str]]:
    """(source file, destination folder) pairs: `alembic/` and `resources/` keep their layout.

    Only what the app reads at run time: the migration scripts (not alembic.ini, which the
    app never reads: desktop_app.db.migrate configures Alembic in code) and every resource.
    """
    pairs: list[tuple[str, str]] = []
    for folder in ("alembic", "resources"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and not _skip(path.relative_to(root)):
                pairs.append((str(path), str(path.parent.relative_to(root))))
    return pairs


def migration_imports(alembic_dir: Path) -> list[str]:
    """Every module that `env.py` and the revision files import, sorted and unique."""
    modules: set[str] = set()
    for path in [alembic_dir / "env.py", *sorted((alembic_dir / "versions").glob("*.py"))]:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module)
    modules.discard("__future__")
    return sorted(modules)


def icon_file(icons_dir: Path, platform: str) -> str | None:
    """The generated icon in the platform's format (packaging/make_icons.py writes them).

    None on Linux: an executable there has no icon (the window sets its own at run time,
    and a desktop entry would point at app.png)."""
    name = {"win32": "app.ico", "darwin": "app.png"}.get(platform)
    if name is None:
        return None
    path = icons_dir / name
    return str(path) if path.exists() else None
