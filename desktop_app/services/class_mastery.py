"""A class's mastery as a table: students × topics, the class average, sorting, CSV.

Pure functions over the server's `GET /classes/{id}/mastery` answer (docs/sync-protocol.md):
no Qt, no database, so the Classes screen and the CSV export share one tested shape.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO


@dataclass(frozen=True)
class StudentRow:
    user_id: str
    username: str
    mastery: tuple[float | None, ...]  # per topic, in `MasteryTable.topics` order (None: no answers yet)
    attempts: tuple[int, ...]


@dataclass(frozen=True)
class MasteryTable:
    class_id: str
    name: str
    topics: tuple[tuple[str, str], ...]  # (topic id, name), syllabus order
    students: tuple[StudentRow, ...]

    def average(self) -> tuple[float | None, ...]:
        """The class average per topic (over the students who have a value)."""
        out = []
        for i in range(len(self.topics)):
            values = [s.mastery[i] for s in self.students if s.mastery[i] is not None]
            out.append(round(sum(values) / len(values), 1) if values else None)  # type: ignore[arg-type]
        return tuple(out)


def from_server(data: dict[str, Any]) -> MasteryTable:
    """The table of one class mastery answer; topics in the order the server gives them.

    A topic the student has not answered anything on has no value (None), not the model's
    starting 0: "not started" and "tried and failed" are different things to a teacher, and
    the class average is over the students who started the topic."""
    topics: dict[str, str] = {}
    for student in data.get("students", []):
        for topic in student.get("topics", []):
            topics.setdefault(topic["topic_id"], topic["name"])
    order = list(topics)
    rows = []
    for student in data.get("students", []):
        by_topic = {t["topic_id"]: t for t in student.get("topics", [])}
        rows.append(StudentRow(
            user_id=student["user_id"], username=student["username"],
            mastery=tuple(float(by_topic[t]["mastery"]) if by_topic.get(t, {}).get("attempts") else None
                          for t in order),
            attempts=tuple(int(by_topic[t].get("attempts", 0)) if t in by_topic else 0 for t in order)))
    return MasteryTable(class_id=data["class_id"], name=data.get("name", ""),
                        topics=tuple((t, topics[t]) for t in order), students=tuple(rows))


def sorted_students(table: MasteryTable, *, column: int | None, descending: bool = False) -> list[StudentRow]:
    """Students by name (`column=None`) or by one topic's mastery (no value sorts last)."""
    if column is None:
        return sorted(table.students, key=lambda s: (s.username.casefold(), s.user_id), reverse=descending)
    known = [s for s in table.students if s.mastery[column] is not None]
    unknown = [s for s in table.students if s.mastery[column] is None]
    known.sort(key=lambda s: (s.mastery[column], s.username.casefold()), reverse=descending)  # type: ignore[arg-type]
    return known + sorted(unknown, key=lambda s: s.username.casefold())


def write_csv(table: MasteryTable, out: TextIO, *, average_label: str = "Class average") -> None:
    """Student, then one column per topic (mastery 0–100, empty when unknown), then the average row."""
    writer = csv.writer(out)
    writer.writerow(["student", *(_safe(name) for _, name in table.topics)])
    for student in sorted_students(table, column=None):
        writer.writerow([_safe(student.username), *(_number(v) for v in student.mastery)])
    writer.writerow([average_label, *(_number(v) for v in table.average())])


def export_csv(table: MasteryTable, path: Path, *, average_label: str = "Class average") -> None:
    """`write_csv` to a file (UTF-8 with a BOM so spreadsheet programs read accents right)."""
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        write_csv(table, out, average_label=average_label)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _safe(text: str) -> str:
    """A user name cannot become a spreadsheet formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
