"""A simulated student, for demos, benchmarks and tests.

Hidden knowledge follows a BKT-style process per concept: a concept is either known or
not; each practice of an unknown concept teaches it with probability `learn` (much less
while the topic's prerequisites are still unknown — that is what makes order matter);
answers are right with probability 1 - slip when known, and by guessing otherwise (a
quarter for four options, a half for true/false, rarely for a typed number). Known
concepts can be forgotten with a small daily probability. Response times and confidence
follow knowledge: known answers are faster and more confident.

Deterministic: one `random.Random(seed)`; time is passed in.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime

from desktop_app.engine.graph import PrerequisiteGraph
from desktop_app.engine.syllabus import QuestionInfo, Syllabus

GUESS = {"mcq": 0.25, "true_false": 0.5, "numerical": 0.05}


@dataclass(frozen=True)
class LearnerTraits:
    prior: float = 0.05  # chance a concept is already known at the start
    learn: float = 0.25  # chance one practice teaches an unknown concept (prerequisites known)
    blocked_learn: float = 0.03  # the same while a prerequisite topic is not yet known
    slip: float = 0.08
    forget_per_day: float = 0.01
    difficulty_effect: float = 0.06  # each step of difficulty above 3 adds this to slip


@dataclass(frozen=True)
class SimulatedAnswer:
    correct: bool
    seconds: float
    confidence: int


class SimulatedLearner:
    def __init__(self, syllabus: Syllabus, *, seed: int, traits: LearnerTraits | None = None) -> None:
        self.traits = traits or LearnerTraits()
        self._rng = random.Random(seed)
        self._syllabus = syllabus
        graph = PrerequisiteGraph.from_edges((t.id for t in syllabus.topics),
                                             ((t.id, p) for t in syllabus.topics for p in t.prerequisites))
        self._needs = {t.id: graph.all_prerequisites(t.id) for t in syllabus.topics}
        self._concepts_of_topic: dict[str, list[str]] = {}
        for concept in syllabus.concepts:
            self._concepts_of_topic.setdefault(concept.topic_id, []).append(concept.id)
        self.known = {c.id: self._rng.random() < self.traits.prior for c in syllabus.concepts}
        self._last_seen: datetime | None = None

    def topic_known(self, topic_id: str) -> bool:
        return all(self.known[c] for c in self._concepts_of_topic.get(topic_id, ()))

    def all_mastered(self) -> bool:
        return all(self.known.values())

    def answer(self, question: QuestionInfo, now: datetime) -> SimulatedAnswer:
        """Answer `question` at `now`, then learn from the practice (hidden state changes)."""
        self._forget(now)
        t = self.traits
        known = self.known[question.concept_id]
        if known:
            slip = min(0.5, t.slip + t.difficulty_effect * max(0, question.difficulty - 3))
            correct = self._rng.random() >= slip
        else:
            correct = self._rng.random() < GUESS.get(question.type, 0.2)
        base = 25.0 + 12.0 * question.difficulty
        seconds = base * (0.7 if known else 1.4) * math.exp(self._rng.gauss(0.0, 0.35))
        confidence = max(1, min(5, round((4.2 if known else 2.2) + self._rng.gauss(0.0, 0.8))))
        if not known:
            topic = self._syllabus.concept_by_id[question.concept_id].topic_id
            ready = all(self.topic_known(p) for p in self._needs[topic])
            if self._rng.random() < (t.learn if ready else t.blocked_learn):
                self.known[question.concept_id] = True
        return SimulatedAnswer(correct=correct, seconds=round(seconds, 1), confidence=confidence)

    def _forget(self, now: datetime) -> None:
        if self._last_seen is not None:
            days = max(0.0, (now - self._last_seen).total_seconds() / 86_400)
            if days >= 0.5:
                p = 1.0 - (1.0 - self.traits.forget_per_day) ** days
                for concept, known in self.known.items():
                    if known and self._rng.random() < p:
                        self.known[concept] = False
        self._last_seen = now
