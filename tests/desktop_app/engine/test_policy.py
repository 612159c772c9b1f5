"""The next-question policy: unlocking, value, review mix, no repeats, reasons, fallback."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.engine.graph import CycleError
from desktop_app.engine.input_errors import EmptySyllabusError, SyllabusError, UnknownConceptError
from desktop_app.engine.policy import Choice, Policy, PolicyConfig
from desktop_app.engine.syllabus import ConceptInfo, QuestionInfo, Syllabus, TopicInfo
from tests.desktop_app.engine.strategies import topic_dag
from desktop_app.engine.synthetic import generate_learner, generate_syllabus

NOW = datetime(2025, 3, 1, 9, 30)
NEVER_REVIEW = PolicyConfig(review_share=0.0)


@dataclass
class FakeLearner:
    """LearnerView with fixed answers; p_correct falls with difficulty from `skill`."""

    levels: dict[str, float] = field(default_factory=dict)
    recall_of: dict[str, float] = field(default_factory=dict)
    success_by_difficulty: dict[int, float] = field(
        default_factory=lambda: {1: 0.95, 2: 0.85, 3: 0.7, 4: 0.5, 5: 0.3}
    )

    def masteries(self, now: datetime) -> Mapping[str, float]:
        return self.levels

    def recalls(self, now: datetime) -> Mapping[str, float]:
        return self.recall_of

    def p_correct(self, question: QuestionInfo, now: datetime) -> float:
        return self.success_by_difficulty[question.difficulty]


def algebra() -> Syllabus:
    """Expressions -> Quadratics -> Sequences; Quadratics is worth 12% of the exam."""
    topics = (
        TopicInfo("alg", "Expressions", exam_weightage=10, estimated_hours=2),
        TopicInfo("quad", "Quadratics", exam_weightage=12, estimated_hours=4, prerequisites=("alg",)),
        TopicInfo("seq", "Sequences", exam_weightage=30, estimated_hours=3, prerequisites=("quad",)),
    )
    concepts = (
        ConceptInfo("simplify", "alg", "Simplifying expressions"),
        ConceptInfo("factorise", "quad", "Factorising quadratics"),
        ConceptInfo("nth", "seq", "nth term"),
    )
    questions = tuple(
        QuestionInfo(f"{c.id}-{d}", c.id, difficulty=d) for c in concepts for d in (1, 3, 5)
    )
    return Syllabus(topics, concepts, questions)


# ---------------------------------------------------------------- examples


def test_learn_reason_names_concept_gap_and_exam_weight() -> None:
    learner = FakeLearner(levels={"simplify": 90.0, "factorise": 42.0})
    choice = Policy(algebra(), NEVER_REVIEW).next_question(learner, now=NOW, seed=1)
    assert choice is not None
    assert (choice.concept_id, choice.kind) == ("factorise", "learn")
    assert choice.reason == "Factorising quadratics: unlocked, 58% to go, Quadratics is 12% of the exam"


def test_locked_topic_is_not_chosen_however_heavy() -> None:
    # Sequences (30%) waits for Quadratics, which is only 42% mastered.
    learner = FakeLearner(levels={"simplify": 90.0, "factorise": 42.0})
    policy = Policy(algebra(), NEVER_REVIEW)
    chosen = {policy.next_question(learner, now=NOW, seed=s).concept_id for s in range(50)}  # type: ignore[union-attr]
    assert "nth" not in chosen
    assert policy.unlocked_topic_ids(learner, now=NOW) == {"alg", "quad"}


def test_most_valuable_topic_first() -> None:
    # Value = exam share x gap: Sequences would be worth most but is locked; of the open
    # topics Quadratics (12% x 100) beats the nearly mastered Expressions (10% x 30).
    learner = FakeLearner(levels={"simplify": 70.0})
    policy = Policy(algebra(), PolicyConfig(review_share=0.0, top_k=1))
    assert {policy.next_question(learner, now=NOW, seed=s).concept_id for s in range(20)} == {"factorise"}  # type: ignore[union-attr]


def test_question_nearest_target_success_is_chosen() -> None:
    learner = FakeLearner(levels={"simplify": 90.0})
    choice = Policy(algebra(), NEVER_REVIEW).next_question(learner, now=NOW, seed=3)
    assert choice is not None and choice.question_id.endswith("-3")  # p = 0.7
    assert choice.predicted_success == pytest.approx(0.7)


def test_review_reason_when_recall_has_decayed() -> None:
    learner = FakeLearner(levels={"simplify": 95.0, "factorise": 42.0}, recall_of={"factorise": 0.55})
    choice = Policy(algebra(), PolicyConfig(review_share=1.0)).next_question(learner, now=NOW, seed=0)
    assert choice is not None and choice.kind == "review"
    assert choice.reason == (
        "Factorising quadratics: review due (recall 55%), 42% mastered, Quadratics is 12% of the exam"
    )


def test_review_skips_forgotten_concepts_of_locked_topics() -> None:
    # Sequences is the most forgotten but locked again (Quadratics fell below 60).
    learner = FakeLearner(
        levels={"simplify": 90.0, "factorise": 30.0, "nth": 70.0},
        recall_of={"nth": 0.1, "factorise": 0.5, "simplify": 0.6},
    )
    policy = Policy(algebra(), PolicyConfig(review_share=1.0))
    choice = policy.next_question(learner, now=NOW, seed=0)
    assert choice is not None and (choice.kind, choice.concept_id) == ("review", "factorise")
    # With Factorising's only question just asked, the next concept due comes instead.
    base = algebra()
    one_question = Syllabus(
        base.topics, base.concepts,
        tuple(q for q in base.questions if q.id not in {"factorise-1", "factorise-3"}),
    )
    policy = Policy(one_question, PolicyConfig(review_share=1.0))
    choice = policy.next_question(learner, now=NOW, seed=0, recent=["factorise-5"])
    assert choice is not None and (choice.kind, choice.concept_id) == ("review", "simplify")


def test_review_is_served_when_nothing_is_left_to_learn() -> None:
    learner = FakeLearner(
        levels={"simplify": 100.0, "factorise": 100.0, "nth": 100.0},
        recall_of={"simplify": 0.9, "nth": 0.4},
    )
    choice = Policy(algebra(), NEVER_REVIEW).next_question(learner, now=NOW, seed=0)
    assert choice is not None and (choice.kind, choice.concept_id) == ("review", "nth")


def test_fresh_recall_is_not_reviewed() -> None:
    learner = FakeLearner(levels={"simplify": 90.0}, recall_of={"simplify": 0.95})
    choice = Policy(algebra(), PolicyConfig(review_share=1.0)).next_question(learner, now=NOW, seed=0)
    assert choice is not None and choice.kind == "learn"


def test_fallback_when_the_root_has_no_questions() -> None:
    # Expressions cannot be practised, so nothing is unlocked: Quadratics is one step away.
    base = algebra()
    syllabus = Syllabus(
        base.topics, base.concepts, tuple(q for q in base.questions if q.concept_id != "simplify")
    )
    choice = Policy(syllabus, NEVER_REVIEW).next_question(FakeLearner(), now=NOW, seed=0)
    assert choice is not None
    assert (choice.kind, choice.concept_id) == ("fallback", "factorise")
    assert choice.reason == (
        "Factorising quadratics: nothing is unlocked yet, and Quadratics is closest "
        "(1 prerequisite below 60%)"
    )


def test_topic_without_concepts_does_not_block() -> None:
    topics = (TopicInfo("empty", "Reading list"), TopicInfo("b", "B", prerequisites=("empty",)))
    syllabus = Syllabus(topics, (ConceptInfo("cb", "b", "B1"),), (QuestionInfo("q", "cb"),))
    choice = Policy(syllabus).next_question(FakeLearner(), now=NOW, seed=0)
    assert choice is not None and choice.kind == "learn"


def test_single_question_concept_alternates_and_never_repeats() -> None:
    topics = (TopicInfo("t", "T", exam_weightage=100),)
    concepts = (ConceptInfo("a", "t", "A"), ConceptInfo("b", "t", "B"))
    syllabus = Syllabus(topics, concepts, (QuestionInfo("qa", "a"), QuestionInfo("qb", "b")))
    policy = Policy(syllabus)
    recent: list[str] = []
    for seed in range(10):
        choice = policy.next_question(FakeLearner(), now=NOW, seed=seed, recent=recent)
        assert choice is not None
        assert not recent or choice.question_id != recent[-1]
        recent.append(choice.question_id)


def test_only_question_just_asked_gives_none() -> None:
    syllabus = Syllabus(
        (TopicInfo("t", "T"),), (ConceptInfo("c", "t", "C"),), (QuestionInfo("only", "c"),)
    )
    policy = Policy(syllabus)
    first = policy.next_question(FakeLearner(), now=NOW, seed=0)
    assert first is not None and first.question_id == "only"
    assert policy.next_question(FakeLearner(), now=NOW, seed=0, recent=["only"]) is None


def test_recent_questions_are_avoided_while_others_remain() -> None:
    syllabus = Syllabus(
        (TopicInfo("t", "T"),),
        (ConceptInfo("c", "t", "C"),),
        tuple(QuestionInfo(f"q{d}", "c", difficulty=d) for d in (1, 2, 3, 4, 5)),
    )
    policy = Policy(syllabus)
    choice = policy.next_question(FakeLearner(), now=NOW, seed=0, recent=["q3", "q2", "q4"])
    assert choice is not None and choice.question_id in {"q1", "q5"}
    # All five asked lately: the one asked longest ago comes back, not the last one.
    choice = policy.next_question(FakeLearner(), now=NOW, seed=0, recent=["q2", "q1", "q3", "q4", "q5"])
    assert choice is not None and choice.question_id == "q2"


def test_focus_concept() -> None:
    learner = FakeLearner(levels={"nth": 20.0})
    policy = Policy(algebra())
    choice = policy.next_question(learner, now=NOW, seed=0, focus_concept_id="nth")
    assert choice is not None
    assert (choice.kind, choice.concept_id, choice.reason) == ("focus", "nth", "nth term: your choice, 20% mastered")
    with pytest.raises(UnknownConceptError, match="'gone'"):
        policy.next_question(learner, now=NOW, seed=0, focus_concept_id="gone")


def test_bad_syllabi_are_refused_with_readable_errors() -> None:
    with pytest.raises(EmptySyllabusError):
        Policy(Syllabus((), (), ()))
    cyclic = (TopicInfo("a", "Algebra", prerequisites=("b",)), TopicInfo("b", "Bearings", prerequisites=("a",)))
    with pytest.raises(CycleError, match="Algebra -> Bearings -> Algebra|Bearings -> Algebra -> Bearings"):
        Policy(Syllabus(cyclic, (), ()))
    with pytest.raises(SyllabusError, match="'nowhere'"):
        Policy(Syllabus((TopicInfo("a", "A"),), (ConceptInfo("c", "nowhere", "C"),), ()))
    with pytest.raises(SyllabusError, match="difficulty 9"):
        Policy(Syllabus((TopicInfo("a", "A"),), (ConceptInfo("c", "a", "C"),), (QuestionInfo("q", "c", 9),)))


def test_large_synthetic_syllabus_decides() -> None:
    syllabus = generate_syllabus(topics=60, concepts_per_topic=4, questions_per_concept=3, seed=5)
    learner = generate_learner(syllabus, seed=5, now=NOW)
    policy = Policy(syllabus)
    recent: list[str] = []
    for seed in range(100):
        choice = policy.next_question(learner, now=NOW, seed=seed, recent=recent)
        assert choice is not None and choice.question_id not in recent[-1:]
        recent.append(choice.question_id)


# ---------------------------------------------------------------- properties


@st.composite
def situations(draw: st.DrawFn) -> tuple[Syllabus, FakeLearner, list[str]]:
    """A small syllabus (DAG, some topics/concepts without questions), a learner, a history."""
    topics = topic_dag(draw, 6)
    concepts, questions = [], []
    for i in range(len(topics)):
        for j in range(draw(st.integers(0, 3))):
            concept_id = f"t{i}c{j}"
            concepts.append(ConceptInfo(concept_id, f"t{i}", f"Concept {i}.{j}"))
            for k in range(draw(st.integers(0, 3))):
                questions.append(QuestionInfo(f"{concept_id}q{k}", concept_id, draw(st.integers(1, 5))))
    syllabus = Syllabus(tuple(topics), tuple(concepts), tuple(questions))
    ids = [c.id for c in concepts]
    levels = draw(st.dictionaries(st.sampled_from(ids), st.floats(0, 100), max_size=len(ids))) if ids else {}
    recall_of = draw(st.dictionaries(st.sampled_from(ids), st.floats(0, 1), max_size=len(ids))) if ids else {}
    question_ids = [q.id for q in questions]
    recent = draw(st.lists(st.sampled_from(question_ids), max_size=6)) if question_ids else []
    return syllabus, FakeLearner(levels, recall_of), recent


def _topic_mastered(syllabus: Syllabus, learner: FakeLearner, topic_id: str) -> bool:
    levels = [learner.levels.get(c.id, 0.0) for c in syllabus.concepts if c.topic_id == topic_id]
    return not levels or sum(levels) >= 60.0 * len(levels)


def _prerequisites_mastered(syllabus: Syllabus, learner: FakeLearner, topic_id: str) -> bool:
    stack, seen = list(syllabus.topic_by_id[topic_id].prerequisites), set()
    while stack:
        t = stack.pop()
        if t not in seen:
            seen.add(t)
            stack.extend(syllabus.topic_by_id[t].prerequisites)
    return all(_topic_mastered(syllabus, learner, t) for t in seen)


@settings(max_examples=300, deadline=None)
@given(situations(), st.integers(0, 2**32), st.sampled_from([0.0, 0.3, 1.0]))
def test_choice_respects_prerequisites_and_never_repeats(
    situation: tuple[Syllabus, FakeLearner, list[str]], seed: int, review_share: float
) -> None:
    syllabus, learner, recent = situation
    choice = Policy(syllabus, PolicyConfig(review_share=review_share)).next_question(
        learner, now=NOW, seed=seed, recent=recent
    )
    previous = recent[-1] if recent else None
    usable = [q for q in syllabus.questions if q.id != previous]
    if choice is None:
        assert not usable
        return
    assert choice.question_id != previous
    question = next(q for q in syllabus.questions if q.id == choice.question_id)
    assert question.concept_id == choice.concept_id
    assert syllabus.concept_by_id[choice.concept_id].topic_id == choice.topic_id
    if choice.kind == "fallback":
        # Only when no concept in an unlocked topic had a usable question.
        unlocked_usable = [
            q for q in usable
            if _prerequisites_mastered(syllabus, learner, syllabus.concept_by_id[q.concept_id].topic_id)
        ]
        assert not unlocked_usable
    else:
        assert _prerequisites_mastered(syllabus, learner, choice.topic_id)
    if choice.kind == "review":
        assert learner.recall_of[choice.concept_id] < 0.8
    avoided = set(recent[-5:])
    if any(q.concept_id == choice.concept_id and q.id not in avoided for q in syllabus.questions):
        assert choice.question_id not in avoided
    assert choice.reason.startswith(syllabus.concept_by_id[choice.concept_id].name + ": ")


@settings(max_examples=100, deadline=None)
@given(situations(), st.integers(0, 2**32))
def test_same_seed_same_choice(situation: tuple[Syllabus, FakeLearner, list[str]], seed: int) -> None:
    syllabus, learner, recent = situation
    first: Choice | None = Policy(syllabus).next_question(learner, now=NOW, seed=seed, recent=recent)
    again = Policy(syllabus).next_question(learner, now=NOW, seed=seed, recent=list(recent))
    assert first == again
