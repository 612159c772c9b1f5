"""The question-bank file format and its validation (documented in docs/question-bank-format.md).

Validation reads the whole file and reports every problem with its location
(`questions[12].options: ...`) before anything is written, so a malformed bank imports
nothing and its author can fix every mistake in one pass.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from desktop_app.db.models.content import is_finite_number, model_params_problem
from desktop_app.engine.graph import CycleError, PrerequisiteGraph

FORMAT = "adaptive-learning-bank/1"
QUESTION_TYPES = ("mcq", "numerical", "true_false")


class BankError(ValueError):
    """A bank that cannot be imported; `problems` lists every location and reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        super().__init__(f"invalid question bank ({len(problems)} problem{'s' * (len(problems) != 1)}): {shown}")


def load_bank_file(path: Path) -> dict[str, Any]:
    """Parse a bank file; raises BankError for unreadable files and invalid JSON (with line/column)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BankError([f"{path}: cannot read the file ({exc})"]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BankError([f"line {exc.lineno}, column {exc.colno}: invalid JSON ({exc.msg})"]) from None
    validate_bank(data)
    return data




def _text(item: dict[str, Any], key: str, where: str, problems: list[str], required: bool = True) -> None:
    value = item.get(key)
    if value is None and not required:
        return
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}.{key}: must be a non-empty string")


def _ids(items: list[Any], kind: str, problems: list[str]) -> set[str]:
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"{kind}[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be an object")
            continue
        local_id = item.get("id")
        if not isinstance(local_id, str) or not local_id.strip():
            problems.append(f"{where}.id: must be a non-empty string")
        elif local_id in seen:
            problems.append(f"{where}.id: duplicate id {local_id!r}")
        else:
            seen.add(local_id)
    return seen


def validate_bank(data: Any) -> None:
    """Raise BankError listing every problem of `data`; return quietly when it is importable."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise BankError(["(top level): must be a JSON object"])
    if data.get("format") != FORMAT:
        problems.append(f"format: must be {FORMAT!r}")
    _text(data, "id", "(top level)", problems)
    _text(data, "title", "(top level)", problems)
    sections = {}
    for key in ("topics", "concepts", "questions"):
        value = data.get(key)
        if not isinstance(value, list) or not value:
            problems.append(f"{key}: must be a non-empty list")
            value = []
        sections[key] = value
    topic_ids = _ids(sections["topics"], "topics", problems)
    concept_ids = _ids(sections["concepts"], "concepts", problems)
    _ids(sections["questions"], "questions", problems)
    _check_topics(sections["topics"], topic_ids, problems)
    for i, concept in enumerate(sections["concepts"]):
        if isinstance(concept, dict):
            _text(concept, "name", f"concepts[{i}]", problems)
            if concept.get("topic") not in topic_ids:
                problems.append(f"concepts[{i}].topic: unknown topic {concept.get('topic')!r}")
            _check_model_params(concept, f"concepts[{i}]", problems)
    for i, question in enumerate(sections["questions"]):
        if isinstance(question, dict):
            _check_question(question, f"questions[{i}]", concept_ids, problems)
    if problems:
        raise BankError(problems)


def _check_topics(topics: list[Any], topic_ids: set[str], problems: list[str]) -> None:
    names = {t["id"]: str(t.get("name", t["id"])) for t in topics if isinstance(t, dict) and t.get("id") in topic_ids}
    graph = PrerequisiteGraph(names, names)
    parents: dict[str, str] = {}
    for i, topic in enumerate(topics):
        if not isinstance(topic, dict):
            continue
        where = f"topics[{i}]"
        _text(topic, "name", where, problems)
        for key in ("exam_weightage", "estimated_hours"):
            value = topic.get(key, 0)
            if not is_finite_number(value) or value < 0:
                problems.append(f"{where}.{key}: must be a number >= 0, got {value!r}")
        parent = topic.get("parent")
        if parent is not None:
            if parent not in topic_ids:
                problems.append(f"{where}.parent: unknown topic {parent!r}")
            elif isinstance(topic.get("id"), str):
                parents[topic["id"]] = parent
        prerequisites = topic.get("prerequisites", [])
        if not isinstance(prerequisites, list):
            problems.append(f"{where}.prerequisites: must be a list of topic ids")
            continue
        for j, prerequisite in enumerate(prerequisites):
            if prerequisite not in topic_ids:
                problems.append(f"{where}.prerequisites[{j}]: unknown topic {prerequisite!r}")
            elif topic.get("id") in topic_ids:
                try:
                    graph.add_edge(topic["id"], prerequisite)
                except CycleError as exc:
                    problems.append(f"{where}.prerequisites[{j}]: {exc}")
    for start in parents:  # the topic tree must be a tree
        seen, node = [start], parents[start]
        while node in parents and node not in seen:
            seen.append(node)
            node = parents[node]
        if node in seen:
            problems.append(f"topics: parent cycle: {' -> '.join(names.get(n, n) for n in seen + [node])}")
            break


def _check_model_params(item: dict[str, Any], where: str, problems: list[str]) -> None:
    if item.get("model_params") is not None:
        problem = model_params_problem(item["model_params"])
        if problem:
            problems.append(f"{where}.model_params: {problem}")


def _check_question(q: dict[str, Any], where: str, concept_ids: set[str], problems: list[str]) -> None:
    if q.get("concept") not in concept_ids:
        problems.append(f"{where}.concept: unknown concept {q.get('concept')!r}")
    _check_model_params(q, where, problems)
    _text(q, "text", where, problems)
    _text(q, "explanation", where, problems)
    difficulty = q.get("difficulty", 3)
    if not isinstance(difficulty, int) or isinstance(difficulty, bool) or not 1 <= difficulty <= 5:
        problems.append(f"{where}.difficulty: must be an integer from 1 to 5, got {difficulty!r}")
    kind, answer = q.get("type"), q.get("answer")
    if kind not in QUESTION_TYPES:
        problems.append(f"{where}.type: must be one of {', '.join(QUESTION_TYPES)}, got {kind!r}")
    elif kind == "mcq":
        options = q.get("options")
        if not isinstance(options, list) or len(options) < 2 or not all(isinstance(o, str) and o.strip() for o in options):
            problems.append(f"{where}.options: an mcq needs a list of at least 2 non-empty strings")
        elif len(set(options)) != len(options):
            problems.append(f"{where}.options: options must be distinct")
        elif answer not in options:
            problems.append(f"{where}.answer: {answer!r} is not among its options")
    elif kind == "numerical":
        if not is_finite_number(answer):
            problems.append(f"{where}.answer: a numerical question needs a number, got {answer!r}")
        tolerance = q.get("tolerance", 0)
        if not is_finite_number(tolerance) or tolerance < 0:
            problems.append(f"{where}.tolerance: must be a number >= 0, got {tolerance!r}")
    elif not isinstance(answer, bool):
        problems.append(f"{where}.answer: a true_false question needs true or false, got {answer!r}")
