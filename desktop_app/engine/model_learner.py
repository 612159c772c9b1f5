"""The mastery model and one student's state, seen through the policy's LearnerView.

A decision reads the mastery and recall of every concept the student has practised: with
thousands of concepts, recomputing them all costs tens of milliseconds, while the
decision budget is 2 ms. So this adapter keeps them: an answer refreshes its own concept
at once, and everything is recomputed when the cached values are older than `REFRESH`
(forgetting is measured in days, so a few hours of staleness in the other concepts'
scores changes no decision that matters). Answers must therefore go through `update`.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from desktop_app.engine.mastery import MasteryModel, Response, StudentState
from desktop_app.engine.syllabus import QuestionInfo

REFRESH = timedelta(hours=6)


class ModelLearner:
    """Adapter: MasteryModel + StudentState -> learner_view.LearnerView. Not thread-safe."""

    def __init__(self, model: MasteryModel, state: StudentState) -> None:
        self.model, self.state = model, state
        self._at: datetime | None = None
        self._masteries: dict[str, float] = {}
        self._recalls: dict[str, float] = {}
        self._dirty: set[str] = set()
        self.latest_at: datetime | None = None  # newest answer time folded in so far
        self.answers = 0  # answers folded in (set by whoever builds the state from a history)

    def update(self, response: Response) -> None:
        """Fold one answer into the state (see MasteryModel.update) and refresh its concept."""
        self.model.update(self.state, response)
        self.answers += 1
        self._dirty.add(response.concept_id)
        if response.at is not None and (self.latest_at is None or response.at > self.latest_at):
            self.latest_at = response.at

    def _refresh(self, now: datetime) -> None:
        if self._at is None or abs(now - self._at) > REFRESH:
            concepts: Mapping[str, object] | set[str] = self.state.concepts
            self._at = now
        else:
            concepts = self._dirty
        model, state = self.model, self.state
        for cid in concepts:
            self._masteries[cid] = model.mastery(state, cid, now)
            self._recalls[cid] = model.recall(state, cid, now)
        self._dirty.clear()

    def masteries(self, now: datetime) -> Mapping[str, float]:
        self._refresh(now)
        return self._masteries

    def recalls(self, now: datetime) -> Mapping[str, float]:
        self._refresh(now)
        return self._recalls

    def p_correct(self, question: QuestionInfo, now: datetime) -> float:
        return self.model.predict(self.state, concept_id=question.concept_id, question_id=question.id,
                                  difficulty=question.difficulty, now=now)
