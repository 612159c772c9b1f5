"""Copies of the local database a student can go back to: on demand, before upgrades, restore.

Why SQLite's online backup API (`sqlite3.Connection.backup`) and never a file copy: the
database runs in WAL mode, so recent commits may live only in the `-wal` file, and the app
or the sync worker may be writing while a backup is taken. The backup API copies one
consistent snapshot, WAL content included, without stopping writers (in WAL mode readers
never block them). Every copy this module writes:

- is a single self-contained file (journal mode DELETE, no `-wal` beside it),
- passes `PRAGMA integrity_check` before it gets its final name,
- appears atomically (written as `<name>.partial`, then renamed), so a crash never leaves a
  half-written file under a name that looks complete.

`restore_database` checks a candidate before it touches anything (a SQLite file, intact,
one of ours, with a schema version this app knows), refuses while another process has the
database open, and keeps the database it replaces beside it as
`adaptive-learning.sqlite3.replaced-YYYYmmdd-HHMMSS`.

`backup_before_upgrade` is called by `LocalDatabase.open` before migrating: when an existing
database is behind the newest schema, a copy goes to `DATA_DIR/backups/` first (the last
KEEP_AUTOMATIC are kept). If that copy cannot be made, the upgrade does not start.

No Qt, no SQLAlchemy sessions: plain `sqlite3`, so it works on a database the ORM cannot
open (an old schema, a file from a newer version). Errors the user can act on are raised as
`BackupError` with a one-line reason.
"""
from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from desktop_app.db.ids import DEVICE_KEY, new_device_id
from desktop_app.db.migrate import alembic_config, stored_revision
from desktop_app.db.session import DB_FILENAME

log = logging.getLogger(__name__)

BACKUP_DIR = "backups"
KEEP_AUTOMATIC = 5
AUTOMATIC_PREFIX = "before-upgrade-"
STAMP_FORMAT = "%Y%m%d-%H%M%S"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is the one-line reason."""


@dataclass(frozen=True)
class BackupInfo:
    """What a database file holds, as far as a restore needs to know."""

    path: Path
    revision: str
    students: int
    attempts: int


@dataclass(frozen=True)
class RestoreReport:
    restored: BackupInfo
    replaced: Path | None  # where the previous database was kept (None: there was none)


def database_file(data_dir: Path) -> Path:
    return Path(data_dir) / DB_FILENAME


def _stamp(now: datetime | None = None) -> str:
    return (now or datetime.now()).strftime(STAMP_FORMAT)


def _free_name(path: Path) -> Path:
    """`path`, or `path` with -2, -3 ... before the suffix if it exists (two in one second)."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


def _connect_read_only(path: Path) -> sqlite3.Connection:
    # mode=ro: a candidate for restore, or a database being backed up, is never written by us
    # (and a path that does not exist is an error, not a new empty database).
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)


def _integrity_problem(conn: sqlite3.Connection) -> str | None:
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check(5)")]
    return None if rows == ["ok"] else "; ".join(str(r) for r in rows)


