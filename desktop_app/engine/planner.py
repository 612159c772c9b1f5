"""The study planner: from today to the exam, within the hours per day.

How a plan is made (ARCHITECTURE.md, "The engine"):

* Days run from `today` to the day before the exam; the exam day is not planned. Each
  day holds whole study blocks (`block_minutes`) within its hours.
* Time per topic = estimated hours x remaining gap (100 - mastery) x a weight factor of
  0.75..1.25 that grows with the topic's exam weightage, rounded to whole blocks. Up to
  mastery 50 the work is "learn", above it "practise".
* Revision: the final ~12% of the study days (at least one when there are three or
  more) are kept for revision, shared among the planned topics by exam weight x gap
  (the gap floored at 10, since even a mastered topic fades by exam day).
* Learning fills the other days in prerequisite order (among topics that are ready, the
  heaviest first), spread over those days in proportion to their hours: spaced study
  beats cramming, and the slack absorbs a missed day.
* If the time is short, whole topics are left out, least exam weight per hour first;
  a topic is only left out once nothing that depends on it is still planned, so no
  planned topic ever lacks a prerequisite. The last one may be cut only partly. The
  plan says so in `shortfall` and lists them in `cut`.
* Re-planning (`previous=`): days before `today` are kept exactly as they were; items
  already done on later days move onto today as done. Progress since the first plan is
  the larger of the mastery gained and the learning time ticked off (never their sum:
  they usually measure the same study), and the remaining work is planned afresh.

Everything is deterministic and runs in time linear in days + topics (plus sorting).
"""
from __future__ import annotations

import hashlib
import heapq
import math
from collections.abc import Callable, Mapping
from datetime import date, timedelta

from desktop_app.engine.graph import PrerequisiteGraph
from desktop_app.engine.input_errors import EngineInputError, ExamDateError, StudyTimeError
from desktop_app.engine.study_plan import CutTopic, PlanDay, PlanItem, PlanKind, StudyPlan
from desktop_app.engine.syllabus import Syllabus
from desktop_app.engine.syllabus_checks import checked_topic_graph

REVISION_SHARE = 0.12  # of the study days, at the end
LEARN_UP_TO = 50.0  # mastery below which the work on a topic is "learn", above "practise"
REVISION_GAP_FLOOR = 10.0
_NAMES_IN_STATEMENT = 8


def topic_mastery(syllabus: Syllabus, concept_mastery: Mapping[str, float]) -> dict[str, float]:
    """Mean concept mastery (0..100) per topic, a concept absent from `concept_mastery`
    counting as 0 (no evidence yet). Topics without concepts are left out (they count
    as 0 in the planner too)."""
    totals: dict[str, list[float]] = {}
    for concept in syllabus.concepts:
        totals.setdefault(concept.topic_id, []).append(concept_mastery.get(concept.id, 0.0))
    return {topic_id: sum(levels) / len(levels) for topic_id, levels in totals.items()}


