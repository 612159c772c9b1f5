"""The next question: what to practise now, and a sentence saying why.

The rule (ARCHITECTURE.md, "The engine"):

1. Only concepts whose topic is *unlocked* are candidates: every topic it depends on,
   directly or through others, is mastered at `mastery_threshold` or more (a topic's
   mastery is the mean of its concepts'; a topic without concepts never blocks, as
   nothing could ever raise it).
2. Learning value = the concept's share of the exam (its topic's weightage split evenly
   among the topic's concepts) x its remaining gap (100 - mastery). Concepts of one topic
   share its weight equally, so each unlocked topic offers its least mastered concept;
   the topic is drawn from the `top_k` by that value, in proportion to it, keeping only
   those at least half as valuable as the best. This prefers what matters while
   interleaving topics, which helps learning more than drilling one at a time.
3. Spaced review: with probability `review_share`, or when nothing is left to learn, an
   unlocked concept practised before whose predicted recall fell below
   `review_recall_threshold` is taken instead, the most forgotten first.
4. Within the concept, the question whose predicted success is nearest
   `target_success` (hard enough to teach, easy enough to keep going), never the previous
   question and, while others remain, none of the last `avoid_last`.
5. If nothing unlocked has a usable question, the concepts whose topics have the fewest
   prerequisites still unmastered are taken instead.

Cost: `Policy(syllabus)` indexes the syllabus once (concepts grouped by topic, questions
per concept); each decision reads the learner's masteries once (and its recalls once when
a review is considered), looks at every concept at most a few times and scores only the
chosen concept's questions, so it grows with concepts, not questions.
Determinism: the result depends only on the arguments, including `now` and `seed`.
"""
from __future__ import annotations

import heapq
import random
from operator import itemgetter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import repeat
from typing import Literal

from desktop_app.engine.input_errors import UnknownConceptError
from desktop_app.engine.learner_view import LearnerView
from desktop_app.engine.syllabus import ConceptInfo, QuestionInfo, Syllabus, TopicInfo
from desktop_app.engine.syllabus_checks import check_concepts_and_questions, checked_topic_graph

__all__ = ["Choice", "ChoiceKind", "LearnerView", "Policy", "PolicyConfig"]

ChoiceKind = Literal["learn", "review", "focus", "fallback"]

# Questions within this distance of the best success-probability fit count as equally good.
_FIT_TOLERANCE = 0.02
# A candidate topic must be worth at least this fraction of the best one to be drawn.
_NEAR_BEST = 0.5
_RECALL = itemgetter(1)


