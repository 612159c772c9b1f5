"""What the spec puts in the bundle, checked without building it."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.packaging.conftest import ROOT, load

bc = load("bundle_contents")
build = load("build")


def _excluded(module: str) -> str | None:
    return next((ex for ex in bc.EXCLUDES if module == ex or module.startswith(ex + ".")), None)


def _app_modules() -> list[Path]:
    files = [p for package in ("desktop_app", "sync_client") for p in sorted((ROOT / package).rglob("*.py"))]
    return [p for p in files if not _excluded(".".join(p.relative_to(ROOT).with_suffix("").parts))]


def test_nothing_the_app_imports_is_left_out_of_the_bundle() -> None:
    """Every import in the desktop app and the sync client, even one inside a function."""
    offending = []
    for path in _app_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            offending += [f"{path.relative_to(ROOT)}: {n} (excluded as {_excluded(n)})" for n in names if _excluded(n)]
    assert not offending, "\n".join(offending)


def test_the_bundle_holds_the_migrations_and_resources_at_their_source_paths() -> None:
    pairs = bc.data_files(ROOT)
    shipped = {Path(dest) / Path(src).name for src, dest in pairs}
    for version in (ROOT / "alembic" / "versions").glob("*.py"):
        assert Path("alembic/versions") / version.name in shipped
    for needed in ("alembic/env.py", "resources/sample_bank.json", "resources/icons/app.svg", "resources/styles/app.qss"):
        assert Path(needed) in shipped
    assert not [s for s, _ in pairs if "__pycache__" in s or s.endswith(".pyc")]


def test_the_migrations_imports_become_hidden_imports() -> None:
    imports = bc.migration_imports(ROOT / "alembic")
    for needed in ("alembic", "sqlalchemy", "desktop_app.db.base", "desktop_app.db.models", "logging.config"):
        assert needed in imports
    assert "__future__" not in imports


def test_the_build_environment_gets_the_desktop_dependencies_only() -> None:
    wanted = build.build_requirements(ROOT / "pyproject.toml", platform="linux")
    names = {build._name(r) for r in wanted}
    assert {"pyside6-essentials", "sqlalchemy", "alembic", "keyring", "platformdirs", "argon2-cffi", "requests",
            "pyinstaller"} <= names
    assert not names & {"fastapi", "uvicorn", "httptools", "psycopg", "numpy", "pytest", "pillow"}
    assert "pillow" in {build._name(r) for r in build.build_requirements(ROOT / "pyproject.toml", platform="darwin")}


def test_a_changed_source_file_makes_the_build_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "desktop_app" / "cli.py"
    source.parent.mkdir()
    source.write_text("x = 1\n")
    (tmp_path / "pyproject.toml").write_text("[project]\n")
    monkeypatch.setattr(build, "ROOT", tmp_path)
    first = build.inputs_fingerprint(["PySide6-Essentials>=6.6"])
    (tmp_path / "desktop_app" / "__pycache__").mkdir()
    (tmp_path / "desktop_app" / "__pycache__" / "cli.cpython-311.pyc").write_bytes(b"compiled")
    assert build.inputs_fingerprint(["PySide6-Essentials>=6.6"]) == first  # caches do not count
    assert build.inputs_fingerprint(["PySide6-Essentials>=6.7"]) != first
    source.write_text("x = 2\n")
    assert build.inputs_fingerprint(["PySide6-Essentials>=6.6"]) != first


def test_icons_are_found_per_platform(tmp_path: Path) -> None:
    (tmp_path / "app.png").write_bytes(b"png")
    assert bc.icon_file(tmp_path, "linux") is None  # executables on Linux carry no icon
    assert bc.icon_file(tmp_path, "darwin") == str(tmp_path / "app.png")  # PyInstaller makes the .icns
    assert bc.icon_file(tmp_path, "win32") is None  # no .ico generated: the spec builds without one