def make_plan(
    syllabus: Syllabus,
    *,
    mastery: Mapping[str, float],
    today: date,
    exam_date: date,
    hours_per_day: float | Mapping[int, float],
    block_minutes: int = 30,
    previous: StudyPlan | None = None,
) -> StudyPlan:
    """Plan the days from `today` to the day before `exam_date`.

    `mastery` maps topic id -> 0..100 (see `topic_mastery`; absent topics count as 0).
    `hours_per_day` is one number for every day, or weekday (Monday = 0 .. Sunday = 6) ->
    hours, absent weekdays being rest days. `previous` is the plan being replaced, whose
    past and done items are kept (see the module docstring). An exam today gives a plan
    with no days and everything listed as cut.

    Raises ExamDateError (exam before today), StudyTimeError (hours negative, zero, above
    24, or too few for one block; block length not a positive whole number),
    EngineInputError (mastery outside 0..100), and what `checked_topic_graph` raises:
    EmptySyllabusError, SyllabusError, graph.CycleError. All are ValueError.
    """
    if isinstance(block_minutes, bool) or not isinstance(block_minutes, int) or not 1 <= block_minutes <= 600:
        raise StudyTimeError(f"A study block must be 1 to 600 whole minutes, not {block_minutes!r}.")
    if exam_date < today:
        raise ExamDateError(
            f"The exam date {exam_date.isoformat()} is before today ({today.isoformat()})."
        )
    capacity_of = _daily_capacity(hours_per_day, block_minutes)
    graph = checked_topic_graph(syllabus)
    for topic_id, level in mastery.items():
        if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0.0 <= level <= 100.0:
            raise EngineInputError(f"Mastery of topic {topic_id!r} is {level}; expected 0 to 100.")

    current = {t.id: float(mastery.get(t.id, 0.0)) for t in syllabus.topics}
    kept_days, carried, done_minutes = _history(previous, today)
    baseline = {t.id: current[t.id] for t in syllabus.topics}
    if previous is not None:
        baseline.update((k, v) for k, v in previous.baseline_mastery.items() if k in baseline)

    dates = [today + timedelta(days=n) for n in range((exam_date - today).days)]
    capacity = [capacity_of(d.weekday()) for d in dates]
    free = list(capacity)
    if dates and carried:  # work already done today uses up part of today
        free[0] = max(0, free[0] - sum(item.minutes for item in carried))
        free[0] -= free[0] % block_minutes
    study = [i for i, minutes in enumerate(free) if minutes > 0]
    n_revision = max(1, round(REVISION_SHARE * len(study))) if len(study) >= 3 else 0
    revision_days = set(study[len(study) - n_revision :])
    learning_days = [i for i in study if i not in revision_days]

    needs = _needs(syllabus, current=current, baseline=baseline, done=done_minutes, block=block_minutes)
    needed = sum(learn + practise for learn, practise in needs.values())
    available = sum(free[i] for i in learning_days)
    order = _prerequisites_first(syllabus, graph)
    cut = _cut(syllabus, graph, order, needs, excess=needed - available, block=block_minutes)

    work: list[tuple[str, PlanKind, int]] = []
    for topic_id in order:
        learn, practise = needs.get(topic_id, (0, 0))
        if learn:
            work.append((topic_id, "learn", learn))
        if practise:
            work.append((topic_id, "practise", practise))
    quotas = _spread(sum(m for _, _, m in work), [free[i] for i in learning_days], block_minutes)
    items: list[list[PlanItem]] = [[] for _ in dates]
    _pour(work, [(day, quota) for day, quota in zip(learning_days, quotas)], items)

    fully_cut = {c.topic_id for c in cut if not c.partly}
    revision_work = _revision(
        syllabus,
        [t for t in order if t not in fully_cut],
        current=current,
        blocks=sum(free[i] for i in revision_days) // block_minutes,
        block=block_minutes,
    )
    _pour(revision_work, [(i, free[i]) for i in sorted(revision_days)], items)

    if carried:
        if dates:
            items[0][:0] = carried
        else:  # the exam is today: keep the days the done work was on, as they were
            kept_days += [
                PlanDay(d.day, d.minutes_available, tuple(i for i in d.items if i.done), d.revision)
                for d in previous.days  # type: ignore[union-attr]  # carried implies previous
                if d.day >= today and any(i.done for i in d.items)
            ]
    days = [
        PlanDay(day=d, minutes_available=capacity[i], items=tuple(items[i]), revision=i in revision_days)
        for i, d in enumerate(dates)
    ]
    return StudyPlan(
        made_on=today,
        exam_date=exam_date,
        block_minutes=block_minutes,
        days=tuple(kept_days + days),
        baseline_mastery=baseline,
        minutes_needed=needed,
        minutes_available=available,
        cut=tuple(cut),
        shortfall=_statement(cut, needed=needed, available=available, revision_days=n_revision),
    )