@dataclass(frozen=True)
class PolicyConfig:
    """Tuning knobs; the defaults follow the design brief. Raises ValueError if out of range."""

    mastery_threshold: float = 60.0  # 0..100: topic mastery that unlocks its dependents
    target_success: float = 0.7  # 0..1: predicted success the question should be near
    review_recall_threshold: float = 0.8  # 0..1: below this predicted recall, review is due
    review_share: float = 0.3  # 0..1: chance of serving a due review instead of new learning
    avoid_last: int = 5  # the last N questions are avoided while others remain
    top_k: int = 5  # how many of the most valuable topics the pick is drawn from
    max_questions_scored: int = 32  # bounds the work per decision for very large concepts

    def __post_init__(self) -> None:
        if not 0.0 <= self.mastery_threshold <= 100.0:
            raise ValueError("mastery_threshold must be between 0 and 100")
        for name in ("target_success", "review_recall_threshold", "review_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.avoid_last < 1 or self.top_k < 1 or self.max_questions_scored < 1:
            raise ValueError("avoid_last, top_k and max_questions_scored must be at least 1")


@dataclass(frozen=True)
class Choice:
    """One decision. `reason` is plain English for the student (the UI may translate the
    parts it owns; the engine has no Qt); `kind` lets the UI style or group choices."""

    question_id: str
    concept_id: str
    topic_id: str
    kind: ChoiceKind
    reason: str
    predicted_success: float  # 0..1, from the learner view
    mastery: float  # 0..100, concept mastery at decision time


@dataclass
class _Decision:
    """Per-call inputs bundled so the private helpers stay readable."""

    learner: LearnerView
    now: datetime
    rng: random.Random
    recent: Sequence[str]
    avoid: frozenset[str]

    @property
    def previous(self) -> str | None:
        return self.recent[-1] if self.recent else None


class Policy:
    """Next-question policy for one syllabus. Build once per syllabus (it indexes the
    content) and reuse it for every decision; it holds no per-student state, so one
    instance can serve every student and thread.

    Raises on construction what `syllabus_checks` raises: EmptySyllabusError,
    SyllabusError, graph.CycleError (all ValueError).
    """

    def __init__(self, syllabus: Syllabus, config: PolicyConfig | None = None) -> None:
        self.config = config or PolicyConfig()
        self._graph = checked_topic_graph(syllabus)
        check_concepts_and_questions(syllabus)
        topic_order = self._graph.topological_order()  # prerequisites first
        topic_index = {topic_id: i for i, topic_id in enumerate(topic_order)}
        self._topics: list[TopicInfo] = [syllabus.topic_by_id[t] for t in topic_order]
        self._requires = [
            tuple(topic_index[p] for p in self._graph.requires(t)) for t in topic_order
        ]
        questions: dict[str, list[QuestionInfo]] = {c.id: [] for c in syllabus.concepts}
        for question in syllabus.questions:
            questions[question.concept_id].append(question)
        grouped: list[list[ConceptInfo]] = [[] for _ in topic_order]
        for concept in syllabus.concepts:
            grouped[topic_index[concept.topic_id]].append(concept)
        # Concepts are stored grouped by topic, those with questions first, so a topic is
        # the slice [start, end) and its practisable concepts the prefix [start, stop).
        self._concepts: list[ConceptInfo] = []
        self._slices: list[tuple[int, int, int]] = []
        self._topic_share: list[float] = []  # exam share of each concept of the topic
        for ti, concepts in enumerate(grouped):
            concepts.sort(key=lambda c: not questions[c.id])
            start = len(self._concepts)
            stop = start + sum(1 for c in concepts if questions[c.id])
            self._concepts.extend(concepts)
            self._slices.append((start, stop, len(self._concepts)))
            self._topic_share.append(self._topics[ti].exam_weightage / max(1, len(concepts)))
        self._concept_ids = [c.id for c in self._concepts]
        self._concept_index = {cid: i for i, cid in enumerate(self._concept_ids)}
        self._concept_topic = [topic_index[c.topic_id] for c in self._concepts]
        self._questions = [tuple(questions[cid]) for cid in self._concept_ids]
        self._closure: list[tuple[int, ...]] | None = None  # built on the first fallback

    # ----------------------------------------------------------------- public API

    def next_question(
        self,
        learner: LearnerView,
        *,
        now: datetime,
        seed: int,
        recent: Sequence[str] = (),
        focus_concept_id: str | None = None,
    ) -> Choice | None:
        """Choose the next question for `learner` at `now`.

        `recent` holds the ids of the questions just asked, most recent last; the last one
        is never repeated. `seed` makes the random parts (interleaving, review mix, ties)
        reproducible. `focus_concept_id` restricts the choice to that concept (the student
        picked it; its prerequisites are not checked). Returns None only when there is no
        question to offer other than the previous one (within the focus concept, if
        given). Raises UnknownConceptError for an unknown focus concept.
        """
        decision = _Decision(
            learner=learner,
            now=now,
            rng=random.Random(seed),
            recent=recent,
            avoid=frozenset(recent[-self.config.avoid_last :]),
        )
        if focus_concept_id is not None:
            return self._focused(decision, focus_concept_id)
        masteries = self._masteries(learner, now)
        unlocked = self._unlocked(masteries)
        review_tried = decision.rng.random() < self.config.review_share
        if review_tried:
            choice = self._review(decision, unlocked, masteries)
            if choice is not None:
                return choice
        values = self._topic_values(unlocked, masteries)
        if not review_tried and all(value <= 0.0 for value, _ in values):
            choice = self._review(decision, unlocked, masteries)  # nothing left to learn
            if choice is not None:
                return choice
        choice = self._learn(decision, values, masteries)
        if choice is not None:
            return choice
        return self._fallback(decision, unlocked, masteries)

    def unlocked_topic_ids(self, learner: LearnerView, *, now: datetime) -> frozenset[str]:
        """Topics whose prerequisites are all mastered (for the Syllabus screen)."""
        unlocked = self._unlocked(self._masteries(learner, now))
        return frozenset(self._topics[ti].id for ti, ok in enumerate(unlocked) if ok)

    # ----------------------------------------------------------------- the steps

    def _masteries(self, learner: LearnerView, now: datetime) -> list[float]:
        """Mastery per concept, in the policy's concept order (absent = 0)."""
        return list(map(learner.masteries(now).get, self._concept_ids, repeat(0.0)))

    def _mastered(self, masteries: list[float]) -> list[bool]:
        threshold = self.config.mastery_threshold
        return [
            end == start or sum(masteries[start:end]) >= threshold * (end - start)
            for start, _, end in self._slices
        ]

    def _unlocked(self, masteries: list[float]) -> list[bool]:
        """Per topic: are all its transitive prerequisites mastered?"""
        mastered = self._mastered(masteries)
        unlocked: list[bool] = []
        open_and_mastered: list[bool] = []
        for ti, requires in enumerate(self._requires):  # prerequisites come earlier
            is_open = all(map(open_and_mastered.__getitem__, requires))
            unlocked.append(is_open)
            open_and_mastered.append(is_open and mastered[ti])
        return unlocked

    def _topic_values(self, unlocked: list[bool], masteries: list[float]) -> list[tuple[float, int]]:
        """(value of the topic's least mastered practisable concept, topic) per open topic."""
        values = []
        for ti, is_open in enumerate(unlocked):
            if is_open:
                start, stop, _ = self._slices[ti]
                if stop > start:
                    values.append((self._topic_share[ti] * (100.0 - min(masteries[start:stop])), ti))
        return values

    def _learn(
        self, decision: _Decision, values: list[tuple[float, int]], masteries: list[float]
    ) -> Choice | None:
        if not values:
            return None
        top = heapq.nlargest(self.config.top_k, values)
        pool = [(value, ti) for value, ti in top if value >= _NEAR_BEST * top[0][0]]
        tried: set[int] = set()
        while pool:
            weights = [value + 1e-9 for value, _ in pool]
            index = decision.rng.choices(range(len(pool)), weights=weights)[0]
            _, ti = pool.pop(index)
            tried.add(ti)
            choice = self._learn_in_topic(decision, ti, masteries)
            if choice is not None:
                return choice
        # Rare: each favourite's only question was just asked. Walk the rest by value.
        for _, ti in sorted(values, key=lambda vt: (-vt[0], vt[1])):
            if ti not in tried:
                choice = self._learn_in_topic(decision, ti, masteries)
                if choice is not None:
                    return choice
        return None

    def _learn_in_topic(self, decision: _Decision, ti: int, masteries: list[float]) -> Choice | None:
        start, stop, _ = self._slices[ti]
        for ci in sorted(range(start, stop), key=masteries.__getitem__):
            picked = self._pick_question(decision, ci)
            if picked is not None:
                reason = (
                    f"{self._concepts[ci].name}: unlocked, {_percent(100.0 - masteries[ci])} "
                    f"to go, {_weight(self._topics[ti])}"
                )
                return self._choice(picked, ci=ci, kind="learn", reason=reason, mastery=masteries[ci])
        return None

    def _review(
        self, decision: _Decision, unlocked: list[bool], masteries: list[float]
    ) -> Choice | None:
        threshold = self.config.review_recall_threshold
        recalls = decision.learner.recalls(decision.now).items()
        if not recalls:
            return None
        # Usually the most forgotten concept is open and has a question: one C-level pass.
        # Only if not are the others sorted (ties keep the mapping's order either way).
        most_forgotten = min(recalls, key=_RECALL)
        if most_forgotten[1] >= threshold:
            return None
        choice = self._review_choice(decision, most_forgotten, unlocked, masteries)
        if choice is not None:
            return choice
        due = sorted((item for item in recalls if item[1] < threshold), key=_RECALL)
        for item in due:
            if item[0] != most_forgotten[0]:
                choice = self._review_choice(decision, item, unlocked, masteries)
                if choice is not None:
                    return choice
        return None

    def _review_choice(
        self, decision: _Decision, due: tuple[str, float], unlocked: list[bool], masteries: list[float]
    ) -> Choice | None:
        concept_id, recall = due
        ci = self._concept_index.get(concept_id)  # None: no longer in the syllabus
        if ci is None:
            return None
        ti = self._concept_topic[ci]
        if not unlocked[ti] or ci >= self._slices[ti][1]:
            return None
        picked = self._pick_question(decision, ci)
        if picked is None:
            return None
        reason = (
            f"{self._concepts[ci].name}: review due (recall {_percent(recall * 100)}), "
            f"{_percent(masteries[ci])} mastered, {_weight(self._topics[ti])}"
        )
        return self._choice(picked, ci=ci, kind="review", reason=reason, mastery=masteries[ci])

    def _fallback(
        self, decision: _Decision, unlocked: list[bool], masteries: list[float]
    ) -> Choice | None:
        """Nothing unlocked can be practised: take the concepts nearest to being unlocked."""
        mastered = self._mastered(masteries)
        closure = self._prerequisite_closure()
        ranked: list[tuple[int, float, int]] = []
        for ti, is_open in enumerate(unlocked):
            if is_open:
                continue  # already tried by the learn step
            unmet = sum(1 for p in closure[ti] if not mastered[p])
            start, stop, _ = self._slices[ti]
            for ci in range(start, stop):
                ranked.append((unmet, -self._topic_share[ti] * (100.0 - masteries[ci]), ci))
        ranked.sort()
        for unmet, _, ci in ranked:
            picked = self._pick_question(decision, ci)
            if picked is not None:
                topic = self._topics[self._concept_topic[ci]]
                reason = (
                    f"{self._concepts[ci].name}: nothing is unlocked yet, and {topic.name} is "
                    f"closest ({unmet} prerequisite{'' if unmet == 1 else 's'} below "
                    f"{_percent(self.config.mastery_threshold)})"
                )
                return self._choice(picked, ci=ci, kind="fallback", reason=reason, mastery=masteries[ci])
        return None

    def _focused(self, decision: _Decision, concept_id: str) -> Choice | None:
        ci = self._concept_index.get(concept_id)
        if ci is None:
            raise UnknownConceptError(f"Concept id {concept_id!r} is not in this syllabus.")
        picked = self._pick_question(decision, ci)
        if picked is None:
            return None
        mastery = decision.learner.masteries(decision.now).get(concept_id, 0.0)
        reason = f"{self._concepts[ci].name}: your choice, {_percent(mastery)} mastered"
        return self._choice(picked, ci=ci, kind="focus", reason=reason, mastery=mastery)

    def _pick_question(self, decision: _Decision, ci: int) -> tuple[QuestionInfo, float] | None:
        """The question of concept `ci` whose predicted success is nearest the target,
        skipping recent ones; None if the concept's only question was the previous one."""
        questions = self._questions[ci]
        fresh = [q for q in questions if q.id not in decision.avoid]
        if not fresh:
            # All were asked lately: the one asked longest ago, never the previous one.
            older = [q for q in questions if q.id != decision.previous]
            if not older:
                return None
            last_seen = {qid: i for i, qid in enumerate(decision.recent)}
            question = min(older, key=lambda q: last_seen.get(q.id, -1))
            return question, decision.learner.p_correct(question, decision.now)
        if len(fresh) > self.config.max_questions_scored:
            fresh = decision.rng.sample(fresh, self.config.max_questions_scored)
        target = self.config.target_success
        scored = [(q, decision.learner.p_correct(q, decision.now)) for q in fresh]
        best = min(abs(p - target) for _, p in scored)
        near = [(q, p) for q, p in scored if abs(p - target) <= best + _FIT_TOLERANCE]
        return near[0] if len(near) == 1 else decision.rng.choice(near)

    def _prerequisite_closure(self) -> list[tuple[int, ...]]:
        # Built lazily (fallbacks are rare); two threads racing here build the same value.
        if self._closure is None:
            index = {topic.id: i for i, topic in enumerate(self._topics)}
            self._closure = [
                tuple(index[p] for p in self._graph.all_prerequisites(topic.id))
                for topic in self._topics
            ]
        return self._closure

    def _choice(
        self, picked: tuple[QuestionInfo, float], *, ci: int, kind: ChoiceKind, reason: str, mastery: float
    ) -> Choice:
        question, p = picked
        topic_id = self._topics[self._concept_topic[ci]].id
        return Choice(
            question_id=question.id, concept_id=self._concept_ids[ci], topic_id=topic_id,
            kind=kind, reason=reason, predicted_success=p, mastery=mastery,
        )


def _percent(value: float) -> str:
    return f"{round(value)}%"


def _weight(topic: TopicInfo) -> str:
    return f"{topic.name} is {round(topic.exam_weightage, 1):g}% of the exam"
