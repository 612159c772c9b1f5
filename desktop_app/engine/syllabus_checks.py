"""Checks a syllabus once, at the engine's door, and builds its prerequisite graph.

The policy and the planner both start here so that bad content fails the same way
everywhere: an `input_errors` exception with a readable message, or `graph.CycleError`
naming the cycle (raised as is; it is a ValueError too).
"""
from __future__ import annotations

import math
from collections import deque

from desktop_app.engine.graph import PrerequisiteGraph
from desktop_app.engine.input_errors import EmptySyllabusError, SyllabusError
from desktop_app.engine.syllabus import Syllabus


def checked_topic_graph(syllabus: Syllabus) -> PrerequisiteGraph:
    """Validate the topics of `syllabus` and return their prerequisite graph.

    Raises EmptySyllabusError (no topics), SyllabusError (duplicate topic id, unknown
    prerequisite id, weightage outside 0..100, negative or non-finite hours) or
    graph.CycleError (the message lists the topic names around the cycle).
    """
    if not syllabus.topics:
        raise EmptySyllabusError("The syllabus has no topics: there is nothing to study.")
    if len(syllabus.topic_by_id) != len(syllabus.topics):
        raise SyllabusError(f"The syllabus lists topic id {_first_duplicate(syllabus)!r} twice.")
    for topic in syllabus.topics:
        if not (math.isfinite(topic.exam_weightage) and 0.0 <= topic.exam_weightage <= 100.0):
            raise SyllabusError(
                f"Topic {topic.name!r} has exam weightage {topic.exam_weightage}; expected 0 to 100."
            )
        if not (math.isfinite(topic.estimated_hours) and topic.estimated_hours >= 0.0):
            raise SyllabusError(
                f"Topic {topic.name!r} has estimated hours {topic.estimated_hours}; expected 0 or more."
            )
        for prerequisite in topic.prerequisites:
            if prerequisite not in syllabus.topic_by_id:
                raise SyllabusError(
                    f"Topic {topic.name!r} requires topic id {prerequisite!r}, which is not in the syllabus."
                )

    names = {topic.id: topic.name for topic in syllabus.topics}
    order = _prerequisites_first(syllabus)
    graph = PrerequisiteGraph((topic.id for topic in syllabus.topics), names)
    if order is None:
        # Adding the edges one by one makes the graph find and name the cycle.
        for topic in syllabus.topics:
            for prerequisite in topic.prerequisites:
                graph.add_edge(topic.id, prerequisite)
        raise AssertionError("a cycle was detected but add_edge accepted every edge")
    # add_edge searches for a path back from the prerequisite; adding dependents before
    # their prerequisites keeps that search empty, so building stays linear in the edges.
    for topic_id in reversed(order):
        for prerequisite in syllabus.topic_by_id[topic_id].prerequisites:
            graph.add_edge(topic_id, prerequisite)
    return graph


def check_concepts_and_questions(syllabus: Syllabus) -> None:
    """Raise SyllabusError if a concept names an unknown topic, a question an unknown
    concept, an id appears twice, or a difficulty is outside 1..5."""
    if len(syllabus.concept_by_id) != len(syllabus.concepts):
        seen: set[str] = set()
        for concept in syllabus.concepts:
            if concept.id in seen:
                raise SyllabusError(f"The syllabus lists concept id {concept.id!r} twice.")
            seen.add(concept.id)
    for concept in syllabus.concepts:
        if concept.topic_id not in syllabus.topic_by_id:
            raise SyllabusError(
                f"Concept {concept.name!r} belongs to topic id {concept.topic_id!r}, which is not in the syllabus."
            )
    question_ids: set[str] = set()
    for question in syllabus.questions:
        if question.id in question_ids:
            raise SyllabusError(f"The syllabus lists question id {question.id!r} twice.")
        question_ids.add(question.id)
        if question.concept_id not in syllabus.concept_by_id:
            raise SyllabusError(
                f"Question {question.id!r} belongs to concept id {question.concept_id!r}, which is not in the syllabus."
            )
        if not 1 <= question.difficulty <= 5:
            raise SyllabusError(
                f"Question {question.id!r} has difficulty {question.difficulty}; expected 1 to 5."
            )


def _prerequisites_first(syllabus: Syllabus) -> list[str] | None:
    """Kahn's algorithm: topic ids with prerequisites first, or None if there is a cycle."""
    waiting = {topic.id: len(set(topic.prerequisites)) for topic in syllabus.topics}
    dependents: dict[str, list[str]] = {topic.id: [] for topic in syllabus.topics}
    for topic in syllabus.topics:
        for prerequisite in set(topic.prerequisites):
            dependents[prerequisite].append(topic.id)
    ready = deque(topic_id for topic_id, count in waiting.items() if count == 0)
    order: list[str] = []
    while ready:
        topic_id = ready.popleft()
        order.append(topic_id)
        for dependent in dependents[topic_id]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                ready.append(dependent)
    return order if len(order) == len(waiting) else None


def _first_duplicate(syllabus: Syllabus) -> str:
    seen: set[str] = set()
    for topic in syllabus.topics:
        if topic.id in seen:
            return topic.id
        seen.add(topic.id)
    return ""
