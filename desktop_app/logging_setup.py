"""Logging for the desktop app and its commands: rotating files, uncaught errors, no lost output.

`setup_logging()` runs once per process, first thing in `desktop_app.cli.main` (GUI and
headless commands alike). It guarantees:

- A rotating log file in the user's log directory (platformdirs `user_log_dir`, or the
  folder in ADAPTIVE_LEARNING_LOG_DIR): 2 MB x 5 old files, so a student's disk never
  fills and a support request can still attach the last few sessions. The GUI and the
  commands write different files, so two processes never rotate the same file (rotation
  renames, which fails on Windows while another process holds the file).
- Uncaught exceptions, on the main thread (`sys.excepthook`) and on any other thread
  (`threading.excepthook`), are logged with their traceback. The previous hooks still run,
  so a developer in a terminal sees the traceback as before; the GUI replaces the main
  hook with its error dialog (desktop_app/ui/error_dialog.py), which logs too.
- A windowed build (PyInstaller `console=False` on Windows/macOS) starts with
  `sys.stdout`/`sys.stderr` set to None; anything that writes to them (a library's
  warning, `print`) would raise. They are pointed at the log before anything prints.
- A hard crash inside Qt's C++ (segfault) leaves a Python stack in `faults.log` beside the
  log (faulthandler), instead of nothing.

Never raises: logging must not stop a student from studying. If the log folder cannot be
created, the system's temporary folder is used.
"""
from __future__ import annotations

import faulthandler
import io
import logging
import os
import platform
import sys
import tempfile
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType
from typing import IO

from desktop_app.paths import default_log_dir

LOG_DIR_ENV = "ADAPTIVE_LEARNING_LOG_DIR"
MAX_BYTES = 2 * 1024 * 1024
BACKUP_COUNT = 5
FORMAT = "%(asctime)s %(levelname)-7s %(process)d %(threadName)s %(name)s: %(message)s"

log = logging.getLogger("desktop_app")
_state: dict[str, object] = {}
_lock = threading.Lock()


class _LogStream(io.TextIOBase):
    """A text stream that sends complete lines to a logger (stands in for a missing stdout)."""

    def __init__(self, logger: logging.Logger, level: int) -> None:
        super().__init__()
        self._logger, self._level, self._buffer = logger, level, ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._buffer += text
        *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            if line.strip():
                self._logger.log(self._level, line.rstrip())
        return len(text)

    def flush(self) -> None:
        if self._buffer.strip():
            self._logger.log(self._level, self._buffer.rstrip())
        self._buffer = ""


def log_dir() -> Path:
    """Where the log files go: ADAPTIVE_LEARNING_LOG_DIR if set, else the user's log folder."""
    override = os.environ.get(LOG_DIR_ENV)
    return Path(override) if override else default_log_dir()


def current_log_file() -> Path | None:
    """The file this process logs to (None before `setup_logging`); the error dialog shows it."""
    path = _state.get("file")
    return path if isinstance(path, Path) else None


def _usable_dir(preferred: Path) -> Path:
    for folder in (preferred, Path(tempfile.gettempdir()) / "AdaptiveLearning-logs"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".write-test"
            probe.write_text("")
            probe.unlink()
            return folder
        except OSError:
            continue
    return Path(tempfile.gettempdir())


def log_uncaught(kind: type[BaseException], value: BaseException, tb: TracebackType | None,
                 *, where: str = "main thread") -> None:
    """Log an uncaught exception with its traceback (KeyboardInterrupt is not an error)."""
    if issubclass(kind, KeyboardInterrupt):
        return
    log.critical("uncaught exception on %s", where, exc_info=(kind, value, tb))


def _install_hooks() -> None:
    previous_hook = sys.excepthook
    previous_thread_hook = threading.excepthook

    def excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        log_uncaught(kind, value, tb)
        if sys.stderr is not None and not isinstance(sys.stderr, _LogStream):
            previous_hook(kind, value, tb)

    def thread_excepthook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            name = args.thread.name if args.thread is not None else "a thread"
            log_uncaught(args.exc_type, args.exc_value, args.exc_traceback, where=f"thread {name}")
        if sys.stderr is not None and not isinstance(sys.stderr, _LogStream):
            previous_thread_hook(args)

    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook


def _replace_missing_streams() -> None:
    if sys.stdout is None:
        sys.stdout = _LogStream(logging.getLogger("stdout"), logging.INFO)
    if sys.stderr is None:
        sys.stderr = _LogStream(logging.getLogger("stderr"), logging.WARNING)


def _enable_faulthandler(folder: Path) -> None:
    try:
        stream: IO[str] = open(folder / "faults.log", "a", encoding="utf-8")  # noqa: SIM115 - kept open for life
    except OSError:
        return
    _state["faults"] = stream  # faulthandler writes to the file descriptor: keep the file alive
    faulthandler.enable(file=stream, all_threads=True)


def setup_logging(name: str = "adaptive-learning", *, level: int = logging.INFO,
                  directory: Path | None = None) -> Path:
    """Set up logging for this process once; returns the log file. Later calls return the
    same file and change nothing (tests and re-entrant starts are safe).

    `name` is the file's stem: the GUI uses "adaptive-learning", the headless commands
    "adaptive-learning-cli".
    """
    with _lock:
        existing = current_log_file()
        if existing is not None:
            return existing
        folder = _usable_dir(directory or log_dir())
        path = folder / f"{name}.log"
        handler: logging.Handler
        try:
            handler = RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8")
        except OSError:
            handler = logging.NullHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        root = logging.getLogger()
        root.addHandler(handler)
        if root.level == logging.NOTSET or root.level > level:
            root.setLevel(level)
        _state["file"] = path
        _state["handler"] = handler
        _replace_missing_streams()
        _install_hooks()
        logging.captureWarnings(True)
        _enable_faulthandler(folder)
    frozen = "frozen" if getattr(sys, "frozen", False) else "source"
    log.info("started %s (%s, Python %s, %s, pid %d)", " ".join(sys.argv[:1] + sys.argv[1:2]) or name, frozen,
             platform.python_version(), platform.platform(terse=True), os.getpid())
    return path
