"""All tables, imported here so that `Base.metadata` is complete wherever models are used."""
from desktop_app.db.models.accounts import SchoolClass, StudentProfile, User
from desktop_app.db.models.content import Concept, Question, Topic, TopicPrerequisite
from desktop_app.db.models.progress import ConceptMastery, QuestionAttempt, StudyPlan
from desktop_app.db.models.sync import SyncOperation, SyncState
from desktop_app.db.models.server import (ServerChange, ServerDerivedId, ServerLoginFailure, ServerMeta, ServerRowCount,
                                          ServerSeenOp, ServerToken)

__all__ = [
    "User", "StudentProfile", "SchoolClass",
    "Topic", "TopicPrerequisite", "Concept", "Question",
    "QuestionAttempt", "ConceptMastery", "StudyPlan",
    "SyncOperation", "SyncState",
    "ServerToken", "ServerChange", "ServerRowCount", "ServerSeenOp", "ServerLoginFailure", "ServerMeta",
    "ServerDerivedId",
]

# Tables whose rows travel through sync_operations, by table name.
SYNCED_MODELS = {m.__tablename__: m for m in (
    StudentProfile, SchoolClass, Topic, TopicPrerequisite, Concept, Question, QuestionAttempt, StudyPlan,
)}
# Synced tables of immutable events: written once, never updated or tombstoned (the server
# refuses both), so counting them needs no tombstone filter and merging them never happens.
APPEND_ONLY = frozenset({QuestionAttempt.__tablename__})
