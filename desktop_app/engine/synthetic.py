"""Made-up syllabi and learners of any size, for benchmarks and tests.

Real question banks are small; the engine's time budgets are stated for 500 topics,
5,000 concepts and 50,000 questions, so the benchmark (bench/engine.py) and the tests
build content of that shape here. Everything is a pure function of its arguments and
the seed: the same call gives the same syllabus on every machine.
"""
from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from desktop_app.engine.syllabus import ConceptInfo, QuestionInfo, Syllabus, TopicInfo

# A topic draws its prerequisites from the few topics just before it, which gives long
# chains (deep unlock frontiers) as in real syllabi rather than a flat forest.
_PREREQUISITE_WINDOW = 20
_MAX_PREREQUISITES = 3


def generate_syllabus(
    *, topics: int, concepts_per_topic: int, questions_per_concept: int, seed: int
) -> Syllabus:
    """A syllabus with `topics` topics whose prerequisites form a DAG (edges only point to
    earlier topics), exam weightages summing to 100, and the given number of concepts per
    topic and questions per concept (difficulty 1..5).

    Ids are zero-padded so that sorting by id keeps the generation order:
    topics "t0001", concepts "t0001c01", questions "t0001c01q001".
    Raises ValueError if `topics` < 1 or a count is negative.
    """
    if topics < 1 or concepts_per_topic < 0 or questions_per_concept < 0:
        raise ValueError("generate_syllabus needs topics >= 1 and non-negative counts")
    rng = random.Random(seed)
    raw_weights = [rng.uniform(0.2, 1.0) for _ in range(topics)]
    scale = 100.0 / sum(raw_weights)
    width = max(4, len(str(topics)))
    topic_ids = [f"t{i + 1:0{width}d}" for i in range(topics)]

    topic_list: list[TopicInfo] = []
    concept_list: list[ConceptInfo] = []
    question_list: list[QuestionInfo] = []
    for i, topic_id in enumerate(topic_ids):
        prerequisites: tuple[str, ...] = ()
        if i > 0 and rng.random() > 0.15:
            window = topic_ids[max(0, i - _PREREQUISITE_WINDOW) : i]
            count = min(len(window), rng.randint(1, _MAX_PREREQUISITES))
            prerequisites = tuple(sorted(rng.sample(window, count)))
        topic_list.append(
            TopicInfo(
                id=topic_id,
                name=f"Topic {i + 1}",
                exam_weightage=round(raw_weights[i] * scale, 3),
                estimated_hours=rng.randint(2, 16) / 2,
                prerequisites=prerequisites,
            )
        )
        for j in range(concepts_per_topic):
            concept_id = f"{topic_id}c{j + 1:02d}"
            concept_list.append(
                ConceptInfo(id=concept_id, topic_id=topic_id, name=f"Concept {i + 1}.{j + 1}")
            )
            for k in range(questions_per_concept):
                question_list.append(
                    QuestionInfo(
                        id=f"{concept_id}q{k + 1:03d}",
                        concept_id=concept_id,
                        difficulty=rng.randint(1, 5),
                    )
                )
    return Syllabus(tuple(topic_list), tuple(concept_list), tuple(question_list))


SYNTHETIC_EPOCH = datetime(2000, 1, 1)


def seconds_since_epoch(moment: datetime) -> float:
    """Wall-clock seconds from `SYNTHETIC_EPOCH` (time zones ignored: synthetic data only)."""
    return (moment.replace(tzinfo=None) - SYNTHETIC_EPOCH).total_seconds()


@dataclass
class SyntheticLearner:
    """A stand-in for the real mastery model with the shape the policy expects
    (`learner_view.LearnerView`): fixed mastery per concept, exponential forgetting since the
    last practice, and a logistic chance of success against question difficulty.
    Concepts absent from `levels` are at 0; those absent from `last_seen` were never
    practised.
    """

    levels: dict[str, float] = field(default_factory=dict)  # concept id -> mastery 0..100
    # concept id -> last practice, as seconds since `SYNTHETIC_EPOCH` (see `seconds_since_epoch`)
    last_seen: dict[str, float] = field(default_factory=dict)
    half_life_days: float = 7.0

    def masteries(self, now: datetime) -> Mapping[str, float]:
        return self.levels

    def recalls(self, now: datetime) -> Mapping[str, float]:
        # Times kept as float seconds make this one cheap pass over the practised concepts.
        now_s = seconds_since_epoch(now)
        rate = 1.0 / (86400.0 * self.half_life_days)
        return {
            concept_id: 0.5 ** (max(0.0, now_s - seen) * rate)
            for concept_id, seen in self.last_seen.items()
        }

    def p_correct(self, question: QuestionInfo, now: datetime) -> float:
        skill = self.levels.get(question.concept_id, 0.0) / 100.0
        hardness = (question.difficulty - 1) / 4.0
        return 1.0 / (1.0 + math.exp(-4.0 * (skill - hardness + 0.25)))


def generate_learner(syllabus: Syllabus, *, seed: int, now: datetime) -> SyntheticLearner:
    """A learner part-way through `syllabus`: the concepts of the first topics are well
    mastered, those at a frontier partly, the rest untouched; practised concepts were last
    seen within the past 30 days, so some are due for review at `now`."""
    rng = random.Random(seed)
    frontier = rng.uniform(0.1, 0.6) * len(syllabus.topics)
    position = {topic.id: i for i, topic in enumerate(syllabus.topics)}
    learner = SyntheticLearner()
    for concept in syllabus.concepts:
        distance = position.get(concept.topic_id, 0) - frontier
        if distance < -2:
            level = rng.uniform(60.0, 100.0)
        elif distance < 3:
            level = rng.uniform(0.0, 70.0)
        else:
            continue
        learner.levels[concept.id] = round(level, 1)
        seen = now - timedelta(days=rng.uniform(0.0, 30.0))
        learner.last_seen[concept.id] = seconds_since_epoch(seen)
    return learner
