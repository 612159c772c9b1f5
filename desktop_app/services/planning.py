"""Study-plan use-cases: the current plan (re-made daily, after a missed day, when the
exam details change and when the syllabus does), re-plan, tick off.

The plan is stored as the planner's JSON in `study_plans` (one row per student, synced
field by field like any other row). Each function runs in the caller's transaction.

Which syllabus a plan was made for is recorded on this laptop only (`sync_state`,
`plan_syllabus:<student id>`), not in the synced plan: a bank a student imports stays on
the laptop it was imported on, so two laptops may hold different syllabi, and a synced
record would have each re-make the plan the other just sent, at every sync.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.db.ids import singleton_id
from desktop_app.db.models import ConceptMastery, StudentProfile, StudyPlan, SyncState, Topic
from desktop_app.engine.planner import made_for, make_plan, topic_mastery
from desktop_app.engine.study_plan import StudyPlan as EnginePlan
from desktop_app.services import learner


_SYLLABUS_KEY = "plan_syllabus:"  # + student id -> planner.syllabus_fingerprint of the plan's syllabus


class PlanInputError(ValueError):
    """The plan cannot be made from what the student entered; the message says what to fix."""


@dataclass(frozen=True)
class PlanItemView:
    topic_id: str
    topic_name: str
    minutes: int
    kind: str  # "learn" | "practise" | "revision"
    done: bool


@dataclass(frozen=True)
class PlanDayView:
    day: date
    items: list[PlanItemView]
    capacity_minutes: int


@dataclass(frozen=True)
class PlanView:
    exam_date: date
    days: list[PlanDayView]
    statement: str | None
    created_at: datetime


def _view(session: Session, row: StudyPlan, plan: EnginePlan) -> PlanView:
    names = dict(session.execute(select(Topic.id, Topic.name)).all())
    days = [PlanDayView(day=d.day, capacity_minutes=d.minutes_available,
                        items=[PlanItemView(topic_id=i.topic_id, topic_name=names.get(i.topic_id, "?"),
                                            minutes=i.minutes, kind=i.kind, done=i.done) for i in d.items])
            for d in plan.days]
    return PlanView(exam_date=plan.exam_date, days=days, statement=plan.shortfall, created_at=row.created_at)


def _stored(session: Session, student_id: str) -> StudyPlan | None:
    return session.scalar(select(StudyPlan).where(StudyPlan.student_id == student_id))


def _make(session: Session, student_id: str, today: date, previous: EnginePlan | None) -> EnginePlan:
    profile = session.scalar(select(StudentProfile).where(StudentProfile.user_id == student_id))
    if profile is None or profile.exam_date is None:
        raise PlanInputError("Set your exam date in Settings first.")
    if profile.exam_date < today:
        raise PlanInputError(f"Your exam date {profile.exam_date:%d %b %Y} has passed: set the next one.")
    if previous is not None and previous.exam_date != profile.exam_date:
        previous = None  # a new exam date starts a new series of plans
    syllabus = learner.content(session).syllabus
    concept_scores = dict(session.execute(select(ConceptMastery.concept_id, ConceptMastery.mastery_score)
                                          .where(ConceptMastery.student_id == student_id)).all())
    try:
        return make_plan(syllabus, mastery=topic_mastery(syllabus, concept_scores), today=today,
                         exam_date=profile.exam_date, hours_per_day=profile.available_hours_per_day,
                         previous=previous)
    except ValueError as exc:
        raise PlanInputError(str(exc)) from exc


def _save(session: Session, student_id: str, row: StudyPlan | None, plan: EnginePlan) -> StudyPlan:
    if row is None:
        row = StudyPlan(id=singleton_id("study_plans", student_id), student_id=student_id)
        session.add(row)
    row.plan = plan.to_dict()
    row.exam_date = plan.exam_date
    row.statement = plan.shortfall
    row.created_at = datetime.now(timezone.utc)
    session.merge(SyncState(key=_SYLLABUS_KEY + student_id, value=learner.content(session).plan_fingerprint))
    session.flush()
    return row


def replan(session: Session, *, student_id: str, today: date) -> PlanView:
    """Re-plan from today, keeping past days and done work. Raises PlanInputError."""
    row = _stored(session, student_id)
    previous = EnginePlan.from_dict(row.plan) if row is not None and row.plan else None
    plan = _make(session, student_id, today, previous)
    return _view(session, _save(session, student_id, row, plan), plan)


def current_plan(session: Session, *, student_id: str, today: date) -> PlanView | None:
    """The plan for today; made on first use and re-made when it was made before today
    (so a missed day's work moves forward and mastery gained counts), when the profile's
    exam date or hours per day are not the ones it was made for (edited in Settings, or
    pulled by sync from another laptop), or when the syllabus it was made for changed
    (a bank imported, or a teacher's new version pulled by sync: topics, their weightage,
    hours or prerequisites, or their concepts). None when no plan can be made yet (no exam
    date, or one that has passed): the UI invites the student to set one.

    A re-made plan is saved (one synced change); the next read finds it up to date, so
    reading never re-plans twice for the same inputs. Reading the syllabus is the engine's
    cache (services/learner.py): built once per content version, on the caller's thread,
    which must not be the GUI's."""
    row = _stored(session, student_id)
    plan = EnginePlan.from_dict(row.plan) if row is not None and row.plan else None
    if (plan is not None and plan.made_on >= today and _follows_profile(session, student_id, plan)
            and _follows_syllabus(session, student_id)):
        return _view(session, row, plan)  # type: ignore[arg-type]
    try:
        plan = _make(session, student_id, today, plan)
    except PlanInputError:
        return None
    return _view(session, _save(session, student_id, row, plan), plan)


def _follows_profile(session: Session, student_id: str, plan: EnginePlan) -> bool:
    profile = session.scalar(select(StudentProfile).where(StudentProfile.user_id == student_id))
    if profile is None or profile.exam_date is None:
        return True  # nothing to follow: keep showing the plan there is
    return made_for(plan, exam_date=profile.exam_date, hours_per_day=profile.available_hours_per_day)


def _follows_syllabus(session: Session, student_id: str) -> bool:
    try:
        fingerprint = learner.content(session).plan_fingerprint
    except ValueError:
        return True  # no syllabus to plan from: keep showing the plan there is
    recorded = session.get(SyncState, _SYLLABUS_KEY + student_id)
    if recorded is None:
        # A plan made before this record existed, or one this laptop has only received from
        # another: it was made for the syllabus there is now, as far as anyone here knows.
        session.add(SyncState(key=_SYLLABUS_KEY + student_id, value=fingerprint))
        return True
    return recorded.value == fingerprint


def mark_done(session: Session, *, student_id: str, day: date, topic_id: str, kind: str, done: bool) -> PlanView:
    """Tick an item off (or on again). Raises PlanInputError when there is no such item."""
    row = _stored(session, student_id)
    if row is None or not row.plan:
        raise PlanInputError("There is no plan yet.")
    plan = EnginePlan.from_dict(row.plan)
    plan_day = plan.day(day)
    index = next((i for i, item in enumerate(plan_day.items) if item.topic_id == topic_id and item.kind == kind),
                 None) if plan_day else None
    if index is None:
        raise PlanInputError("That item is not in the plan any more: re-plan to see the current one.")
    plan = plan.with_done(day=day, index=index, done=done)
    row.plan = plan.to_dict()
    session.flush()
    return _view(session, row, plan)
