"""`--smoke-test`: prove an installation works end to end, in seconds, with no screen.

    AdaptiveLearning --smoke-test --data-dir TMP        (the frozen app)
    python -m desktop_app --smoke-test --data-dir TMP   (from source)

Run after every build (tests/packaging) and useful on a student's machine when support
asks "does it start at all?". In a fresh `--data-dir` it:

1. creates and migrates a new database and loads the shipped sample bank (so the bundle's
   Alembic scripts and resources are found, and SQLite works);
2. checks the icons and stylesheet are in place and which keyring backend was found;
3. opens the main window offscreen (QT_QPA_PLATFORM=offscreen unless set) and waits until
   it has routed to its first page (Qt plugins, the task runner, the window's own start);
4. creates a student and answers one question through the practice services, then checks
   the attempt, its mastery row and its outbox row are stored.

Prints one line per step and exits 0; on the first failure prints
`smoke test failed at <step>: <reason>` on stderr, logs the traceback and exits 1.
Nothing outside `data_dir` is written except the log (window settings go to a file in
`data_dir`, secrets to the owner-only fallback file there). Without `--data-dir` it runs in
a temporary folder, removed afterwards; a folder that already holds a database is refused,
so a student's real data never gets a test account in it.
"""
from __future__ import annotations

import logging
import os
import secrets
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from importlib.metadata import entry_points
from pathlib import Path

from sqlalchemy import func, select, text

from desktop_app.db.database import LocalDatabase
from desktop_app.db.models import ConceptMastery, Question, QuestionAttempt, SyncOperation
from desktop_app.db.session import DB_FILENAME
from desktop_app.resources import resource_path

log = logging.getLogger(__name__)
WINDOW_TIMEOUT_MS = 60_000


class SmokeFailure(Exception):
    """A step found something wrong; the message is the one-line reason."""


def _database(data_dir: Path) -> tuple[LocalDatabase, str]:
    from desktop_app.db.migrate import alembic_config
    from alembic.script import ScriptDirectory

    from desktop_app.services.setup import initialise

    db, report = initialise(data_dir)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with db.engine.connect() as conn:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        questions = conn.execute(select(func.count()).select_from(Question)).scalar_one()
    if revision != head:
        raise SmokeFailure(f"database at revision {revision}, expected {head}")
    if report is None or questions == 0:
        raise SmokeFailure("the sample bank was not loaded")
    return db, f"new database at revision {revision}, sample bank with {questions} questions"


def _resources() -> str:
    import keyring

    needed = [resource_path("icons", "app.svg"), resource_path("styles", "app.qss")]
    missing = [str(p) for p in needed if not p.is_file()]
    if missing:
        raise SmokeFailure(f"missing resources: {', '.join(missing)}")
    # keyring finds its OS backends through its package metadata; a bundle without it would
    # quietly fall back to the secrets file on every machine.
    known = entry_points(group="keyring.backends")
    if not known:
        raise SmokeFailure("keyring lists no backends (its package metadata is missing)")
    backend = keyring.get_keyring()
    return (f"icons and styles found; keyring knows {len(known)} backends, uses "
            f"{type(backend).__module__}.{type(backend).__name__}")


def _window(data_dir: Path) -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QSettings, QTimer

    from desktop_app.credentials import SecretStore
    from desktop_app.ui.app import SECRETS_FILE, application, build_window

    app = application()
    settings = QSettings(str(data_dir / "smoke-settings.ini"), QSettings.Format.IniFormat)
    window = build_window(data_dir, settings=settings, secrets=SecretStore(data_dir / SECRETS_FILE))
    loop = QEventLoop()
    routed: list[bool] = []
    window.ready.connect(lambda: (routed.append(True), loop.quit()))
    QTimer.singleShot(WINDOW_TIMEOUT_MS, loop.quit)
    window.show()
    window.start()
    if not routed:
        loop.exec()
    page = window.pages.currentWidget()
    page_name = type(page).__name__ if page is not None else "nothing"
    platform = app.platformName()
    window.close()
    window.runner.shutdown()
    if window.runner.db is not None:
        window.runner.db.close()
    window.deleteLater()
    if not routed:
        raise SmokeFailure(f"the main window did not finish opening within {WINDOW_TIMEOUT_MS // 1000} s")
    return f"main window opened on the '{platform}' platform, showing {page_name}"


def _answer(db: LocalDatabase) -> str:
    from desktop_app.services import practice
    from desktop_app.services.accounts import create_account

    now = datetime.now(timezone.utc)
    with db.transaction() as session:
        student = create_account(session, username=f"smoke-{secrets.token_hex(3)}", password=secrets.token_urlsafe(12))
        choice = practice.next_question(session, student_id=student.id, now=now)
        if choice is None:
            raise SmokeFailure("the engine offered no question")
        question = session.get(Question, choice.question.id)
        assert question is not None
        feedback = practice.submit_answer(session, student_id=student.id, question_id=question.id,
                                          answer=question.correct_answer, time_taken_seconds=12.0, confidence=4,
                                          now=now)
    if not feedback.is_correct:
        raise SmokeFailure(f"the right answer to {question.id} was graded wrong")
    with db.transaction() as session:
        attempts = session.scalar(select(func.count()).select_from(QuestionAttempt)
                                  .where(QuestionAttempt.student_id == student.id))
        mastery = session.scalar(select(ConceptMastery.total_attempts).where(ConceptMastery.student_id == student.id))
        queued = session.scalar(select(func.count()).select_from(SyncOperation)
                                .where(SyncOperation.row_id == feedback.attempt_id))
    if (attempts, mastery, queued) != (1, 1, 1):
        raise SmokeFailure(f"after one answer: {attempts} attempts, mastery counts {mastery}, {queued} outbox rows")
    return (f"answered '{choice.question.concept_name}' correctly; mastery "
            f"{feedback.mastery_before:.0f} -> {feedback.mastery_after:.0f}; attempt queued for sync")


def run_smoke_test(data_dir: Path | None, *, out: Callable[[str], None] = print) -> int:
    """Run the steps above in `data_dir` (None: a temporary folder); returns the exit code
    (0 passed, 1 failed)."""
    if data_dir is None:
        with tempfile.TemporaryDirectory(prefix="adaptive-learning-smoke-") as folder:
            return run_smoke_test(Path(folder), out=out)
    data_dir = Path(data_dir)
    db: LocalDatabase | None = None
    step = "database"
    try:
        if (data_dir / DB_FILENAME).exists():
            raise SmokeFailure(f"{data_dir} already holds a database; give an empty --data-dir")
        db, said = _database(data_dir)
        out(f"ok  {step}: {said}")
        for step, check in (("resources", _resources), ("window", lambda: _window(data_dir)),
                            ("answer", lambda: _answer(db))):  # type: ignore[arg-type]
            out(f"ok  {step}: {check()}")
    except Exception as exc:  # noqa: BLE001 - every failure becomes the one-line reason
        reason = str(exc) if isinstance(exc, SmokeFailure) else f"{type(exc).__name__}: {exc}"
        log.exception("smoke test failed at %s", step)
        print(f"smoke test failed at {step}: {reason}", file=sys.stderr)
        return 1
    finally:
        if db is not None:
            db.close()
    out("smoke test passed")
    log.info("smoke test passed in %s", data_dir)
    return 0
