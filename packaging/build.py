"""Build the one-folder desktop app for this platform: `make package`.

    python packaging/build.py [--if-stale] [--python PYTHON]

1. A clean virtual environment, build/venv-package, with only what the desktop needs at run
   time (pyproject's dependencies less the server's and numpy) plus PyInstaller. PyInstaller
   bundles whatever it can import, so building from the development environment would ship
   pytest, FastAPI and friends. The environment is reused while the requirements are the same.
2. Installer icons rendered from resources/icons/app.svg (make_icons.py) into build/icons.
3. PyInstaller with packaging/AdaptiveLearning.spec into dist/AdaptiveLearning/.

`--if-stale` skips the build when dist/ already holds a build of exactly these sources (a
fingerprint of the inputs is kept in build/package-inputs.sha256): the packaging test
reuses a fresh build instead of spending minutes on an identical one.

Prints the bundle size and the build time. Exit code 0 on success, 1 with the reason.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
import bundle_contents as bc  # noqa: E402

BUILD = ROOT / "build"
VENV = BUILD / "venv-package"
ICONS = BUILD / "icons"
DIST = ROOT / "dist"
FINGERPRINT = BUILD / "package-inputs.sha256"

# Dependencies of the project that the desktop app does not need at run time: the sync
# server's stack, and numpy (research tooling only: desktop_app/engine/mastery.py is stdlib).
NOT_IN_DESKTOP = {"fastapi", "uvicorn", "httptools", "psycopg", "numpy"}
# Where the spec reads; everything else the app's behaviour depends on.
INPUTS = ("desktop_app", "sync_client", "alembic", "resources", "packaging", "pyproject.toml")


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def desktop_requirements(pyproject: Path) -> list[str]:
    """pyproject's run-time dependencies the desktop app needs, versions as pinned there."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    return [r for r in project["dependencies"] if _name(r) not in NOT_IN_DESKTOP]


def build_requirements(pyproject: Path, platform: str = sys.platform) -> list[str]:
    """The desktop's requirements plus PyInstaller (the `package` extra); Pillow on macOS,
    where PyInstaller uses it to turn the PNG icon into .icns."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    extra = list(project["optional-dependencies"]["package"])
    if platform == "darwin":
        extra.append("Pillow")
    return desktop_requirements(pyproject) + extra


def _files(paths: tuple[str, ...]) -> list[Path]:
    found: list[Path] = []
    for name in paths:
        path = ROOT / name
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        found += [p for p in candidates if "__pycache__" not in p.parts and p.suffix not in {".pyc", ".pyo"}]
    return found


def inputs_fingerprint(requirements: list[str]) -> str:
    """A hash of every source file the bundle is made from, and of the requirements."""
    digest = hashlib.sha256("\n".join(requirements).encode())
    for path in _files(INPUTS):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def executable(dist: Path = DIST) -> Path:
    """The built app's executable (inside the .app bundle's folder layout on macOS too)."""
    suffix = ".exe" if sys.platform == "win32" else ""
    return dist / bc.APP_NAME / f"{bc.APP_NAME}{suffix}"


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def _run(*cmd: str | Path, **kwargs: object) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)  # type: ignore[call-overload]


def ensure_venv(requirements: list[str], python: str) -> Path:
    """build/venv-package holding exactly `requirements` (recreated when they change)."""
    stamp = VENV / "requirements.txt"
    wanted = "\n".join(requirements) + "\n"
    if _venv_python().exists() and stamp.exists() and stamp.read_text() == wanted:
        return _venv_python()
    shutil.rmtree(VENV, ignore_errors=True)
    _run(python, "-m", "venv", VENV)
    _run(_venv_python(), "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    _run(_venv_python(), "-m", "pip", "install", "--quiet", *requirements)
    stamp.write_text(wanted)
    return _venv_python()


@contextmanager
def _exclusive() -> Iterator[None]:
    """One build at a time (two test runs, or a test run and `make package`, share dist/)."""
    BUILD.mkdir(exist_ok=True)
    with open(BUILD / "package.lock", "w") as lock:
        try:
            import fcntl
        except ImportError:  # Windows: builds are run by hand there, one at a time
            yield
            return
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def build(*, if_stale: bool, python: str) -> int:
    with _exclusive():
        return _build(if_stale=if_stale, python=python)


def _build(*, if_stale: bool, python: str) -> int:
    started = time.monotonic()
    requirements = build_requirements(ROOT / "pyproject.toml")
    fingerprint = inputs_fingerprint(requirements)
    if if_stale and executable().exists() and FINGERPRINT.exists() and FINGERPRINT.read_text() == fingerprint:
        print(f"{executable()} is up to date ({folder_size(DIST / bc.APP_NAME) / 1e6:.0f} MB)")
        return 0
    BUILD.mkdir(exist_ok=True)
    FINGERPRINT.unlink(missing_ok=True)
    venv_python = ensure_venv(requirements, python)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ADAPTIVE_LEARNING_ICON_DIR": str(ICONS)}
    _run(venv_python, ROOT / "packaging" / "make_icons.py", ICONS, env=env)
    _run(venv_python, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--distpath", DIST, "--workpath", BUILD / "pyinstaller", ROOT / "packaging" / f"{bc.APP_NAME}.spec",
         env=env, cwd=ROOT)
    FINGERPRINT.write_text(fingerprint)
    size = folder_size(DIST / bc.APP_NAME)
    print(f"Built {executable()}: {size / 1e6:.0f} MB unpacked, in {time.monotonic() - started:.0f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--if-stale", action="store_true", help="skip when dist/ holds a build of these sources")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the build environment")
    args = parser.parse_args(argv)
    try:
        return build(if_stale=args.if_stale, python=args.python)
    except subprocess.CalledProcessError as exc:
        print(f"build: {Path(str(exc.cmd[0])).name} failed with exit code {exc.returncode}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
