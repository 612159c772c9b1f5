"""A study plan as plain values, and its JSON form (plans are stored and synced).

The planner (planner.py) makes these; services store `to_dict()` as JSON and read it back
with `StudyPlan.from_dict`, which refuses anything it cannot read with PlanFormatError
instead of guessing. Only `with_done` changes a plan after it is made: ticking an item
off is the one edit a student makes by hand; everything else comes from re-planning.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal, cast

from desktop_app.engine.input_errors import EngineInputError, PlanFormatError

PlanKind = Literal["learn", "practise", "revision"]
PLAN_KINDS: tuple[PlanKind, ...] = ("learn", "practise", "revision")
# Bump when the stored shape changes; from_dict refuses versions it does not know.
FORMAT_VERSION = 1


@dataclass(frozen=True)
class PlanItem:
    """`minutes` of one kind of work on one topic; `done` once the student ticks it off."""

    topic_id: str
    minutes: int
    kind: PlanKind
    done: bool = False


@dataclass(frozen=True)
class PlanDay:
    """One calendar day. `minutes_available` comes from the hours per day (whole study
    blocks); items made by the planner never add up to more than that. Days before the
    plan was (re)made are history and are kept exactly as they were."""

    day: date
    minutes_available: int
    items: tuple[PlanItem, ...] = ()
    revision: bool = False  # one of the revision days before the exam

    @property
    def minutes_planned(self) -> int:
        return sum(item.minutes for item in self.items)


@dataclass(frozen=True)
class CutTopic:
    """Work the plan could not fit: `minutes` of `topic_id`, all of it unless `partly`."""

    topic_id: str
    name: str
    minutes: int
    partly: bool = False


@dataclass(frozen=True)
class StudyPlan:
    """Days from the first planned day to the day before the exam (the exam day itself is
    not planned: it is for the exam).

    `baseline_mastery` (topic id -> 0..100) is the mastery when this series of plans began;
    re-planning compares progress against it (see planner.make_plan). `shortfall` is None
    when everything fits, otherwise a plain statement of what was left out and why, with
    the same topics listed in `cut`. `minutes_needed` and `minutes_available` count new
    learning and practice only (revision days apart).
    """

    made_on: date
    exam_date: date
    block_minutes: int
    days: tuple[PlanDay, ...]
    baseline_mastery: Mapping[str, float] = field(default_factory=dict, hash=False)
    minutes_needed: int = 0
    minutes_available: int = 0
    cut: tuple[CutTopic, ...] = ()
    shortfall: str | None = None

    def day(self, when: date) -> PlanDay | None:
        return next((d for d in self.days if d.day == when), None)

    def with_done(self, *, day: date, index: int, done: bool = True) -> StudyPlan:
        """A copy with item `index` of `day` marked done (or not). Raises EngineInputError
        if there is no such item."""
        for position, plan_day in enumerate(self.days):
            if plan_day.day == day:
                if not 0 <= index < len(plan_day.items):
                    break
                items = list(plan_day.items)
                items[index] = replace(items[index], done=done)
                days = list(self.days)
                days[position] = replace(plan_day, items=tuple(items))
                return replace(self, days=tuple(days))
        raise EngineInputError(f"The plan has no item {index} on {day.isoformat()}.")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: only str, int, float, bool, None, lists and dicts; dates as ISO text."""
        return {
            "version": FORMAT_VERSION,
            "made_on": self.made_on.isoformat(),
            "exam_date": self.exam_date.isoformat(),
            "block_minutes": self.block_minutes,
            "baseline_mastery": dict(self.baseline_mastery),
            "minutes_needed": self.minutes_needed,
            "minutes_available": self.minutes_available,
            "shortfall": self.shortfall,
            "cut": [
                {"topic_id": c.topic_id, "name": c.name, "minutes": c.minutes, "partly": c.partly}
                for c in self.cut
            ],
            "days": [
                {
                    "day": d.day.isoformat(),
                    "minutes_available": d.minutes_available,
                    "revision": d.revision,
                    "items": [
                        {"topic_id": i.topic_id, "minutes": i.minutes, "kind": i.kind, "done": i.done}
                        for i in d.items
                    ],
                }
                for d in self.days
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StudyPlan:
        """Read back what `to_dict` wrote. Raises PlanFormatError naming what is wrong."""
        try:
            if data["version"] != FORMAT_VERSION:
                raise PlanFormatError(
                    f"Study plan format version {data['version']!r} is not supported "
                    f"(this version reads {FORMAT_VERSION})."
                )
            shortfall = data["shortfall"]
            return cls(
                made_on=date.fromisoformat(data["made_on"]),
                exam_date=date.fromisoformat(data["exam_date"]),
                block_minutes=_int(data["block_minutes"]),
                baseline_mastery={
                    str(k): float(v) for k, v in dict(data["baseline_mastery"]).items()
                },
                minutes_needed=_int(data["minutes_needed"]),
                minutes_available=_int(data["minutes_available"]),
                shortfall=None if shortfall is None else str(shortfall),
                cut=tuple(
                    CutTopic(str(c["topic_id"]), str(c["name"]), _int(c["minutes"]), bool(c["partly"]))
                    for c in data["cut"]
                ),
                days=tuple(_day_from_dict(d) for d in data["days"]),
            )
        except PlanFormatError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise PlanFormatError(f"Stored study plan is malformed: {error!r}") from error


def _day_from_dict(data: Mapping[str, Any]) -> PlanDay:
    items = []
    for item in data["items"]:
        if item["kind"] not in PLAN_KINDS:
            raise PlanFormatError(f"Unknown plan item kind {item['kind']!r}.")
        items.append(
            PlanItem(
                topic_id=str(item["topic_id"]),
                minutes=_int(item["minutes"]),
                kind=cast(PlanKind, item["kind"]),
                done=bool(item["done"]),
            )
        )
    return PlanDay(
        day=date.fromisoformat(data["day"]),
        minutes_available=_int(data["minutes_available"]),
        items=tuple(items),
        revision=bool(data["revision"]),
    )


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PlanFormatError(f"Expected a whole number of minutes, got {value!r}.")
    return value
