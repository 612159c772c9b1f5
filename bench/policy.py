"""Policy benchmark: questions until every concept of the sample syllabus is truly mastered.

A population of simulated learners (engine/simulation.py: BKT-style hidden knowledge,
prerequisites slow learning, slips, guesses, forgetting) is taught by three policies:
ours (mastery model + next-question policy), random questions, and round-robin over
concepts in syllabus order. Each learner gets the same seed under every policy. Prints a
table of medians and means; a run stops at --cap questions (counted as the cap).

    .venv/bin/python bench/policy.py [--learners 40] [--cap 4000]
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from desktop_app.engine.mastery import MasteryModel, Response  # noqa: E402
from desktop_app.engine.model_learner import ModelLearner  # noqa: E402
from desktop_app.engine.policy import Policy  # noqa: E402
from desktop_app.engine.simulation import SimulatedLearner  # noqa: E402
from desktop_app.engine.syllabus import ConceptInfo, QuestionInfo, Syllabus, TopicInfo  # noqa: E402
from desktop_app.resources import SAMPLE_BANK, resource_path  # noqa: E402
from desktop_app.services.bank_format import load_bank_file  # noqa: E402

START = datetime(2026, 1, 5, 16, 0, tzinfo=timezone.utc)
PER_DAY = 40


def sample_syllabus() -> Syllabus:
    bank = load_bank_file(resource_path(SAMPLE_BANK))
    return Syllabus(
        topics=tuple(TopicInfo(id=t["id"], name=t["name"], parent_id=t.get("parent"),
                               exam_weightage=float(t.get("exam_weightage", 0)),
                               estimated_hours=float(t.get("estimated_hours", 0)),
                               prerequisites=tuple(t.get("prerequisites", []))) for t in bank["topics"]),
        concepts=tuple(ConceptInfo(id=c["id"], topic_id=c["topic"], name=c["name"]) for c in bank["concepts"]),
        questions=tuple(QuestionInfo(id=q["id"], concept_id=q["concept"], difficulty=q["difficulty"], type=q["type"])
                        for q in bank["questions"]),
    )


Chooser = Callable[[int, datetime], QuestionInfo]


def run(syllabus: Syllabus, make_chooser: Callable[[], tuple[Chooser, Callable[[QuestionInfo, bool, datetime], None]]],
        *, seed: int, cap: int) -> int:
    hidden = SimulatedLearner(syllabus, seed=seed)
    choose, observe = make_chooser()
    for n in range(cap):
        if hidden.all_mastered():
            return n
        day, slot = divmod(n, PER_DAY)
        at = START + timedelta(days=day, seconds=90 * slot)
        question = choose(n, at)
        answer = hidden.answer(question, at)
        observe(question, answer.correct, at)
    return cap


def ours(syllabus: Syllabus, seed: int):  # type: ignore[no-untyped-def]
    policy, model = Policy(syllabus), MasteryModel()

    def make():  # type: ignore[no-untyped-def]
        learner = ModelLearner(model, model.new_state())
        recent: list[str] = []
        by_id = {q.id: q for q in syllabus.questions}

        def choose(n: int, at: datetime) -> QuestionInfo:
            choice = policy.next_question(learner, now=at, seed=seed * 100_003 + n, recent=recent)
            return by_id[choice.question_id]

        def observe(q: QuestionInfo, correct: bool, at: datetime) -> None:
            learner.update(Response(concept_id=q.concept_id, question_id=q.id, correct=correct, at=at,
                                         difficulty=q.difficulty))
            recent.append(q.id)
            del recent[:-5]
        return choose, observe
    return make


def random_choice(syllabus: Syllabus, seed: int):  # type: ignore[no-untyped-def]
    def make():  # type: ignore[no-untyped-def]
        rng = random.Random(seed)
        return (lambda n, at: rng.choice(syllabus.questions)), (lambda q, c, at: None)
    return make


def round_robin(syllabus: Syllabus, seed: int):  # type: ignore[no-untyped-def]
    def make():  # type: ignore[no-untyped-def]
        rng = random.Random(seed)
        per_concept = {c.id: [q for q in syllabus.questions if q.concept_id == c.id] for c in syllabus.concepts}
        order = [c.id for c in syllabus.concepts if per_concept[c.id]]
        return (lambda n, at: rng.choice(per_concept[order[n % len(order)]])), (lambda q, c, at: None)
    return make


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=40)
    parser.add_argument("--cap", type=int, default=4000)
    args = parser.parse_args()
    syllabus = sample_syllabus()
    results: dict[str, list[int]] = {}
    started = time.perf_counter()
    for name, policy in (("ours", ours), ("random", random_choice), ("round-robin", round_robin)):
        results[name] = [run(syllabus, policy(syllabus, seed), seed=seed, cap=args.cap) for seed in range(args.learners)]
    elapsed = time.perf_counter() - started
    print(f"Sample syllabus: {len(syllabus.topics)} topics, {len(syllabus.concepts)} concepts, "
          f"{len(syllabus.questions)} questions; {args.learners} simulated learners per policy; cap {args.cap}")
    print(f"{'policy':<12} {'median':>8} {'mean':>8} {'p90':>8} {'capped':>7}  fewer questions than random (median)")
    base = statistics.median(results["random"])
    for name, counts in results.items():
        p90 = sorted(counts)[int(0.9 * (len(counts) - 1))]
        print(f"{name:<12} {statistics.median(counts):>8.0f} {statistics.mean(counts):>8.0f} {p90:>8} "
              f"{sum(c >= args.cap for c in counts):>7}  {1 - statistics.median(counts) / base:>+8.0%}")
    print(f"({elapsed:.1f} s)")


if __name__ == "__main__":
    main()
