"""A student's own record as spreadsheet files: every attempt, and mastery per concept.

`export_progress(session, student_id=..., folder=...)` writes two CSV files into `folder`:

- attempts.csv — one row per answer, oldest first: timestamp (ISO 8601, UTC), topic,
  concept, question (its text), answer, correct (yes/no), time_seconds, confidence (1-5 or
  empty).
- mastery.csv — one row per concept of the live syllabus, in syllabus order: topic,
  concept, mastery (0-100, the same number Home shows), attempts, correct, accuracy_percent,
  avg_time_seconds, avg_confidence, last_practised (ISO 8601, UTC, or empty). Concepts never
  practised are listed with mastery 0 so the file shows what is left to do.

Why these choices: UTF-8 with a byte-order mark, so Excel shows accents and symbols
(questions hold "×", "√", "π"); files are written under a temporary name and renamed, so
a reader never sees half a file; a cell starting with = + - @ that is not a number is
prefixed with an apostrophe, because spreadsheets run such text as a formula (CSV
injection) — numbers such as "-3" stay as they are.

Read-only on the database: any transaction will do, the caller owns it. Raises LookupError
for an unknown student or username; OSError if the folder cannot be written.
"""
from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop_app.db.models import Concept, ConceptMastery, Question, QuestionAttempt, Topic, User

ATTEMPT_COLUMNS = ("timestamp", "topic", "concept", "question", "answer", "correct", "time_seconds", "confidence")
MASTERY_COLUMNS = ("topic", "concept", "mastery", "attempts", "correct", "accuracy_percent", "avg_time_seconds",
                   "avg_confidence", "last_practised")
ATTEMPTS_FILE = "attempts.csv"
MASTERY_FILE = "mastery.csv"
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class ExportReport:
    folder: Path
    attempts: int
    concepts: int
    files: tuple[Path, ...]


def student_id_for(session: Session, username: str) -> str:
    """The id of the local account `username` (case-insensitive); raises LookupError."""
    found = session.scalar(select(User.id).where(func.lower(User.username) == " ".join(username.split()).lower()))
    if found is None:
        raise LookupError(f"no local account named {username!r}")
    return found


def safe_cell(value: object) -> str:
    """Text for a CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.match(text):
        return "'" + text
    return text


def _iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def _write_csv(path: Path, header: tuple[str, ...], rows: list[list[object]]) -> None:
    partial = path.with_name(path.name + ".partial")
    try:
        with open(partial, "w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows([safe_cell(v) for v in row] for row in rows)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _attempt_rows(session: Session, student_id: str) -> list[list[object]]:
    rows = session.execute(
        select(QuestionAttempt.timestamp, Topic.name, Concept.name, Question.text, QuestionAttempt.answer,
               QuestionAttempt.is_correct, QuestionAttempt.time_taken_seconds, QuestionAttempt.confidence)
        .join(Question, Question.id == QuestionAttempt.question_id)
        .join(Concept, Concept.id == Question.concept_id)
        .join(Topic, Topic.id == Concept.topic_id)
        .where(QuestionAttempt.student_id == student_id, QuestionAttempt.deleted.is_(False))
        .order_by(QuestionAttempt.timestamp, QuestionAttempt.id)).all()
    return [[_iso(at), topic, concept, text, answer, "yes" if correct else "no", f"{seconds:.1f}",
             "" if confidence is None else confidence]
            for at, topic, concept, text, answer, correct, seconds, confidence in rows]


def _mastery_rows(session: Session, student_id: str) -> list[list[object]]:
    stored = {m.concept_id: m for m in session.scalars(
        select(ConceptMastery).where(ConceptMastery.student_id == student_id))}
    concepts = session.execute(
        select(Topic.name, Concept.id, Concept.name).join(Topic, Topic.id == Concept.topic_id)
        .where(Concept.deleted.is_(False), Topic.deleted.is_(False))
        .order_by(Topic.position, Topic.name, Concept.position, Concept.name)).all()
    rows: list[list[object]] = []
    for topic, concept_id, concept in concepts:
        m = stored.get(concept_id)
        if m is None or m.total_attempts == 0:
            rows.append([topic, concept, "0.0", 0, 0, "", "", "", ""])
            continue
        rows.append([topic, concept, f"{m.mastery_score:.1f}", m.total_attempts, m.correct_attempts,
                     f"{100 * m.correct_attempts / m.total_attempts:.0f}", f"{m.avg_time_seconds:.1f}",
                     "" if m.avg_confidence is None else f"{m.avg_confidence:.1f}", _iso(m.last_practised_at)])
    return rows


def export_progress(session: Session, *, student_id: str, folder: Path) -> ExportReport:
    """Write attempts.csv and mastery.csv for `student_id` into `folder` (created if missing;
    existing files of those names are replaced)."""
    if session.get(User, student_id) is None:
        raise LookupError(f"no local account with id {student_id}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    attempts = _attempt_rows(session, student_id)
    mastery = _mastery_rows(session, student_id)
    _write_csv(folder / ATTEMPTS_FILE, ATTEMPT_COLUMNS, attempts)
    _write_csv(folder / MASTERY_FILE, MASTERY_COLUMNS, mastery)
    return ExportReport(folder=folder, attempts=len(attempts), concepts=len(mastery),
                        files=(folder / ATTEMPTS_FILE, folder / MASTERY_FILE))
