"""Reading and grading a student's answer.

A numerical answer is read the way UK students write numbers, and a space is never simply
deleted (that read "4 1/2" as 41/2 = 20.5):

- a decimal, with a point or a decimal comma: "3.5", "3,5", "0,0041";
- a fraction "7/2", or a mixed number "4 1/2", "-2 3/4", "4½": a whole number, a space and a
  fraction between 0 and 1 ("4 5/2" is refused rather than guessed at);
- thousands grouped with commas ("18,000", "1,234,567.5") or single spaces ("20 700",
  "20 700,5"): a first group of 1-3 digits not starting with 0, then groups of exactly three.
  A single comma that does not group thousands is a decimal comma ("0,125", "2,1250").

"2,125" alone is both: 2125 to a UK student, 2.125 to one who writes a decimal comma. Both
readings are kept and `grade` marks the answer right when either is: taking only one would mark
right answers wrong for the students who write the other way, and the two readings differ a
thousandfold, so a student who meant the other one is almost never right by accident. Where a
single number is needed (`parse_number`, the stored form of a wrong answer) it is the UK reading.

Anything else raises AnswerFormatError with a message, naming the accepted forms, that the
practice screen shows under the field; nothing is recorded.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction

_SIGN = re.compile(r"([+-]) ?")
_DECIMAL = re.compile(r"\d+(?:[.,]\d*)?|[.,]\d+")
_THOUSANDS_OR_DECIMAL = re.compile(r"[1-9]\d{0,2},\d{3}")  # "2,125": 2125 or 2.125
_COMMA_GROUPS = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d*)?")
_SPACE_GROUPS = re.compile(r"[1-9]\d{0,2}(?: \d{3})+(?:[.,]\d*)?")
_FRACTION = re.compile(r"(?:(\d+) )?(\d+) ?/ ?(\d+)")  # the whole number makes it mixed

_UNREADABLE = "Type a number such as 3.5, 3,5, 7/2, 4 1/2, 18,000 or 18 000."


class AnswerFormatError(ValueError):
    """The answer cannot be read (not a wrong answer: the student is asked to fix it)."""


@dataclass(frozen=True)
class Graded:
    answer: str  # normalised form, as stored
    is_correct: bool


def _unicode_fraction(char: str) -> str | None:
    """" 1/2" for "½" (any character Unicode decomposes as a fraction), so "4½" reads as "4 1/2"."""
    parts = unicodedata.decomposition(char).split()
    if parts[:1] != ["<fraction>"] or "2044" not in parts:
        return None
    slash = parts.index("2044")
    numerator, denominator = ("".join(chr(int(code, 16)) for code in side)
                              for side in (parts[1:slash], parts[slash + 1:]))
    return f" {numerator}/{denominator}" if numerator and denominator else None


def _normalised(raw: str) -> str:
    text = raw.replace("\u2212", "-").replace("\u2044", "/")  # minus sign, fraction slash
    text = "".join(_unicode_fraction(char) or char for char in text)
    return " ".join(text.split())  # no-break and thin spaces group thousands too


def _unsigned_readings(text: str) -> tuple[float, ...]:
    if _THOUSANDS_OR_DECIMAL.fullmatch(text):
        return float(text.replace(",", "")), float(text.replace(",", "."))
    if _DECIMAL.fullmatch(text):
        return (float(text.replace(",", ".")),)
    if _COMMA_GROUPS.fullmatch(text):
        return (float(text.replace(",", "")),)
    if _SPACE_GROUPS.fullmatch(text):
        return (float(text.replace(" ", "").replace(",", ".")),)
    fraction = _FRACTION.fullmatch(text)
    if fraction is None:
        raise AnswerFormatError(_UNREADABLE)
    whole, numerator, denominator = (int(part) if part else None for part in fraction.groups())
    if denominator == 0:
        raise AnswerFormatError("A fraction cannot have 0 below the line.")
    if whole is not None and not 0 < numerator < denominator:
        raise AnswerFormatError("Write a mixed number as a whole number and a fraction less than 1, such as 4 1/2.")
    return (float((whole or 0) + Fraction(numerator, denominator)),)


def readings(raw: str) -> tuple[float, ...]:
    """Every value `raw` can mean: one, or two for "2,125" (the UK reading first).

    Raises AnswerFormatError when it cannot be read, including a number too large for a float.
    """
    text = _normalised(raw)
    sign = _SIGN.match(text)
    negative = sign is not None and sign.group(1) == "-"
    try:
        values = _unsigned_readings(text[sign.end():] if sign else text)
    except AnswerFormatError:
        raise
    except (OverflowError, ValueError):  # a fraction beyond a float; int() of thousands of digits
        values = (math.inf,)
    if not all(math.isfinite(value) for value in values):
        raise AnswerFormatError("That number is too large.")
    return tuple(-value if negative else value for value in values)


def parse_number(raw: str) -> float:
    """The value of a typed number (the UK reading of "2,125"); raises AnswerFormatError."""
    return readings(raw)[0]


def _stored(value: float) -> str:
    return repr(value) if value != int(value) else str(int(value))


def grade(*, question_type: str, correct_answer: str, tolerance: float | None,
          options: list[str] | None, answer: str) -> Graded:
    """Grade `answer` for a question; raises AnswerFormatError when it cannot be read."""
    if question_type == "numerical":
        expected, margin = float(correct_answer), (tolerance or 0.0) + 1e-9
        values = readings(answer)
        right = [value for value in values if math.isclose(value, expected, rel_tol=0.0, abs_tol=margin)]
        return Graded(answer=_stored((right or values)[0]), is_correct=bool(right))
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
