"""Reading and grading a student's answer.

A numerical answer is read the way UK students write numbers, and a space is never simply
deleted (that read "4 1/2" as 41/2 = 20.5):

- a decimal, with a point or a decimal comma: "3.5", "3,5", "0,0041";
- a fraction "7/2", or a mixed number "4 1/2", "-2 3/4", "4½": a whole number, a space and a
  fraction between 0 and 1 ("4 5/2" is refused rather than guessed at);
- thousands grouped with commas ("1,234,567", "18,000.5") or single spaces ("20 700",
  "20 700,5"): a first group of 1-3 digits not starting with 0, then groups of exactly three.
  A single comma that does not group thousands is a decimal comma ("0,125", "2,1250").

"2,125" or "18,000" alone (one comma, then exactly three digits) is both: 2125 to a UK student, 2.125 to
one who writes a decimal comma. It is read one way only, the way the student said they write
numbers (`comma="thousands"` or `comma="decimal"`): accepting either reading marked wrong
answers right (a student who typed 2125 metres where 2.125 km were asked). With no `comma`
given, `parse_number` and `grade` raise AmbiguousNumberError, carrying both readings, before
anything is compared with the correct answer: the practice screen asks the student which way
they write numbers (the answer stays unrecorded) and grades the same answer under the choice.
Every other form reads the same whatever `comma` says.

What students naturally type around a number is left out: a leading "x = " (one letter and
"="), a currency sign before it ("£39", "-£5", "£-5"; $ and € too) or a degree sign after it
("70°"). So "£2,125" is still the question above. Any other unit after a number ("39 pounds",
"5 cm") is refused with a message asking for the number alone, and so is "%": "15%" could mean
15 or 0.15, so it is not guessed at.

Anything else raises AnswerFormatError with a message, naming the accepted forms, that the
practice screen shows under the field; nothing is recorded.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

_VARIABLE = re.compile(r"[A-Za-z] ?= ?")  # "x = 70"
_SIGN = re.compile(r"([+-]) ?")
_CURRENCY = re.compile(r"[£$€] ?")
_NUMBER_THEN_WORDS = re.compile(r"(.*?\d) ?([^\d\s.,/].*)")  # "39 pounds", "5cm", "15%"
_DECIMAL = re.compile(r"\d+(?:[.,]\d*)?|[.,]\d+")
_THOUSANDS_OR_DECIMAL = re.compile(r"[1-9]\d{0,2},\d{3}")  # "2,125": 2125 or 2.125
_COMMA_GROUPS = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d*)?")
_SPACE_GROUPS = re.compile(r"[1-9]\d{0,2}(?: \d{3})+(?:[.,]\d*)?")
_FRACTION = re.compile(r"(?:(\d+) )?(\d+) ?/ ?(\d+)")  # the whole number makes it mixed

Comma = Literal["thousands", "decimal"]
COMMA_READINGS: tuple[Comma, ...] = ("thousands", "decimal")  # the order of `_readings`' two values

_UNREADABLE = "Type a number such as 3.5, 3,5, 7/2, 4 1/2, 18,000 or 18 000."
_UNITS = "Type just the number, without units: 39 rather than 39 cm."
_PERCENT = "Type just the number, without %: 15 for 15% if the question asks for a percentage, 0.15 if not."


class AnswerFormatError(ValueError):
    """The answer cannot be read (not a wrong answer: the student is asked to fix it)."""


class AmbiguousNumberError(AnswerFormatError):
    """`typed` ("2,125") reads as `thousands` (2125) or `decimal` (2.125) and no `comma` was
    given. Not a wrong answer: the caller asks the student and tries again with `comma`."""

    def __init__(self, typed: str, *, thousands: float, decimal: float) -> None:
        super().__init__(f"Does {typed} mean {stored_form(thousands)} or {stored_form(decimal)}?")
        self.typed, self.thousands, self.decimal = typed, thousands, decimal


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


def _unsigned_part(text: str) -> tuple[bool, str]:
    """(whether it is negative, the number without its sign) of normalised `text`, without
    a leading "x = ", a currency sign before the number or a degree sign after it."""
    variable = _VARIABLE.match(text)
    rest = text[variable.end():] if variable else text
    sign = _SIGN.match(rest)
    rest = rest[sign.end():] if sign else rest
    currency = _CURRENCY.match(rest)
    if currency:
        rest = rest[currency.end():]
        if sign is None:  # "£-5" as well as "-£5"
            sign = _SIGN.match(rest)
            rest = rest[sign.end():] if sign else rest
    else:
        rest = rest.removesuffix("°").rstrip(" ")
    return sign is not None and sign.group(1) == "-", rest


def _refuse_units(text: str) -> None:
    """Raise the message asking for the number alone if `text` is a number then words or %."""
    number_then_words = _NUMBER_THEN_WORDS.fullmatch(text)
    if number_then_words is None:
        return
    try:
        _unsigned_readings(number_then_words.group(1))
    except (AnswerFormatError, OverflowError, ValueError):
        return  # not a number followed by a unit: the usual message
    raise AnswerFormatError(_PERCENT if number_then_words.group(2).startswith("%") else _UNITS)


def _readings(text: str) -> tuple[float, ...]:
    """Every value normalised `text` can mean: one, or (thousands, decimal) for "2,125".

    Raises AnswerFormatError when it cannot be read, including a number too large for a float.
    """
    negative, number = _unsigned_part(text)
    try:
        values = _unsigned_readings(number)
    except AnswerFormatError:
        _refuse_units(number)
        raise
    except (OverflowError, ValueError):  # a fraction beyond a float; int() of thousands of digits
        values = (math.inf,)
    if not all(math.isfinite(value) for value in values):
        raise AnswerFormatError("That number is too large.")
    return tuple(-value if negative else value for value in values)


def parse_number(raw: str, *, comma: Comma | None = None) -> float:
    """The value of a typed number, "2,125" read as `comma` says.

    Raises AmbiguousNumberError for "2,125" when `comma` is None, AnswerFormatError when `raw`
    cannot be read.
    """
    if comma is not None and comma not in COMMA_READINGS:
        raise ValueError(f"comma must be one of {COMMA_READINGS}, not {comma!r}")
    text = _normalised(raw)
    values = _readings(text)
    if len(values) == 1:
        return values[0]
    if comma is None:
        raise AmbiguousNumberError(text, thousands=values[0], decimal=values[1])
    return values[COMMA_READINGS.index(comma)]


def stored_form(value: float) -> str:
    """How a number is stored as an answer and shown: "2125", "2.125"."""
    return repr(value) if value != int(value) else str(int(value))


def grade(*, question_type: str, correct_answer: str, tolerance: float | None,
          options: list[str] | None, answer: str, comma: Comma | None = None) -> Graded:
    """Grade `answer` for a question, a numerical one read as `parse_number(answer, comma=comma)`.

    Raises AnswerFormatError when it cannot be read, and its subclass AmbiguousNumberError for
    "2,125" when `comma` is None (raised before the correct answer is looked at).
    """
    if question_type == "numerical":
        value = parse_number(answer, comma=comma)  # first: an ambiguous answer learns nothing
        expected, margin = float(correct_answer), (tolerance or 0.0) + 1e-9
        right = math.isclose(value, expected, rel_tol=0.0, abs_tol=margin)
        return Graded(answer=stored_form(value), is_correct=right)
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