def made_for(plan: StudyPlan, *, exam_date: date, hours_per_day: float | Mapping[int, float]) -> bool:
    """True when `plan` was laid out for this exam date and these hours: its own record of
    them is the exam date and the whole-block minutes of every day it planned (from
    `plan.made_on` on), so nothing else needs storing and plans made before this check
    existed are judged too. Hours that give the same blocks give the same plan, so they
    count as the same. Hours that cannot make a plan (StudyTimeError) count as different:
    re-planning then says why."""
    if plan.exam_date != exam_date:
        return False
    try:
        capacity_of = _daily_capacity(hours_per_day, plan.block_minutes)
    except StudyTimeError:
        return False
    return all(d.minutes_available == capacity_of(d.day.weekday()) for d in plan.days if d.day >= plan.made_on)


def syllabus_fingerprint(syllabus: Syllabus) -> str:
    """A short digest of what a plan takes from `syllabus`: the topics in order with their
    name, weightage, hours and prerequisites, and which concepts make up each topic (its
    mastery is theirs, see `topic_mastery`). Equal digests give the same plan from the same
    mastery; questions are left out, since a plan is made of topics and minutes."""
    planned = (tuple((t.id, t.name, t.exam_weightage, t.estimated_hours, t.prerequisites) for t in syllabus.topics),
               tuple((c.id, c.topic_id) for c in syllabus.concepts))
    return hashlib.sha256(repr(planned).encode()).hexdigest()[:32]


# ---------------------------------------------------------------- inputs


def _daily_capacity(hours_per_day: float | Mapping[int, float], block: int) -> Callable[[int], int]:
    """weekday -> whole-block minutes; raises StudyTimeError for hours that cannot work."""
    if isinstance(hours_per_day, Mapping):
        by_weekday = dict(hours_per_day)
        if any(not isinstance(k, int) or isinstance(k, bool) or not 0 <= k <= 6 for k in by_weekday):
            raise StudyTimeError("Hours per weekday must be keyed 0 (Monday) to 6 (Sunday).")
        for hours in by_weekday.values():
            _check_hours(hours, allow_zero=True)
        minutes = [_whole_blocks(by_weekday.get(w, 0.0), block) for w in range(7)]
        if not any(minutes):
            raise StudyTimeError(
                f"No day of the week has time for one {block}-minute study block."
            )
        return minutes.__getitem__
    _check_hours(hours_per_day, allow_zero=False)
    daily = _whole_blocks(hours_per_day, block)
    if daily == 0:
        raise StudyTimeError(
            f"{hours_per_day:g} h a day cannot hold one {block}-minute study block."
        )
    return lambda weekday: daily


def _check_hours(hours: object, *, allow_zero: bool) -> None:
    if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not math.isfinite(hours):
        raise StudyTimeError(f"Hours per day must be a number, not {hours!r}.")
    if hours < 0 or (hours == 0 and not allow_zero):
        raise StudyTimeError(f"Hours per day must be more than 0, not {hours:g}.")
    if hours > 24:
        raise StudyTimeError(f"A day has 24 hours, not {hours:g}.")


def _whole_blocks(hours: float, block: int) -> int:
    minutes = int(round(hours * 60, 6))
    return minutes - minutes % block


def _history(
    previous: StudyPlan | None, today: date
) -> tuple[list[PlanDay], list[PlanItem], dict[str, int]]:
    """(days before today kept as they were, done items from today on, done learning
    minutes per topic over the whole previous plan)."""
    if previous is None:
        return [], [], {}
    kept = [d for d in previous.days if d.day < today]
    carried = [i for d in previous.days if d.day >= today for i in d.items if i.done]
    done: dict[str, int] = {}
    for plan_day in previous.days:
        for item in plan_day.items:
            if item.done and item.kind != "revision":
                done[item.topic_id] = done.get(item.topic_id, 0) + item.minutes
    return kept, carried, done


