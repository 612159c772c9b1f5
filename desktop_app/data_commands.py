"""Commands for the data a student cannot afford to lose: backup, restore, export.

Registered with `desktop_app.cli` (imported at the end of cli.py). Each prints what it did
in one or two lines; a refusal is a CommandError (exit 1, one-line reason on stderr).

    adaptive-learning backup  --data-dir DIR --out FILE_OR_FOLDER
    adaptive-learning restore --data-dir DIR FILE
    adaptive-learning export  --data-dir DIR --student NAME --out FOLDER
"""
from __future__ import annotations

import argparse
from pathlib import Path

from desktop_app.backup import BackupError, backup_database, restore_database
from desktop_app.cli import _EXTENSIONS, CommandError, _data_dir, command


@command("backup")
def _backup(args: argparse.Namespace) -> int:
    try:
        written = backup_database(_data_dir(args), Path(args.out))
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    print(f"Backed up to {written} ({written.stat().st_size / 1e6:.1f} MB)")
    return 0


@command("restore")
def _restore(args: argparse.Namespace) -> int:
    try:
        report = restore_database(_data_dir(args), Path(args.file))
    except BackupError as exc:
        raise CommandError(f"{exc}; nothing was changed") from None
    info = report.restored
    print(f"Restored {info.path} (schema {info.revision}, {info.students} accounts, {info.attempts} answers)")
    if report.replaced is not None:
        print(f"The previous database is kept at {report.replaced}")
    return 0


@command("export")
def _export(args: argparse.Namespace) -> int:
    from desktop_app.db.database import LocalDatabase
    from desktop_app.services.export import export_progress, student_id_for

    db = LocalDatabase.open(_data_dir(args))
    try:
        with db.transaction() as session:
            try:
                report = export_progress(session, student_id=student_id_for(session, args.student),
                                         folder=Path(args.out))
            except LookupError as exc:
                raise CommandError(str(exc)) from None
    finally:
        db.close()
    print(f"Exported {report.attempts} answers and {report.concepts} concepts to "
          + " and ".join(str(f) for f in report.files))
    return 0


def _add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("backup", parents=[common], help="copy the database to a file (safe while the app runs)")
    p.add_argument("--out", required=True, help="the backup file, or a folder to put a dated file in")
    p = sub.add_parser("restore", parents=[common], help="replace the database with a checked backup")
    p.add_argument("file", help="a backup made by `backup` (or an automatic one from DATA_DIR/backups)")
    p = sub.add_parser("export", parents=[common], help="a student's answers and mastery as CSV files")
    p.add_argument("--student", required=True, help="local username")
    p.add_argument("--out", required=True, help="folder for attempts.csv and mastery.csv")


_EXTENSIONS.append(_add_parsers)
