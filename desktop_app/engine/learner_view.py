"""What the policy needs to know about one student, as a Protocol.

The engine's policy is coded against this small view instead of the mastery model so
that it can be tested and benchmarked alone; services adapt `mastery.MasteryModel` and
a student's state to it. The mappings are read once per decision (the recalls only when
a review is considered), so an adapter hands over what it holds for the concepts the
student practised instead of answering thousands of single calls.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from desktop_app.engine.syllabus import QuestionInfo


class LearnerView(Protocol):
    def masteries(self, now: datetime) -> Mapping[str, float]:
        """Concept id -> mastery at `now`, 0..100. A concept absent from the mapping
        counts as 0. Leaving out the concepts never practised is intended: the model's
        population-rate guess for them is not evidence, and a topic should unlock on
        what the student has shown."""
        ...

    def recalls(self, now: datetime) -> Mapping[str, float]:
        """Concept id -> predicted recall at `now` after forgetting, 0..1, for every
        concept practised before; a concept absent was never practised."""
        ...

    def p_correct(self, question: QuestionInfo, now: datetime) -> float:
        """Predicted probability of answering `question` correctly at `now`, 0..1."""
        ...
