"""Classes: a teacher creates one, students join it by code, the teacher reads its mastery.

Joining is a server-side write: the student's profile gets `class_id` under a server stamp
(newer than any stamp the row holds), so it reaches the student's devices on pull like any
other change. Joining also re-sequences the student's rows in the change log, so the
teacher's next pull brings the history of a student who joined after the teacher's cursor;
and the class row itself, so the student's device receives the class its profile points to.

Mastery is the decision engine's own number (MasteryModel.replay over the student's
attempts, desktop_app/services/learner.py), so the teacher sees what the student's app shows.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from sqlalchemy import select

from desktop_app.db.ids import new_id, singleton_id
from desktop_app.db.models import SchoolClass, StudentProfile, User
from desktop_app.services import learner
from sync_server import changelog, rows
from sync_server.auth import Caller
from sync_server.db import Database, Retry
from sync_server.errors import Forbidden, NotFound
from sync_server.merge import RowState, fill_defaults, merge
from sync_server.tables import SPECS

JOIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud in a classroom
JOIN_CODE_LENGTH = 8  # 40 bits


def profile_id(user_id: str) -> str:
    """The id of a user's student_profiles row: derived, so every device and the server agree
    (student_profiles.user_id is unique; two devices minting different ids would clash)."""
    return singleton_id("student_profiles", user_id)


def _join_code() -> str:
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def create_class(db: Database, caller: Caller, name: str) -> dict[str, str]:
    if not caller.is_teacher:
        raise Forbidden("only teachers create classes")
    spec = SPECS["classes"]

    def work(conn: psycopg.Connection) -> dict[str, str]:
        code = _join_code()
        while conn.execute("SELECT 1 FROM classes WHERE join_code = %s", (code,)).fetchone():
            code = _join_code()
        stamp = db.stamp_after()
        values = {"name": name, "teacher_id": caller.user_id, "join_code": code,
                  "created_at": datetime.now(timezone.utc), "deleted": False}
        state = RowState(row_id=new_id(), values={}, stamps={}, exists=False)
        merge(state, values, stamp)
        try:
            rows.insert(conn, spec, [state])
        except pg_errors.UniqueViolation:
            raise Retry("join code taken concurrently") from None
        changelog.record(conn, [changelog.Entry("classes", state.row_id, caller.user_id, created=True)])
        return {"class_id": state.row_id, "name": name, "join_code": code}

    return db.run(work)


def list_classes(db: Database, caller: Caller) -> list[dict[str, Any]]:
    """The caller's classes (teachers only), each with its students."""
    if not caller.is_teacher:
        raise Forbidden("only teachers list their classes")

    def work(conn: psycopg.Connection) -> list[dict[str, Any]]:
        classes = conn.execute("SELECT id, name, join_code FROM classes WHERE teacher_id = %s AND NOT deleted "
                               "ORDER BY created_at, id", (caller.user_id,)).fetchall()
        members = conn.execute(
            "SELECT p.class_id, u.id, u.username FROM student_profiles p JOIN users u ON u.id = p.user_id "
            "WHERE p.class_id = ANY(%s) AND NOT p.deleted ORDER BY u.username", ([c[0] for c in classes],)).fetchall()
        return [{"class_id": cid, "name": name, "join_code": code,
                 "students": [{"user_id": uid, "username": uname} for k, uid, uname in members if k == cid]}
                for cid, name, code in classes]

    return db.run(work, read_only=True)


def change_class(db: Database, caller: Caller, class_id: str, *, name: str | None = None,
                 delete: bool = False) -> dict[str, Any]:
    """Rename one of the caller's classes, or delete it (a tombstone, as every synced row).

    Deleting also takes its students out of it: their profiles' class_id becomes null under a
    server stamp, so each student's devices learn it on their next pull, and the teacher no
    longer reads their rows. Their own work is untouched. Raises Forbidden (not a teacher, or
    not the caller's class), NotFound (unknown_class: no such class, or deleted already).
    """
    if not caller.is_teacher:
        raise Forbidden("only teachers change classes")
    classes, profiles = SPECS["classes"], SPECS["student_profiles"]

    def work(conn: psycopg.Connection) -> dict[str, Any]:
        state = rows.load(conn, classes, [class_id], lock=True).get(class_id)  # locks: classes, then profiles
        if state is None or state.values["deleted"]:
            raise NotFound("no such class", code="unknown_class")
        if state.values["teacher_id"] != caller.user_id:
            raise Forbidden("this is not your class")
        merge(state, {"deleted": True} if delete else {"name": name}, db.stamp_after(state.hlc))
        rows.update(conn, classes, [state])
        entries = [changelog.Entry("classes", class_id, caller.user_id)]
        if delete:
            members = [r[0] for r in conn.execute(
                "SELECT id FROM student_profiles WHERE class_id = %s AND NOT deleted", (class_id,))]
            # Re-read under the lock: a student may have moved to another class meanwhile.
            left = [p for p in rows.load(conn, profiles, members, lock=True).values()
                    if p.values["class_id"] == class_id and not p.values["deleted"]]
            for profile in left:
                merge(profile, {"class_id": None}, db.stamp_after(profile.hlc))
            rows.update(conn, profiles, left)
            entries += [changelog.Entry("student_profiles", p.row_id, p.values["user_id"]) for p in left]
        changelog.record(conn, entries)
        return {"class_id": class_id, "name": state.values["name"], "deleted": delete}

    return db.run(work)


