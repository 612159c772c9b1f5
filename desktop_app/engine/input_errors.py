"""Bad input to the engine: one family of exceptions with messages a person can act on.

Every error here is a ValueError, so a service can catch ValueError at its boundary and
show the message. Prerequisite cycles are reported by `graph.CycleError`, also a
ValueError, which names the cycle; it is raised as is, not wrapped.
"""
from __future__ import annotations


class EngineInputError(ValueError):
    """Base class: the engine was handed input it cannot work with."""


class EmptySyllabusError(EngineInputError):
    """The syllabus has no topics, so there is nothing to plan or practise."""


class SyllabusError(EngineInputError):
    """The syllabus is inconsistent: duplicate or unknown ids, impossible numbers."""


class UnknownConceptError(EngineInputError):
    """A concept id that is not in the syllabus (for example a stale focus concept)."""


class ExamDateError(EngineInputError):
    """The exam date is before today."""


class StudyTimeError(EngineInputError):
    """Hours per day or study-block length that cannot hold any study."""


class PlanFormatError(EngineInputError):
    """A stored study plan that cannot be read back (wrong shape or version)."""
