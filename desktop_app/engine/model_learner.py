"""The mastery model and one student's state, seen through the policy's LearnerView."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from desktop_app.engine.mastery import MasteryModel, StudentState
from desktop_app.engine.syllabus import QuestionInfo


class ModelLearner:
    """Adapter: MasteryModel + StudentState -> learner_view.LearnerView (read-only)."""

    def __init__(self, model: MasteryModel, state: StudentState) -> None:
        self._model, self._state = model, state

    def masteries(self, now: datetime) -> Mapping[str, float]:
        return {cid: self._model.mastery(self._state, cid, now) for cid in self._state.concepts}

    def recalls(self, now: datetime) -> Mapping[str, float]:
        return {cid: self._model.recall(self._state, cid, now) for cid in self._state.concepts}

    def p_correct(self, question: QuestionInfo, now: datetime) -> float:
        return self._model.predict(self._state, concept_id=question.concept_id, question_id=question.id,
                                   difficulty=question.difficulty, now=now)