def _needs(
    syllabus: Syllabus,
    *,
    current: Mapping[str, float],
    baseline: Mapping[str, float],
    done: Mapping[str, int],
    block: int,
) -> dict[str, tuple[int, int]]:
    """topic id -> (learn minutes, practise minutes), whole blocks, for topics with work."""
    top_weight = max(t.exam_weightage for t in syllabus.topics)
    needs: dict[str, tuple[int, int]] = {}
    for topic in syllabus.topics:
        factor = 0.75 + 0.5 * topic.exam_weightage / top_weight if top_weight > 0 else 1.0
        scale = topic.estimated_hours * 60.0 * factor / 100.0  # minutes per mastery point
        now, base, spent = current[topic.id], baseline[topic.id], done.get(topic.id, 0)
        total = min(scale * (100.0 - now), max(0.0, scale * (100.0 - base) - spent))
        learn = min(scale * max(0.0, LEARN_UP_TO - now), max(0.0, scale * max(0.0, LEARN_UP_TO - base) - spent))
        total_blocks = math.floor(total / block + 0.5)
        learn_blocks = min(total_blocks, math.floor(learn / block + 0.5))
        if total_blocks:
            needs[topic.id] = (learn_blocks * block, (total_blocks - learn_blocks) * block)
    return needs


# ---------------------------------------------------------------- choices