def join_class(db: Database, caller: Caller, join_code: str) -> dict[str, str]:
    if caller.role != "student":
        raise Forbidden("only students join classes")
    spec = SPECS["student_profiles"]

    def work(conn: psycopg.Connection) -> dict[str, str]:
        # FOR SHARE: a class being deleted right now is waited for, then seen deleted.
        found = conn.execute("SELECT id, name, teacher_id FROM classes WHERE join_code = %s AND NOT deleted "
                             "FOR SHARE", (join_code.strip().upper(),)).fetchone()
        if found is None:
            raise NotFound("no class has this join code", code="unknown_join_code")
        class_id, name, teacher_id = found
        row = conn.execute("SELECT id FROM student_profiles WHERE user_id = %s", (caller.user_id,)).fetchone()
        pid = row[0] if row else profile_id(caller.user_id)
        state = rows.load(conn, spec, [pid], lock=True).get(pid)
        if state is not None and state.values.get("user_id") != caller.user_id:
            # Another student pushed a profile of theirs under this student's derived id:
            # never take it over (it is theirs); this student's profile gets an id of its own.
            pid, state = new_id(), None
        if state is not None and state.values["class_id"] == class_id and not state.values["deleted"]:
            return {"class_id": class_id, "name": name}
        if state is None:
            state = RowState(row_id=pid, values={}, stamps={}, exists=False)
        merge(state, {"user_id": caller.user_id, "class_id": class_id, "deleted": False}, db.stamp_after(state.hlc))
        try:
            if state.exists:
                rows.update(conn, spec, [state])
            else:
                # Fields the student never set get their defaults under DEFAULT_STAMP: any
                # device's own value for them wins on its next push.
                fill_defaults(state, {c.name: c.default() if c.default else None for c in spec.columns.values()})
                if rows.insert(conn, spec, [state]):  # the laptop's push of it committed meanwhile
                    raise Retry("profile created concurrently")  # the next run merges into it
        except pg_errors.UniqueViolation:
            raise Retry("profile created concurrently") from None
        entries = changelog.entries_of_owner(conn, caller.user_id)
        entries += [changelog.Entry("student_profiles", pid, caller.user_id),
                    changelog.Entry("classes", class_id, teacher_id)]
        changelog.record(conn, entries)
        return {"class_id": class_id, "name": name}

    return db.run(work)


def class_mastery(db: Database, caller: Caller, class_id: str, *, now: datetime | None = None) -> dict[str, Any]:
    """Per student and topic: mean engine mastery (0-100) of the topic's concepts, and attempts.

    Raises NotFound (no such class) or Forbidden (not the caller's class).
    """
    now = now or datetime.now(timezone.utc)
    with db.session() as session:
        school_class = session.get(SchoolClass, class_id)
        if school_class is None or school_class.deleted:
            raise NotFound("no such class")
        if school_class.teacher_id != caller.user_id:
            raise Forbidden("this is not your class")
        students = session.execute(
            select(User.id, User.username).join(StudentProfile, StudentProfile.user_id == User.id)
            .where(StudentProfile.class_id == class_id, StudentProfile.deleted.is_(False))
            .order_by(User.username)).all()
        try:
            content = learner.content(session)
        except ValueError:  # no syllabus on the server yet
            content = None
        out = []
        for user_id, username in students:
            out.append({"user_id": user_id, "username": username,
                        "topics": _topics(session, content, user_id, now) if content else []})
    return {"class_id": class_id, "name": school_class.name, "method": "engine.MasteryModel.replay",
            "students": out}


def _topics(session: Any, content: learner.Content, user_id: str, now: datetime) -> list[dict[str, Any]]:
    attempts = [tuple(r[:5]) for r in learner.attempts_in_order(session, user_id)
                if r[0] in content.concept_of_question]
    state = content.model.replay(learner.response_of(a, content) for a in attempts)
    per_concept: dict[str, int] = {}
    for a in attempts:
        concept = content.concept_of_question[a[0]]
        per_concept[concept] = per_concept.get(concept, 0) + 1
    topics = []
    for topic in content.syllabus.topics:
        concepts = [c.id for c in content.syllabus.concepts if c.topic_id == topic.id]
        if not concepts:
            continue
        mastery = sum(content.model.mastery(state, c, now) for c in concepts) / len(concepts)
        topics.append({"topic_id": topic.id, "name": topic.name, "mastery": round(mastery, 1),
                       "attempts": sum(per_concept.get(c, 0) for c in concepts)})
    return topics
