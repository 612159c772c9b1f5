"""Reading and grading a student's answer.

Numbers are typed the way students type them: "3.5", "3,5" (decimal comma), "7/2",
"-1 1/2" is not accepted (ambiguous); a malformed answer raises AnswerFormatError with a
message the UI shows next to the field, and nothing is recorded.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")
_FRACTION = re.compile(r"^[+-]?\d+\s*/\s*\d+$")


class AnswerFormatError(ValueError):
    """The answer cannot be read (not a wrong answer: the student is asked to fix it)."""


@dataclass(frozen=True)
class Graded:
    answer: str  # normalised form, as stored
    is_correct: bool


def parse_number(raw: str) -> float:
    text = raw.strip().replace(" ", "").replace("\u2212", "-")
    if _NUMBER.match(text):
        return float(text.replace(",", "."))
    if _FRACTION.match(text):
        numerator, denominator = text.split("/")
        if int(denominator) == 0:
            raise AnswerFormatError("A fraction cannot have 0 below the line.")
        return float(Fraction(int(numerator), int(denominator)))
    raise AnswerFormatError("Type a number such as 3.5, 3,5 or 7/2.")


def grade(*, question_type: str, correct_answer: str, tolerance: float | None,
          options: list[str] | None, answer: str) -> Graded:
    """Grade `answer` for a question; raises AnswerFormatError when it cannot be read."""
    if question_type == "numerical":
        value = parse_number(answer)
        expected = float(correct_answer)
        ok = math.isclose(value, expected, rel_tol=0.0, abs_tol=(tolerance or 0.0) + 1e-9)
        return Graded(answer=repr(value) if value != int(value) else str(int(value)), is_correct=ok)
    if question_type == "true_false":
        text = answer.strip().lower()
        if text not in ("true", "false"):
            raise AnswerFormatError("Choose True or False.")
        return Graded(answer=text, is_correct=text == correct_answer)
    if question_type == "mcq":
        if not options or answer not in options:
            raise AnswerFormatError("Choose one of the options.")
        return Graded(answer=answer, is_correct=answer == correct_answer)
    raise AnswerFormatError(f"Unknown question type {question_type!r}.")