def _cut(
    syllabus: Syllabus,
    graph: PrerequisiteGraph,
    order: list[str],
    needs: dict[str, tuple[int, int]],
    *,
    excess: int,
    block: int,
) -> list[CutTopic]:
    """Remove `excess` minutes from `needs` (in place), least exam weight per hour first,
    never a topic that a still-planned topic depends on (directly or through topics that
    need no work). Returns what was removed, in the order it was removed."""
    if excess <= 0:
        return []
    # Prerequisite links between topics with work, looking through topics without work.
    nearest: dict[str, set[str]] = {}
    for topic_id in order:  # prerequisites first, so `nearest[p]` is always ready
        found: set[str] = set()
        for p in graph.requires(topic_id):
            found |= {p} if p in needs else nearest[p]
        nearest[topic_id] = found
    dependents = {t: 0 for t in needs}
    for topic_id in needs:
        for p in nearest[topic_id]:
            dependents[p] += 1
    position = {t.id: i for i, t in enumerate(syllabus.topics)}

    def density(topic_id: str) -> tuple[float, int]:
        hours = sum(needs[topic_id]) / 60.0
        return syllabus.topic_by_id[topic_id].exam_weightage / hours, position[topic_id]

    leaves = [(density(t), t) for t, count in dependents.items() if count == 0]
    heapq.heapify(leaves)
    cut: list[CutTopic] = []
    while excess > 0 and leaves:
        _, topic_id = heapq.heappop(leaves)
        learn, practise = needs[topic_id]
        name = syllabus.topic_by_id[topic_id].name
        if learn + practise <= excess:
            del needs[topic_id]
            excess -= learn + practise
            cut.append(CutTopic(topic_id, name, learn + practise))
            for p in nearest[topic_id]:
                dependents[p] -= 1
                if dependents[p] == 0:
                    heapq.heappush(leaves, (density(p), p))
        else:
            take = -(-excess // block) * block  # whole blocks, practice before learning
            from_practise = min(practise, take)
            needs[topic_id] = (learn - (take - from_practise), practise - from_practise)
            cut.append(CutTopic(topic_id, name, take, partly=True))
            excess = 0
    return cut


def _prerequisites_first(syllabus: Syllabus, graph: PrerequisiteGraph) -> list[str]:
    """Topological order; among topics that are ready, the heaviest exam weight first."""
    waiting = {t.id: len(graph.requires(t.id)) for t in syllabus.topics}
    dependents: dict[str, list[str]] = {t.id: [] for t in syllabus.topics}
    for topic in syllabus.topics:
        for p in graph.requires(topic.id):
            dependents[p].append(topic.id)
    position = {t.id: i for i, t in enumerate(syllabus.topics)}
    ready = [(-t.exam_weightage, position[t.id], t.id) for t in syllabus.topics if waiting[t.id] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, _, topic_id = heapq.heappop(ready)
        order.append(topic_id)
        for dependent in dependents[topic_id]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                topic = syllabus.topic_by_id[dependent]
                heapq.heappush(ready, (-topic.exam_weightage, position[dependent], dependent))
    return order


def _spread(total: int, capacities: list[int], block: int) -> list[int]:
    """Split `total` minutes over days in proportion to their capacities, in whole
    blocks, never above a day's capacity (largest remainders, earlier days first).
    Assumes total <= sum(capacities), which the cut guarantees."""
    blocks, room = total // block, [c // block for c in capacities]
    if not blocks:
        return [0] * len(capacities)
    all_room = sum(room)
    shares = [blocks * r / all_room for r in room]
    quota = [math.floor(s) for s in shares]
    by_remainder = sorted(range(len(room)), key=lambda i: (quota[i] - shares[i], i))
    for i in by_remainder[: blocks - sum(quota)]:
        quota[i] += 1
    return [q * block for q in quota]


def _pour(
    work: list[tuple[str, PlanKind, int]], slots: list[tuple[int, int]], items: list[list[PlanItem]]
) -> None:
    """Fill the (day index, minutes) slots in order with the work in order, splitting a
    piece of work across days where needed."""
    pieces = iter(work)
    piece = next(pieces, None)
    left = piece[2] if piece else 0
    for day, room in slots:
        while room > 0 and piece is not None:
            minutes = min(room, left)
            items[day].append(PlanItem(piece[0], minutes, piece[1]))
            room -= minutes
            left -= minutes
            if left == 0:
                piece = next(pieces, None)
                left = piece[2] if piece else 0


def _revision(
    syllabus: Syllabus, topic_ids: list[str], *, current: Mapping[str, float], blocks: int, block: int
) -> list[tuple[str, PlanKind, int]]:
    """Share `blocks` of revision among `topic_ids` (kept in order) by weight x gap."""
    if not blocks or not topic_ids:
        return []
    gaps = [max(REVISION_GAP_FLOOR, 100.0 - current[t]) for t in topic_ids]
    scores = [syllabus.topic_by_id[t].exam_weightage * g for t, g in zip(topic_ids, gaps)]
    if not any(scores):
        scores = gaps
    total = sum(scores)
    shares = [blocks * s / total for s in scores]
    quota = [math.floor(s) for s in shares]
    for i in sorted(range(len(shares)), key=lambda i: (quota[i] - shares[i], i))[: blocks - sum(quota)]:
        quota[i] += 1
    return [(t, "revision", q * block) for t, q in zip(topic_ids, quota) if q]


def _statement(cut: list[CutTopic], *, needed: int, available: int, revision_days: int) -> str | None:
    if not cut:
        return None
    listed = ", ".join(
        f"{c.name} ({_hours(c.minutes)}{', partly' if c.partly else ''})" for c in cut[:_NAMES_IN_STATEMENT]
    )
    if len(cut) > _NAMES_IN_STATEMENT:
        listed += f" and {len(cut) - _NAMES_IN_STATEMENT} more topics"
    kept = (
        f" (the last {revision_days} study day{'s' if revision_days > 1 else ''} kept for revision)"
        if revision_days
        else ""
    )
    return (
        f"Not enough time: {_hours(needed)} needed, {_hours(available)} available{kept}. "
        f"Left out: {listed} — the lowest exam weight per hour."
    )


def _hours(minutes: int) -> str:
    return f"{round(minutes / 60, 1):g} h"
