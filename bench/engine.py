"""Engine speed on a large syllabus: next-question decision, recording an attempt, planning.

Data: a generated syllabus of 500 topics / 5,000 concepts / 50,000 questions and a
student history of 200,000 attempts (engine/synthetic.py; bulk-inserted into a real
SQLite file for the recording benchmark, bypassing the outbox to build it quickly).
Prints medians and p99 in milliseconds. Targets (issue 3): decision p99 <= 2 ms,
recording p99 <= 5 ms, a 180-day plan over 500 topics <= 50 ms.

    .venv/bin/python bench/engine.py [--decisions 2000] [--records 500]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from desktop_app.db.database import LocalDatabase  # noqa: E402
from desktop_app.db.ids import new_id  # noqa: E402
from desktop_app.db.models import Concept, Question, QuestionAttempt, SyncState, Topic, TopicPrerequisite, User  # noqa: E402
from desktop_app.db.outbox import CONTENT_VERSION_KEY  # noqa: E402
from desktop_app.engine.mastery import MasteryModel, Response  # noqa: E402
from desktop_app.engine.model_learner import ModelLearner  # noqa: E402
from desktop_app.engine.planner import make_plan  # noqa: E402
from desktop_app.engine.policy import Policy  # noqa: E402
from desktop_app.engine.synthetic import generate_syllabus  # noqa: E402
from desktop_app.services import practice  # noqa: E402

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
HISTORY = 200_000


def stats(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    return (statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000,
            ordered[-1] * 1000)


class Timer:
    """Wall time and this thread's CPU time of each timed block.

    On a shared 2-core machine the wall-clock p99 mostly measures other processes taking the
    CPU; the CPU-time p99 is the work itself. Both are printed.
    """

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __enter__(self) -> "Timer":
        self._w, self._c = time.perf_counter(), time.thread_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cpu.append(time.thread_time() - self._c)
        self.wall.append(time.perf_counter() - self._w)

    def stats(self) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        return stats(self.wall), stats(self.cpu)


def history(syllabus, n: int, seed: int):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    qs = syllabus.questions
    for i in range(n):
        q = qs[rng.randrange(len(qs))]
        yield q, rng.random() < 0.7, START + timedelta(seconds=60 * i)


def bench_decision(syllabus, decisions: int) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    policy, model = Policy(syllabus), MasteryModel()
    learner = ModelLearner(model, model.new_state())
    for q, correct, at in history(syllabus, HISTORY, 1):
        learner.update(Response(concept_id=q.concept_id, question_id=q.id, correct=correct, at=at,
                                difficulty=q.difficulty))
    by_id = {q.id: q for q in syllabus.questions}
    now, recent, timer, rng = START + timedelta(seconds=60 * HISTORY), [], Timer(), random.Random(2)
    for i in range(decisions):
        with timer:
            choice = policy.next_question(learner, now=now, seed=i, recent=recent)
        q = by_id[choice.question_id]
        learner.update(Response(concept_id=q.concept_id, question_id=q.id, correct=rng.random() < 0.7, at=now,
                                difficulty=q.difficulty))
        recent = (recent + [q.id])[-5:]
        now += timedelta(seconds=60)
    return timer.stats()


def build_database(syllabus, folder: Path) -> tuple[LocalDatabase, str]:  # type: ignore[no-untyped-def]
    db = LocalDatabase.open(folder)
    meta = {"hlc": "", "field_stamps": {}, "deleted": False}
    student = new_id()
    with db.engine.begin() as conn:
        conn.execute(insert(User), [{"id": student, "username": "bench", "password_hash": "x", "role": "student",
                                     "created_at": START}])
        conn.execute(insert(Topic), [{"id": t.id, "bank_id": "bench", "local_id": t.id, "name": t.name,
                                      "exam_weightage": t.exam_weightage, "estimated_hours": t.estimated_hours,
                                      "position": i, **meta} for i, t in enumerate(syllabus.topics)])
        conn.execute(insert(TopicPrerequisite), [{"id": new_id(), "topic_id": t.id, "prerequisite_id": p, **meta}
                                                 for t in syllabus.topics for p in t.prerequisites])
        conn.execute(insert(Concept), [{"id": c.id, "topic_id": c.topic_id, "local_id": c.id, "name": c.name,
                                        "position": i, **meta} for i, c in enumerate(syllabus.concepts)])
        conn.execute(insert(Question), [{"id": q.id, "concept_id": q.concept_id, "local_id": q.id, "type": "mcq",
                                         "text": f"Question {q.id}", "options": ["a", "b", "c", "d"],
                                         "correct_answer": "a", "difficulty": q.difficulty, "explanation": "...",
                                         **meta} for q in syllabus.questions])
        rows = [{"id": new_id(), "student_id": student, "question_id": q.id, "answer": "a" if ok else "b",
                 "is_correct": ok, "time_taken_seconds": 30.0, "timestamp": at, **meta}
                for q, ok, at in history(syllabus, HISTORY, 1)]
        for i in range(0, len(rows), 20_000):
            conn.execute(insert(QuestionAttempt), rows[i:i + 20_000])
        conn.execute(insert(SyncState), [{"key": CONTENT_VERSION_KEY, "value": new_id()}])
    return db, student


def bench_recording(syllabus, records: int) -> tuple[tuple[float, float, float], float, float]:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as folder:
        t = time.perf_counter()
        db, student = build_database(syllabus, Path(folder))
        built = time.perf_counter() - t
        rng = random.Random(3)
        now = START + timedelta(seconds=60 * HISTORY)
        t = time.perf_counter()
        with db.transaction() as s:  # first use in this process: the history is replayed once
            practice.next_question(s, student_id=student, now=now)
        warm = time.perf_counter() - t
        timer = Timer()
        for _ in range(records):
            q = syllabus.questions[rng.randrange(len(syllabus.questions))]
            with timer, db.transaction() as s:
                practice.submit_answer(s, student_id=student, question_id=q.id, answer=rng.choice("ab"),
                                       time_taken_seconds=20.0, confidence=3, now=now)
            now += timedelta(seconds=60)
        db.close()
    return timer.stats(), built, warm


def bench_plan(syllabus, runs: int) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    rng = random.Random(4)
    timer = Timer()
    for _ in range(runs):
        mastery = {t.id: rng.uniform(0, 90) for t in syllabus.topics}
        with timer:
            make_plan(syllabus, mastery=mastery, today=date(2026, 1, 1), exam_date=date(2026, 6, 30), hours_per_day=3.0)
    return timer.stats()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=2000)
    parser.add_argument("--records", type=int, default=500)
    parser.add_argument("--plans", type=int, default=30)
    args = parser.parse_args()
    syllabus = generate_syllabus(topics=500, concepts_per_topic=10, questions_per_concept=10, seed=1)
    print(f"Syllabus: {len(syllabus.topics)} topics, {len(syllabus.concepts)} concepts, "
          f"{len(syllabus.questions)} questions; history {HISTORY:,} attempts")
    decision = bench_decision(syllabus, args.decisions)
    recording, built, warm = bench_recording(syllabus, args.records)
    plan = bench_plan(syllabus, args.plans)
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores)")
    print(f"{'operation':<52} {'n':>6} {'clock':>6} {'median ms':>10} {'p99 ms':>8} {'max ms':>8} {'target':>10}")
    rows = [("next-question decision (engine)", args.decisions, decision, "p99 <= 2"),
            ("record one attempt (SQLite: attempt+mastery+outbox)", args.records, recording, "p99 <= 5"),
            ("180-day plan over 500 topics", args.plans, plan, "<= 50")]
    for name, n, (wall, cpu), target in rows:
        for clock, (med, p99, worst) in (("wall", wall), ("cpu", cpu)):
            print(f"{name:<52} {n:>6} {clock:>6} {med:>10.2f} {p99:>8.2f} {worst:>8.2f} {target:>10}")
    print(f"(building the SQLite file: {built:.1f} s; first decision in a process, replaying "
          f"{HISTORY:,} attempts: {warm * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
