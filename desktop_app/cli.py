"""`adaptive-learning`: the desktop app, and headless commands for people and scripts.

Exit codes: 0 success; 1 a clear failure (one line on stderr); 2 bad usage (argparse).
"""
from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from desktop_app.logging_setup import setup_logging
from desktop_app.paths import default_data_dir

Command = Callable[[argparse.Namespace], int]
_COMMANDS: dict[str, Command] = {}


class CommandError(Exception):
    """A failure the user can act on; its message is printed as the one-line reason."""


def command(name: str) -> Callable[[Command], Command]:
    def register(fn: Command) -> Command:
        _COMMANDS[name] = fn
        return fn
    return register


def _data_dir(args: argparse.Namespace) -> Path:
    return Path(args.data_dir) if args.data_dir else default_data_dir()


@command("init")
def _init(args: argparse.Namespace) -> int:
    from desktop_app.services.setup import initialise

    db, report = initialise(_data_dir(args))
    print(f"Database ready at {db.path}")
    if report:
        print(f"Loaded {report.summary()}")
    db.close()
    return 0


@command("import-bank")
def _import_bank(args: argparse.Namespace) -> int:
    from desktop_app.services.bank_format import BankError
    from desktop_app.services.setup import import_bank_file, initialise

    db, _ = initialise(_data_dir(args))
    try:
        report = import_bank_file(db, Path(args.file), publish=args.publish)
    except BankError as exc:
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        raise CommandError(f"{args.file}: {len(exc.problems)} problem(s); nothing was imported") from None
    finally:
        db.close()
    print(f"Imported {report.summary()}")
    return 0


@command("simulate")
def _simulate(args: argparse.Namespace) -> int:
    from desktop_app.services.setup import initialise
    from desktop_app.services.simulate import simulate

    db, _ = initialise(_data_dir(args))
    try:
        report = simulate(db, student=args.student, answers=args.answers, seed=args.seed)
    finally:
        db.close()
    share = report.correct / report.answers if report.answers else 0.0
    print(f"{args.student}: {report.answers} answers ({share:.0%} right) from {report.first_at:%Y-%m-%d} "
          f"to {report.last_at:%Y-%m-%d}; truly knows {report.concepts_known}/{report.concepts_total} concepts")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="adaptive-learning", description="Adaptive exam preparation, offline first.")
    parser.add_argument("--data-dir", help="folder of the local database (default: the user's data directory)")
    parser.add_argument("--smoke-test", action="store_true", help="check this installation end to end and exit")
    sub = parser.add_subparsers(dest="command")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", help="folder of the local database (default: the user's data directory)")
    sub.add_parser("init", parents=[common], help="create or upgrade the database and load the sample bank")
    p = sub.add_parser("import-bank", parents=[common], help="import a question bank (JSON)")
    p.add_argument("file")
    p.add_argument("--publish", action="store_true", help="queue the content for the server (teachers)")
    p = sub.add_parser("simulate", parents=[common], help="a simulated student answers questions (demo data)")
    p.add_argument("--student", required=True, help="local username (created if missing)")
    p.add_argument("--answers", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    for extend in _EXTENSIONS:
        extend(sub, common)
    return parser


# Later commands (simulate, sync, backup, ...) register their sub-parsers here.
_EXTENSIONS: list[Callable[[argparse._SubParsersAction, argparse.ArgumentParser], None]] = []


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging("adaptive-learning" if args.command is None and not args.smoke_test else "adaptive-learning-cli")
    if args.smoke_test:
        from desktop_app.smoke import run_smoke_test

        return run_smoke_test(Path(args.data_dir) if args.data_dir else None)
    if args.command is None:
        from desktop_app.ui.app import run_gui

        return run_gui(data_dir=_data_dir(args))
    try:
        return _COMMANDS[args.command](args)
    except CommandError as exc:
        print(f"adaptive-learning: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - a one-line reason, never a traceback for users
        logging.getLogger(__name__).exception("%s failed", args.command)
        print(f"adaptive-learning: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


from desktop_app import data_commands  # noqa: E402,F401  (backup, restore, export register themselves)
from desktop_app import sync_commands  # noqa: E402,F401  (register, login, logout, sync register themselves)
