"""The learner's view of the syllabus: model parameters it cannot read are left out, not fatal."""
from __future__ import annotations

from sqlalchemy import select, update

from desktop_app.db.models import Concept, Question
from desktop_app.services import learner


def test_unreadable_model_params_fall_back_to_the_defaults(db) -> None:  # type: ignore[no-untyped-def]
    """A syllabus row stored before the checks (or by an older server) must not stop every
    screen that builds the model: its parameters are ignored, the others still count."""
    with db.transaction() as s:
        concepts = s.scalars(select(Concept).order_by(Concept.id)).all()
        questions = s.scalars(select(Question).order_by(Question.id)).all()
        s.execute(update(Concept).where(Concept.id == concepts[0].id).values(model_params=["intercept"]))
        s.execute(update(Concept).where(Concept.id == concepts[1].id).values(model_params={"intercept": "high"}))
        s.execute(update(Concept).where(Concept.id == concepts[2].id).values(model_params={"intercept": -0.7}))
        s.execute(update(Question).where(Question.id == questions[0].id).values(model_params="difficulty"))
        s.execute(update(Question).where(Question.id == questions[1].id).values(model_params={"difficulty": 1.5}))
    learner.forget()
    with db.transaction() as s:
        params = learner.content(s).model.params
    assert concepts[0].id not in params.concept_intercepts and concepts[1].id not in params.concept_intercepts
    assert params.concept_intercepts[concepts[2].id] == -0.7
    assert questions[0].id not in params.question_difficulty
    assert params.question_difficulty[questions[1].id] == 1.5
