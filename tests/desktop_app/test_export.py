"""A student's record as CSV: what a spreadsheet opens, matching what the app stores."""
from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from desktop_app.db.models import Concept, ConceptMastery, Question, QuestionAttempt
from desktop_app.services import learner
from desktop_app.services.export import ATTEMPT_COLUMNS, MASTERY_COLUMNS, export_progress, safe_cell
from desktop_app.services.progress import record_attempt
from desktop_app.services.setup import initialise
from desktop_app.services.simulate import ensure_student, simulate
from tests.desktop_app.clirun import run_cli


def _read(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the file as UTF-8
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def studied(data_dir: Path) -> Path:
    db, _ = initialise(data_dir)
    try:
        simulate(db, student="Ann", answers=40, seed=3)
        simulate(db, student="bob", answers=5, seed=4)  # someone else's answers stay out of Ann's file
    finally:
        db.close()
        learner.forget()
    return data_dir


def test_export_command_writes_every_attempt_and_every_concept(studied: Path, tmp_path: Path) -> None:
    out = tmp_path / "ann export"
    result = run_cli("export", "--data-dir", studied, "--student", "ann", "--out", out, log_dir=tmp_path / "logs")
    assert result.returncode == 0, result.stderr
    assert "Exported 40 answers" in result.stdout

    attempts = _read(out / "attempts.csv")
    mastery = _read(out / "mastery.csv")
    assert tuple(attempts[0]) == ATTEMPT_COLUMNS and tuple(mastery[0]) == MASTERY_COLUMNS
    assert len(attempts) == 40
    assert [a["timestamp"] for a in attempts] == sorted(a["timestamp"] for a in attempts)
    assert all(a["correct"] in ("yes", "no") and a["question"] and a["concept"] and a["topic"] for a in attempts)
    assert all(datetime.fromisoformat(a["timestamp"]).tzinfo is not None for a in attempts)

    db, _ = initialise(studied)
    try:
        with db.transaction() as session:
            concepts = session.scalar(select(func.count()).select_from(Concept).where(Concept.deleted.is_(False)))
            stored = {name: row for name, row in session.execute(
                select(Concept.name, ConceptMastery).join(ConceptMastery, ConceptMastery.concept_id == Concept.id)
                .where(ConceptMastery.student_id == ensure_student(session, "Ann", today=datetime.now().date())))}
    finally:
        db.close()
    assert len(mastery) == concepts  # never-practised concepts are listed too: what is left to do
    assert sum(int(m["attempts"]) for m in mastery) == 40
    assert sum(int(m["correct"]) for m in mastery) == sum(a["correct"] == "yes" for a in attempts)
    for row in mastery:
        if row["concept"] in stored:
            assert float(row["mastery"]) == pytest.approx(stored[row["concept"]].mastery_score, abs=0.05)
        else:
            assert (row["mastery"], row["attempts"], row["last_practised"]) == ("0.0", "0", "")


def test_export_of_an_unknown_student_says_so(studied: Path, tmp_path: Path) -> None:
    result = run_cli("export", "--data-dir", studied, "--student", "carol", "--out", tmp_path / "x",
                     log_dir=tmp_path / "logs")
    assert result.returncode == 1
    assert result.stderr.strip() == "adaptive-learning: no local account named 'carol'"
    assert not (tmp_path / "x").exists()


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_kept_as_text(local_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    initialise(local_db.path.parent)[0].close()
    now = datetime(2026, 3, 1, 16, 0, tzinfo=timezone.utc)
    with local_db.transaction() as session:
        student = ensure_student(session, "eve", today=now.date())
        question = session.scalars(select(Question).where(Question.type == "numerical")).first()
        assert question is not None
        record_attempt(session, student_id=student, question_id=question.id, answer="=HYPERLINK(\"http://x\")",
                       is_correct=False, time_taken_seconds=5, confidence=None, now=now)
        record_attempt(session, student_id=student, question_id=question.id, answer="-3.5",
                       is_correct=False, time_taken_seconds=5, confidence=2, now=now.replace(minute=1))
    with local_db.transaction() as session:
        report = export_progress(session, student_id=student, folder=tmp_path / "eve")
        assert session.scalar(select(func.count()).select_from(QuestionAttempt)) == 2
    learner.forget()
    answers = [a["answer"] for a in _read(report.files[0])]
    assert answers == ["'=HYPERLINK(\"http://x\")", "-3.5"]
    assert [a["confidence"] for a in _read(report.files[0])] == ["", "2"]


@pytest.mark.parametrize(("cell", "shown"), [
    ("=1+2", "'=1+2"), ("+44 20", "'+44 20"), ("@SUM(A1)", "'@SUM(A1)"), ("-x", "'-x"),
    ("-3", "-3"), ("+2.5", "+2.5"), ("1e-3", "1e-3"), ("3/4", "3/4"), ("", ""), (None, ""), (7, "7"),
])
def test_safe_cell(cell: object, shown: str) -> None:
    assert safe_cell(cell) == shown
