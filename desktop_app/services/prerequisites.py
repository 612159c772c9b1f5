"""The live prerequisite edges of the syllabus, as every screen and the engine use them.

An edge that would close a cycle is left out (engine.graph.without_cycles says why), the
newest first by clock stamp, and logged: practice, planning and Home keep working on the
rest, and every device leaves out the same edge.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.db.models import TopicPrerequisite
from desktop_app.engine.graph import without_cycles

log = logging.getLogger(__name__)


def live_edges(session: Session, topics: dict[str, str]) -> list[tuple[str, str]]:
    """(topic, prerequisite) between the live topics {id: name}, oldest first, without cycles."""
    rows = session.execute(select(TopicPrerequisite.topic_id, TopicPrerequisite.prerequisite_id)
                           .where(TopicPrerequisite.deleted.is_(False))
                           .order_by(TopicPrerequisite.hlc, TopicPrerequisite.id)).all()
    edges = [(a, b) for a, b in rows if a in topics and b in topics]
    kept, refused = without_cycles(topics, edges, topics)
    for cycle in refused:
        log.warning("left out a prerequisite that would close a cycle (%s)", cycle)
    return kept
