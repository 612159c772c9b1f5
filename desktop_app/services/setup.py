"""First-start setup: the database exists, is current, and holds the sample bank."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from desktop_app.db.database import LocalDatabase
from desktop_app.db.models import Topic
from desktop_app.db.outbox import outbox_disabled
from desktop_app.resources import SAMPLE_BANK, resource_path
from desktop_app.services.bank_format import load_bank_file
from desktop_app.services.bank_import import ImportReport, Progress, import_bank


def import_bank_file(db: LocalDatabase, path: Path, *, publish: bool = False,
                     progress: Progress | None = None) -> ImportReport:
    """Import a bank file in one transaction (all or nothing).

    A student's import is local content (not pushed); `publish=True` queues it for the
    server, which only accepts it from a teacher. Raises BankError.
    """
    bank = load_bank_file(path)
    with db.transaction() as session:
        if publish:
            return import_bank(session, bank, progress=progress)
        with outbox_disabled(session):
            return import_bank(session, bank, progress=progress)


def initialise(data_dir: Path) -> tuple[LocalDatabase, ImportReport | None]:
    """Open (create/upgrade) the database; load the sample bank if it has no syllabus yet."""
    db = LocalDatabase.open(data_dir)
    with db.transaction() as session:
        has_content = session.scalar(select(Topic.id).limit(1)) is not None
    report = None if has_content else import_bank_file(db, resource_path(SAMPLE_BANK))
    return db, report
