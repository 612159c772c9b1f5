"""Hypothesis pieces shared by the engine's property tests."""
from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from desktop_app.engine.syllabus import TopicInfo


def topic_dag(draw: st.DrawFn, max_topics: int, **fields: st.SearchStrategy[Any]) -> list[TopicInfo]:
    """1..max_topics topics t0, t1, ... whose prerequisites are earlier topics (so a DAG), each
    with a drawn exam weightage and a value drawn from `fields` for each other TopicInfo field."""
    topics = []
    for i in range(draw(st.integers(1, max_topics))):
        prerequisites = draw(st.sets(st.integers(0, i - 1), max_size=3)) if i else set()
        topics.append(TopicInfo(f"t{i}", f"Topic {i}", exam_weightage=draw(st.integers(0, 40)),
                                prerequisites=tuple(f"t{p}" for p in sorted(prerequisites)),
                                **{name: draw(strategy) for name, strategy in fields.items()}))
    return topics
