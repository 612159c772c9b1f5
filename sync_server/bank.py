"""Loading the shipped sample bank on start, with the importer the desktop uses.

The bank is imported when its (id, version) has not been loaded before, so a restart does
not overwrite a teacher's later edits, and a server release with a newer bank updates it.
Changed rows carry one server stamp, newer than any stamp of the syllabus, and enter the
change log, so devices pull them. Several servers starting at once serialise on a lock.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select, text

from desktop_app.db.models import Concept, Question, ServerMeta, Topic, TopicPrerequisite
from desktop_app.resources import SAMPLE_BANK, resource_path
from desktop_app.services.bank_format import load_bank_file
from desktop_app.services.bank_import import ImportReport, import_bank
from sync_server import changelog, content_version
from sync_server.db import Database

BANK_LOCK = 0x5A1C_0002
_SYLLABUS = (Topic, TopicPrerequisite, Concept, Question)


def load_bank(db: Database, path: Path | None = None) -> ImportReport | None:
    """Import the bank at `path` (default: the sample bank) unless this version is loaded.

    Returns the import report, or None when nothing was imported. Raises BankError.
    """
    bank = load_bank_file(path or resource_path(SAMPLE_BANK))
    key = f"bank_version:{bank['id']}"
    version = str(bank.get("version", ""))
    with db.session() as session:
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": BANK_LOCK})
        meta = session.get(ServerMeta, key)
        if meta is not None and meta.value == version:
            return None
        newest = [session.scalar(select(func.max(m.hlc))) or "" for m in _SYLLABUS]
        stamp = db.stamp_after(*newest)
        report = import_bank(session, bank, stamp=stamp)
        session.merge(ServerMeta(key=key, value=version))
        session.flush()
        entries = [changelog.Entry(m.__tablename__, row_id, None)
                   for m in _SYLLABUS for row_id in session.scalars(select(m.id).where(m.hlc == stamp))]
        raw = session.connection().connection.driver_connection
        content_version.renew(raw)  # type: ignore[arg-type]
        changelog.record(raw, entries, commit=False)  # type: ignore[arg-type]
    return report
