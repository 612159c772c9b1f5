"""A saved copy of a student's model state, so a new process need not replay every attempt.

Replaying 200,000 attempts takes seconds; loading the saved state and replaying only the
attempts that came after it takes a fraction of that. The snapshot records how many
attempts it covers and the (timestamp, id) of the last one in replay order; it is used
only if exactly that many attempts sort at or before that key and the syllabus has not
changed since. Otherwise (for instance an older attempt pulled from another laptop) the
caller replays everything: a snapshot can make loading faster, never different.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from desktop_app.db.models import QuestionAttempt, SyncState
from desktop_app.engine.mastery import StudentState

KEY_PREFIX = "learner_snapshot:"
MIN_ATTEMPTS = 500  # below this a replay is already fast


def save(session: Session, student_id: str, *, fingerprint: tuple, state: StudentState, count: int,
         last: tuple[datetime, str] | None) -> None:
    """Store the state covering `count` attempts up to `last` (in the caller's transaction)."""
    if count < MIN_ATTEMPTS or last is None:
        return
    value = json.dumps({"fingerprint": list(fingerprint), "count": count, "last_at": last[0].isoformat(),
                        "last_id": last[1], "state": state.to_dict()}, separators=(",", ":"))
    statement = sqlite_insert(SyncState).values(key=KEY_PREFIX + student_id, value=value)
    session.execute(statement.on_conflict_do_update(index_elements=[SyncState.key],
                                                    set_={"value": statement.excluded.value}))


def load(session: Session, student_id: str, *,
         fingerprint: tuple) -> tuple[StudentState, int, list[Any]] | None:
    """(saved state, attempts it covers, the attempts after it in replay order), or None when
    it cannot be trusted."""
    raw = session.scalar(select(SyncState.value).where(SyncState.key == KEY_PREFIX + student_id))
    if raw is None:
        return None
    try:
        saved = json.loads(raw)
        if tuple(saved["fingerprint"]) != tuple(fingerprint):
            return None
        last_at, last_id = datetime.fromisoformat(saved["last_at"]), saved["last_id"]
        state = StudentState.from_dict(saved["state"])
    except (KeyError, TypeError, ValueError):
        return None
    a = QuestionAttempt
    after = or_(a.timestamp > last_at, and_(a.timestamp == last_at, a.id > last_id))
    covered = session.scalar(select(func.count()).select_from(a).where(a.student_id == student_id, ~after))
    if covered != saved["count"]:
        return None
    rows = session.execute(
        select(a.question_id, a.is_correct, a.timestamp, a.time_taken_seconds, a.confidence, a.id)
        .where(a.student_id == student_id, after).order_by(a.timestamp, a.id)).all()
    return state, covered, rows
