"""The study planner: hours respected, prerequisites first, revision, cuts, re-planning."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.engine.graph import CycleError
from desktop_app.engine.input_errors import (
    EmptySyllabusError,
    EngineInputError,
    ExamDateError,
    PlanFormatError,
    StudyTimeError,
)
from desktop_app.engine.planner import made_for, make_plan, syllabus_fingerprint, topic_mastery
from desktop_app.engine.study_plan import StudyPlan
from desktop_app.engine.syllabus import ConceptInfo, QuestionInfo, Syllabus, TopicInfo
from tests.desktop_app.engine.strategies import topic_dag
from desktop_app.engine.synthetic import generate_syllabus

TODAY = date(2025, 3, 3)  # a Monday


def maths() -> Syllabus:
    topics = (
        TopicInfo("alg", "Algebra", exam_weightage=40, estimated_hours=4),
        TopicInfo("quad", "Quadratics", exam_weightage=30, estimated_hours=3, prerequisites=("alg",)),
        TopicInfo("sim", "Simultaneous equations", exam_weightage=10, estimated_hours=4, prerequisites=("alg",)),
        TopicInfo("seq", "Sequences", exam_weightage=5, estimated_hours=3),
    )
    return Syllabus(topics, (), ())


def learning_minutes(plan: StudyPlan, since: date = date.min) -> dict[str, int]:
    totals: dict[str, int] = {}
    for day in plan.days:
        if day.day >= since:
            for item in day.items:
                if item.kind != "revision" and not item.done:
                    totals[item.topic_id] = totals.get(item.topic_id, 0) + item.minutes
    return totals


# ---------------------------------------------------------------- examples


def test_plan_covers_today_to_the_day_before_the_exam() -> None:
    plan = make_plan(maths(), mastery={}, today=TODAY, exam_date=TODAY + timedelta(days=20), hours_per_day=3)
    assert [d.day for d in plan.days] == [TODAY + timedelta(days=n) for n in range(20)]
    assert plan.shortfall is None and plan.cut == ()
    # Time per topic: hours x gap x weight factor (0.75 + 0.5 x weight / top weight).
    assert learning_minutes(plan) == {"alg": 300, "quad": 210, "sim": 210, "seq": 150}
    kinds = [(i.topic_id, i.kind) for d in plan.days for i in d.items if i.kind != "revision"]
    assert kinds.index(("alg", "practise")) < kinds.index(("quad", "learn"))


def test_revision_days_close_the_plan_and_favour_weight_times_gap() -> None:
    mastery = {"alg": 80.0, "quad": 20.0, "sim": 20.0, "seq": 20.0}
    plan = make_plan(maths(), mastery=mastery, today=TODAY, exam_date=TODAY + timedelta(days=20), hours_per_day=2)
    flags = [d.revision for d in plan.days]
    assert flags == [False] * 18 + [True] * 2  # 12% of 20 days, rounded
    for day in plan.days:
        assert all((item.kind == "revision") == day.revision for item in day.items)
    revision: dict[str, int] = {}
    for day in plan.days[-2:]:
        assert day.minutes_planned == day.minutes_available
        for item in day.items:
            revision[item.topic_id] = revision.get(item.topic_id, 0) + item.minutes
    assert revision["quad"] > revision["alg"] and revision["quad"] > revision["seq"]


def test_at_least_one_revision_day_from_three_days_and_none_below() -> None:
    three = make_plan(maths(), mastery={}, today=TODAY, exam_date=TODAY + timedelta(days=3), hours_per_day=8)
    assert [d.revision for d in three.days] == [False, False, True]
    two = make_plan(maths(), mastery={}, today=TODAY, exam_date=TODAY + timedelta(days=2), hours_per_day=8)
    assert not any(d.revision for d in two.days)


def test_shortfall_names_what_was_left_out_and_why() -> None:
    plan = make_plan(maths(), mastery={}, today=TODAY, exam_date=TODAY + timedelta(days=2), hours_per_day=5.5)
    assert plan.shortfall == (
        "Not enough time: 14.5 h needed, 11 h available. Left out: Sequences (2.5 h), "
        "Simultaneous equations (1 h, partly) — the lowest exam weight per hour."
    )
    assert [(c.topic_id, c.minutes, c.partly) for c in plan.cut] == [("seq", 150, False), ("sim", 60, True)]
    assert learning_minutes(plan) == {"alg": 300, "quad": 210, "sim": 150}


def test_dependents_are_cut_before_their_prerequisites() -> None:
    # Light, slow Algebra is the least worth per hour, but Quadratics needs it: while
    # Quadratics is planned, Algebra cannot go, so Quadratics goes first.
    topics = (
        TopicInfo("alg", "Algebra", exam_weightage=2, estimated_hours=10),
        TopicInfo("quad", "Quadratics", exam_weightage=40, estimated_hours=1, prerequisites=("alg",)),
        TopicInfo("seq", "Sequences", exam_weightage=30, estimated_hours=0.5),
    )
    plan = make_plan(Syllabus(topics, (), ()), mastery={}, today=TODAY, exam_date=TODAY + timedelta(days=2), hours_per_day=1)
    assert [(c.topic_id, c.partly) for c in plan.cut] == [("quad", False), ("alg", True)]
    assert learning_minutes(plan) == {"alg": 90, "seq": 30}
    assert "Left out: Quadratics (1.5 h), Algebra (6.5 h, partly)" in (plan.shortfall or "")


def test_exam_today_gives_no_days_and_says_so() -> None:
    plan = make_plan(maths(), mastery={}, today=TODAY, exam_date=TODAY, hours_per_day=2)
    assert plan.days == ()
    assert plan.shortfall is not None and plan.shortfall.startswith("Not enough time: 14.5 h needed, 0 h available.")
    assert {c.topic_id for c in plan.cut} == {"alg", "quad", "sim", "seq"}


def test_hours_by_weekday() -> None:
    plan = make_plan(
        maths(), mastery={}, today=TODAY, exam_date=TODAY + timedelta(days=14), hours_per_day={5: 4, 6: 4}
    )
    for day in plan.days:
        assert day.minutes_available == (240 if day.day.weekday() >= 5 else 0)
        assert day.minutes_planned <= day.minutes_available


def test_replanning_after_a_missed_day_keeps_the_past_and_moves_the_rest() -> None:
    exam = TODAY + timedelta(days=12)
    first = make_plan(maths(), mastery={}, today=TODAY, exam_date=exam, hours_per_day=2)
    ticked = first
    for index in range(len(first.days[0].items)):
        ticked = ticked.with_done(day=TODAY, index=index)
    # Day 2 is missed; the student re-plans on day 3 with unchanged mastery.
    replanned = make_plan(
        maths(), mastery={}, today=TODAY + timedelta(days=2), exam_date=exam, hours_per_day=2, previous=ticked
    )
    assert replanned.days[:2] == ticked.days[:2]
    assert all(i.done for i in replanned.days[0].items) and not any(i.done for i in replanned.days[1].items)
    assert replanned.days[2].day == TODAY + timedelta(days=2)
    done_on_day_one = sum(i.minutes for i in first.days[0].items)
    assert sum(learning_minutes(replanned, since=TODAY + timedelta(days=2)).values()) == (
        sum(learning_minutes(first).values()) - done_on_day_one
    )
    assert replanned.days[-1].revision
    assert replanned.baseline_mastery == first.baseline_mastery


def test_replanning_after_progress_never_counts_it_twice() -> None:
    exam = TODAY + timedelta(days=30)
    first = make_plan(maths(), mastery={}, today=TODAY, exam_date=exam, hours_per_day=2)
    # Algebra's practice raised its mastery to 50 without any item ticked off.
    later = make_plan(maths(), mastery={"alg": 50.0}, today=TODAY + timedelta(days=1), exam_date=exam,
                      hours_per_day=2, previous=first)
    assert learning_minutes(later, since=later.made_on)["alg"] == 150  # half of 300: gap halved
    assert later.days[1].items[0].topic_id == "alg"
    ticked = later.with_done(day=later.days[1].day, index=0)  # and half an hour ticked off
    again = make_plan(maths(), mastery={"alg": 50.0}, today=TODAY + timedelta(days=2), exam_date=exam,
                      hours_per_day=2, previous=ticked)
    assert learning_minutes(again, since=TODAY + timedelta(days=2)).get("alg", 0) == 150


def test_done_work_today_uses_up_today() -> None:
    exam = TODAY + timedelta(days=10)
    first = make_plan(maths(), mastery={}, today=TODAY, exam_date=exam, hours_per_day=2)
    ticked = first.with_done(day=TODAY, index=0)
    again = make_plan(maths(), mastery={}, today=TODAY, exam_date=exam, hours_per_day=2, previous=ticked)
    assert again.days[0].items[0] == ticked.days[0].items[0]
    assert again.days[0].minutes_planned <= again.days[0].minutes_available


def test_topic_mastery_averages_concepts() -> None:
    syllabus = Syllabus(
        (TopicInfo("t", "T"), TopicInfo("u", "U")),
        (ConceptInfo("a", "t", "A"), ConceptInfo("b", "t", "B")),
        (),
    )
    assert topic_mastery(syllabus, {"a": 80.0}) == {"t": 40.0}


def test_json_round_trip_and_bad_format() -> None:
    plan = make_plan(maths(), mastery={"alg": 30.0}, today=TODAY, exam_date=TODAY + timedelta(days=2), hours_per_day=1)
    data = json.loads(json.dumps(plan.to_dict()))
    assert StudyPlan.from_dict(data) == plan
    with pytest.raises(PlanFormatError, match="version 99"):
        StudyPlan.from_dict({**data, "version": 99})
    with pytest.raises(PlanFormatError):
        StudyPlan.from_dict({**data, "days": [{"day": "not a date"}]})


def test_with_done_refuses_an_unknown_item() -> None:
    plan = make_plan(maths(), mastery={}, today=TODAY, exam_date=TODAY + timedelta(days=2), hours_per_day=1)
    with pytest.raises(EngineInputError, match="no item 9 on 2025-03-03"):
        plan.with_done(day=TODAY, index=9)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"exam_date": TODAY - timedelta(days=1)}, ExamDateError, "2025-03-02 is before today"),
        ({"hours_per_day": 0}, StudyTimeError, "more than 0"),
        ({"hours_per_day": -2.0}, StudyTimeError, "more than 0"),
        ({"hours_per_day": 30}, StudyTimeError, "24 hours"),
        ({"hours_per_day": 0.25}, StudyTimeError, "0.25 h a day cannot hold one 30-minute"),
        ({"hours_per_day": {0: 0, 3: 0}}, StudyTimeError, "No day of the week"),
        ({"hours_per_day": {7: 2}}, StudyTimeError, "0 \\(Monday\\) to 6"),
        ({"block_minutes": 0}, StudyTimeError, "study block"),
        ({"mastery": {"alg": 120.0}}, EngineInputError, "'alg' is 120"),
        ({"mastery": {"alg": float("nan")}}, EngineInputError, "'alg' is nan"),
    ],
)
def test_bad_input_is_refused_with_a_readable_message(kwargs: dict, error: type, message: str) -> None:
    arguments = {"mastery": {}, "today": TODAY, "exam_date": TODAY + timedelta(days=5), "hours_per_day": 2.0}
    with pytest.raises(error, match=message):
        make_plan(maths(), **{**arguments, **kwargs})


def test_empty_or_cyclic_syllabus_is_refused() -> None:
    arguments = {"mastery": {}, "today": TODAY, "exam_date": TODAY + timedelta(days=5), "hours_per_day": 2.0}
    with pytest.raises(EmptySyllabusError):
        make_plan(Syllabus((), (), ()), **arguments)
    cyclic = (
        TopicInfo("a", "Algebra", prerequisites=("c",)),
        TopicInfo("b", "Bearings", prerequisites=("a",)),
        TopicInfo("c", "Circles", prerequisites=("b",)),
    )
    rotations = "Algebra -> Circles -> Bearings -> Algebra|Circles -> Bearings -> Algebra -> Circles"
    with pytest.raises(CycleError, match=rotations):
        make_plan(Syllabus(cyclic, (), ()), **arguments)


def test_large_syllabus_plans() -> None:
    syllabus = generate_syllabus(topics=200, concepts_per_topic=0, questions_per_concept=0, seed=2)
    plan = make_plan(syllabus, mastery={}, today=TODAY, exam_date=TODAY + timedelta(days=180), hours_per_day=1.5)
    assert plan.shortfall is not None and plan.cut
    assert all(d.minutes_planned <= d.minutes_available for d in plan.days)


# ---------------------------------------------------------------- properties


@st.composite
def planning_inputs(draw: st.DrawFn) -> dict:
    topics = topic_dag(draw, 8, estimated_hours=st.sampled_from([0, 0.5, 1, 2, 5, 12]))
    hours = draw(
        st.one_of(
            st.floats(1, 10).map(lambda h: round(h, 2)),
            st.dictionaries(st.integers(0, 6), st.sampled_from([0, 0.25, 1, 3]), min_size=1).filter(
                lambda d: any(v >= 1 for v in d.values())
            ),
        )
    )
    return {
        "syllabus": Syllabus(tuple(topics), (), ()),
        "mastery": draw(st.dictionaries(st.sampled_from([t.id for t in topics]), st.floats(0, 100))),
        "today": TODAY + timedelta(days=draw(st.integers(0, 6))),
        "days": draw(st.integers(0, 40)),
        "hours_per_day": hours,
        "block_minutes": draw(st.sampled_from([15, 30, 60])),
    }


def _all_prerequisites(syllabus: Syllabus, topic_id: str) -> set[str]:
    stack, seen = list(syllabus.topic_by_id[topic_id].prerequisites), set()
    while stack:
        t = stack.pop()
        if t not in seen:
            seen.add(t)
            stack.extend(syllabus.topic_by_id[t].prerequisites)
    return seen


@settings(max_examples=300, deadline=None)
@given(planning_inputs())
def test_plan_properties(inputs: dict) -> None:
    syllabus, days, block = inputs["syllabus"], inputs["days"], inputs["block_minutes"]
    plan = make_plan(
        syllabus,
        mastery=inputs["mastery"],
        today=inputs["today"],
        exam_date=inputs["today"] + timedelta(days=days),
        hours_per_day=inputs["hours_per_day"],
        block_minutes=block,
    )
    assert [d.day for d in plan.days] == [inputs["today"] + timedelta(days=n) for n in range(days)]
    # Hours never exceeded; whole blocks only.
    for day in plan.days:
        assert day.minutes_planned <= day.minutes_available
        assert all(item.minutes > 0 and item.minutes % block == 0 for item in day.items)
    # Prerequisites before dependents; nothing planned whose prerequisite was cut.
    position: dict[str, list[tuple[int, int]]] = {}
    for d, day in enumerate(plan.days):
        for i, item in enumerate(day.items):
            if item.kind != "revision":
                position.setdefault(item.topic_id, []).append((d, i))
    cut_ids = {c.topic_id for c in plan.cut}
    for topic_id, places in position.items():
        for prerequisite in _all_prerequisites(syllabus, topic_id):
            assert prerequisite not in cut_ids
            assert all(p < min(places) for p in position.get(prerequisite, []))
    # What is needed is either planned or reported as cut, and the statement says so.
    planned = sum(minutes for minutes in learning_minutes(plan).values())
    assert planned + sum(c.minutes for c in plan.cut) == plan.minutes_needed
    assert (plan.minutes_needed > plan.minutes_available) == bool(plan.cut) == (plan.shortfall is not None)
    for cut in plan.cut[:8]:
        assert cut.name in (plan.shortfall or "")
    # Revision: the last study days, at least one from three study days on.
    study = [d for d in plan.days if d.minutes_available > 0]
    revision = [d for d in plan.days if d.revision]
    assert (len(revision) >= 1) == (len(study) >= 3)
    assert revision == study[len(study) - len(revision) :]
    assert StudyPlan.from_dict(json.loads(json.dumps(plan.to_dict()))) == plan


@settings(max_examples=100, deadline=None)
@given(planning_inputs(), st.integers(0, 10), st.data())
def test_replanning_keeps_history(inputs: dict, step: int, data: st.DataObject) -> None:
    exam = inputs["today"] + timedelta(days=inputs["days"])
    common = {
        "mastery": inputs["mastery"],
        "exam_date": exam,
        "hours_per_day": inputs["hours_per_day"],
        "block_minutes": inputs["block_minutes"],
    }
    first = make_plan(inputs["syllabus"], today=inputs["today"], **common)
    ticked = first
    for d, day in enumerate(first.days):
        for i in range(len(day.items)):
            if data.draw(st.booleans()):
                ticked = ticked.with_done(day=day.day, index=i)
    later = min(exam, inputs["today"] + timedelta(days=step))
    again = make_plan(inputs["syllabus"], today=later, previous=ticked, **common)
    assert [d for d in again.days if d.day < later] == [d for d in ticked.days if d.day < later]
    done_before = sorted((i.topic_id, i.kind, i.minutes) for d in ticked.days for i in d.items if i.done)
    done_after = sorted((i.topic_id, i.kind, i.minutes) for d in again.days for i in d.items if i.done)
    assert done_after == done_before
    for day in again.days:
        if day.day >= later:
            assert sum(i.minutes for i in day.items if not i.done) <= day.minutes_available


def test_a_plan_knows_the_exam_date_and_hours_it_was_made_for() -> None:
    exam = TODAY + timedelta(days=20)
    plan = make_plan(maths(), mastery={}, today=TODAY, exam_date=exam, hours_per_day=2.0)
    assert made_for(plan, exam_date=exam, hours_per_day=2.0)
    assert made_for(plan, exam_date=exam, hours_per_day=2.2)  # the same 30-minute blocks: the same plan
    assert not made_for(plan, exam_date=exam + timedelta(days=1), hours_per_day=2.0)
    assert not made_for(plan, exam_date=exam, hours_per_day=1.0)
    assert not made_for(plan, exam_date=exam, hours_per_day={0: 2.0})  # weekends and weekdays off now
    assert not made_for(plan, exam_date=exam, hours_per_day=0.1)  # too little for a block: re-planning says so
    weekly = make_plan(maths(), mastery={}, today=TODAY, exam_date=exam, hours_per_day={0: 2.0, 5: 4.0})
    assert made_for(weekly, exam_date=exam, hours_per_day={0: 2.0, 5: 4.0})
    assert not made_for(weekly, exam_date=exam, hours_per_day=2.0)
    exam_today = make_plan(maths(), mastery={}, today=TODAY, exam_date=TODAY, hours_per_day=2.0)
    assert made_for(exam_today, exam_date=TODAY, hours_per_day=5.0)  # no day to plan: hours change nothing


def test_the_syllabus_fingerprint_changes_with_what_a_plan_is_made_of_only() -> None:
    base = maths()
    same = syllabus_fingerprint(base)
    assert syllabus_fingerprint(maths()) == same  # the same syllabus read again
    concept = ConceptInfo("c1", "alg", "Expressions")
    with_concept = Syllabus(base.topics, (concept,), ())
    assert syllabus_fingerprint(with_concept) != same  # the topic's mastery is its concepts'
    moved = Syllabus(base.topics, (ConceptInfo("c1", "quad", "Expressions"),), ())
    assert syllabus_fingerprint(moved) != syllabus_fingerprint(with_concept)
    renamed = Syllabus(base.topics, (ConceptInfo("c1", "alg", "Algebraic expressions"),), ())
    assert syllabus_fingerprint(renamed) == syllabus_fingerprint(with_concept)  # concept names: not in a plan
    question = QuestionInfo("q1", "c1", difficulty=5)
    assert syllabus_fingerprint(Syllabus(base.topics, (concept,), (question,))) == syllabus_fingerprint(with_concept)
    alg, *rest = base.topics
    changes = [
        (*base.topics, TopicInfo("vec", "Vectors", exam_weightage=5, estimated_hours=2)),  # added
        tuple(rest),  # removed
        (replace(alg, exam_weightage=45), *rest),
        (replace(alg, estimated_hours=5), *rest),
        (replace(alg, name="Algebra 1"), *rest),  # named in what a plan leaves out
        (alg, *rest[:2], replace(rest[2], prerequisites=("alg",))),
        (*rest[:1], alg, *rest[1:]),  # order breaks ties
    ]
    prints = {syllabus_fingerprint(Syllabus(topics, (), ())) for topics in changes}
    assert len(prints) == len(changes) and same not in prints