def _fsync(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return  # directories cannot be opened on Windows; NTFS metadata is journalled anyway
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _copy(source: sqlite3.Connection, dest: Path) -> Path:
    """Copy `source` into a new self-contained, checked file `dest` (atomically)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        target = sqlite3.connect(partial)
        try:
            source.backup(target)  # one step: a single consistent snapshot
            target.execute("PRAGMA journal_mode=DELETE")
            problem = _integrity_problem(target)
        finally:
            target.close()
        if problem:
            raise BackupError(f"the copy failed SQLite's integrity check: {problem}")
        _fsync(partial)
        os.replace(partial, dest)
        _fsync(dest.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return dest


def backup_database(data_dir: Path, out: Path) -> Path:
    """Copy the database in `data_dir` to `out` (a file, or a folder to put a dated file in).

    Safe while the app runs. Returns the file written. Raises BackupError when there is no
    database or the copy cannot be written.
    """
    live = database_file(data_dir)
    if not live.is_file():
        raise BackupError(f"no database in {data_dir}")
    out = Path(out)
    if out.is_dir():
        out = _free_name(out / f"adaptive-learning-{_stamp()}.sqlite3")
    if out.resolve() == live.resolve():
        raise BackupError("the backup file cannot be the database itself")
    try:
        source = _connect_read_only(live)
        try:
            return _copy(source, out)
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot back up {live}: {exc}") from None
    except OSError as exc:
        raise BackupError(f"cannot write {out}: {exc.strerror or exc}") from None


# --- what a file holds -------------------------------------------------------------------

def _scripts():  # type: ignore[no-untyped-def]  # alembic.script.ScriptDirectory
    from alembic.script import ScriptDirectory  # only when a migration is considered

    return ScriptDirectory.from_config(alembic_config())


def known_revisions() -> set[str]:
    return {script.revision for script in _scripts().walk_revisions()}


def head_revision() -> str:
    head = _scripts().get_current_head()
    assert head is not None, "the migration history is empty"
    return head


def _count(conn: sqlite3.Connection, table: str) -> int:
    try:
        return int(conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # a schema without that table


def _unreadable(path: Path, exc: sqlite3.DatabaseError) -> str:
    if "not a database" in str(exc):
        return f"{path} is not a SQLite database"
    return f"{path} is damaged ({exc})"


def inspect_database(conn: sqlite3.Connection, path: Path) -> BackupInfo:
    """Check that `conn` is an intact Adaptive Learning database this app can open.

    Raises BackupError naming the first problem: not SQLite, damaged, not ours, or a schema
    version from a newer release.
    """
    try:
        problem = _integrity_problem(conn)
        if problem:
            raise BackupError(f"{path} is damaged (SQLite integrity check: {problem})")
        revision = stored_revision(conn)
        if revision is None:
            raise BackupError(f"{path} is not an Adaptive Learning database (it has no schema version)")
        if revision not in known_revisions():
            raise BackupError(f"{path} has schema version {revision}, which this version of Adaptive Learning "
                              "does not know (was it made by a newer version?)")
        students = _count(conn, "users")
        attempts = _count(conn, "question_attempts")
    except sqlite3.DatabaseError as exc:
        raise BackupError(_unreadable(path, exc)) from None
    return BackupInfo(path=path, revision=revision, students=students, attempts=attempts)


# --- restore -----------------------------------------------------------------------------

def _take_exclusive(live: Path) -> sqlite3.Connection:
    """Open the live database alone: fold the WAL into the file and leave WAL mode, which
    SQLite only allows when no other connection (the app, the sync worker) has it open."""
    conn = sqlite3.connect(live, timeout=0)
    try:
        mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    except sqlite3.OperationalError:
        mode = "busy"
    if str(mode).lower() != "delete":
        conn.close()
        raise BackupError("the database is in use: close Adaptive Learning (and any running command) first")
    return conn


def restore_database(data_dir: Path, file: Path, *, now: datetime | None = None) -> RestoreReport:
    """Replace the database in `data_dir` with the backup `file`, after checking the backup.

    Nothing is replaced unless the backup passes every check and the live database is not in
    use. The replaced database is kept beside it (`...replaced-YYYYmmdd-HHMMSS`). A backup
    at an older schema is fine: the next start upgrades it (after an automatic backup).
    Raises BackupError with the reason.
    """
    data_dir, file = Path(data_dir), Path(file)
    if not file.is_file():
        raise BackupError(f"{file}: no such file")
    live = database_file(data_dir)
    if live.exists() and file.resolve() == live.resolve():
        raise BackupError("that file is the database itself")
    data_dir.mkdir(parents=True, exist_ok=True)
    staged = data_dir / f".{DB_FILENAME}.restoring"
    try:
        source = _connect_read_only(file)
        try:
            inspect_database(source, file)  # before copying: a bad file is refused fast
            _copy(source, staged)
        finally:
            source.close()
        _keep_device(staged, live)
        check = _connect_read_only(staged)
        try:
            info = inspect_database(check, file)  # what will be put in place, checked again
        finally:
            check.close()
        replaced = _swap_in(live, staged, now=now)
    except sqlite3.DatabaseError as exc:
        raise BackupError(_unreadable(file, exc)) from None
    except OSError as exc:
        raise BackupError(f"cannot restore into {data_dir}: {exc.strerror or exc}") from None
    finally:
        staged.unlink(missing_ok=True)
        Path(f"{staged}.partial").unlink(missing_ok=True)
    log.info("restored %s into %s (revision %s); previous database kept at %s", file, live, info.revision, replaced)
    return RestoreReport(restored=info, replaced=replaced)


def _keep_device(staged: Path, live: Path) -> None:
    """Give the database being restored this laptop's device id: that of the database it
    replaces, or a new one. A backup carries the device id of the laptop that made it;
    restored elsewhere, two laptops would share one id, and each would then take the
    other's answers for its own and leave them out of its pulls (sync repairs that with a
    pull from the start, every round)."""
    device = None
    if live.exists():
        try:
            conn = _connect_read_only(live)
            try:
                row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (DEVICE_KEY,)).fetchone()
            finally:
                conn.close()
            device = row[0] if row else None
        except sqlite3.Error:
            device = None  # the database being replaced is unreadable: this copy is a new device
    conn = sqlite3.connect(staged)
    try:
        with conn:
            conn.execute("INSERT INTO sync_state (key, value) VALUES (?, ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                         (DEVICE_KEY, device or new_device_id()))
    finally:
        conn.close()


def _swap_in(live: Path, staged: Path, *, now: datetime | None) -> Path | None:
    if not live.exists():
        os.replace(staged, live)
        return None
    conn = _take_exclusive(live)
    try:
        aside = _free_name(live.with_name(f"{live.name}.replaced-{_stamp(now)}"))
        _copy(conn, aside)
    finally:
        conn.close()
    # The live file now stands alone (journal mode DELETE); a stale -wal/-shm beside the new
    # file would be replayed into it, so they go before it takes the name.
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{live}{suffix}").unlink(missing_ok=True)
    os.replace(staged, live)
    _fsync(live.parent)
    return aside


# --- automatic backups before upgrades ---------------------------------------------------

def automatic_backups(data_dir: Path) -> list[Path]:
    """The automatic backups in `data_dir/backups`, oldest first."""
    folder = Path(data_dir) / BACKUP_DIR
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{AUTOMATIC_PREFIX}*.sqlite3"), key=lambda p: (p.stat().st_mtime, p.name))


def backup_before_upgrade(data_dir: Path, *, keep: int = KEEP_AUTOMATIC, now: datetime | None = None) -> Path | None:
    """Back up an existing database that is behind the newest schema; None if none was needed.

    Called before migrating (LocalDatabase.open). Nothing is done for a new or empty
    database, one already at head, or one at a revision this app does not know (the upgrade
    refuses that itself). Keeps the newest `keep` automatic backups. Raises BackupError when
    the copy cannot be made: the caller must not upgrade without it.
    """
    live = database_file(data_dir)
    if not live.is_file() or live.stat().st_size == 0:
        return None
    try:
        conn = _connect_read_only(live)
    except sqlite3.Error:
        return None  # cannot read it: the migration will report the real problem
    try:
        current = stored_revision(conn)
        head = head_revision()
        if current is None or current == head or current not in known_revisions():
            return None
        dest = _free_name(Path(data_dir) / BACKUP_DIR / f"{AUTOMATIC_PREFIX}{_stamp(now)}-schema-{current}.sqlite3")
        try:
            _copy(conn, dest)
        except (sqlite3.Error, OSError) as exc:
            raise BackupError(f"could not back up the database before upgrading it ({exc}); "
                              "nothing was changed") from None
    finally:
        conn.close()
    log.info("backed up %s (schema %s) to %s before upgrading to %s", live, current, dest, head)
    for old in automatic_backups(data_dir)[:-keep] if keep > 0 else []:
        old.unlink(missing_ok=True)
    return dest
