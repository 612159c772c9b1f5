import pytest

from desktop_app.services.answers import AnswerFormatError, grade, parse_number


@pytest.mark.parametrize("raw", ["3.5", "3,5", "7/2", " 3.50 ", "+3.5", "14/4", "3 1/2", "3½", "3 ½", "3 2/4"])
def test_numbers_are_read_the_way_students_type_them(raw: str) -> None:
    assert parse_number(raw) == 3.5


@pytest.mark.parametrize(("raw", "value"), [
    ("4 1/2", 4.5), ("-2 3/4", -2.75), ("\u22122 3/4", -2.75), ("- 2 3/4", -2.75), ("½", 0.5), ("-½", -0.5),
    ("12 7/8", 12.875),
])
def test_mixed_numbers_are_the_whole_plus_the_fraction(raw: str, value: float) -> None:
    assert parse_number(raw) == value


@pytest.mark.parametrize(("raw", "value"), [
    ("18,000", 18000), ("9,396", 9396), ("1,234,567", 1234567), ("-1,234,567", -1234567), ("1,234.5", 1234.5),
    ("20 700", 20700), ("1 234 567", 1234567), ("20\u00a0700", 20700), ("20 700.5", 20700.5), ("20 700,5", 20700.5),
])
def test_thousands_are_grouped_with_commas_or_spaces(raw: str, value: float) -> None:
    assert parse_number(raw) == value


@pytest.mark.parametrize(("raw", "value"), [
    ("0,0041", 0.0041), ("2,5", 2.5), ("0,125", 0.125), ("1234,567", 1234.567), ("2,1250", 2.125), (",5", 0.5),
])
def test_a_comma_that_does_not_group_thousands_is_a_decimal_comma(raw: str, value: float) -> None:
    assert parse_number(raw) == value


@pytest.mark.parametrize("raw", [
    "", "abc", "3..5", "1/0", "3.5.1", "4 1/0",
    "3 5", "20 70", "20 7000", "1,23,456", "18, 000", "1,234,5", "1,234 567",  # not thousands groups
    "4 5/2", "4 0/2", "4 -1/2", "1 000 1/2", "½½", "4 1/2/3",  # not mixed numbers
])
def test_unreadable_numbers_are_a_format_error(raw: str) -> None:
    with pytest.raises(AnswerFormatError):
        parse_number(raw)


@pytest.mark.parametrize("raw", ["9" * 400, "9" * 400 + "/7", "9" * 5000 + "/7", "1 " + "9" * 5000 + "/7"])
def test_a_number_too_large_for_a_float_is_a_format_error(raw: str) -> None:
    with pytest.raises(AnswerFormatError):
        parse_number(raw)


def test_the_format_error_names_the_accepted_forms() -> None:
    with pytest.raises(AnswerFormatError) as caught:
        parse_number("20 70")
    for form in ("3.5", "3,5", "7/2", "4 1/2", "18,000", "18 000"):
        assert form in str(caught.value)


def _numerical(correct_answer: str, answer: str, tolerance: float = 0.0) -> tuple[str, bool]:
    """(the answer as stored, whether it is correct) for a numerical question."""
    graded = grade(question_type="numerical", correct_answer=correct_answer, tolerance=tolerance, options=None,
                   answer=answer)
    return graded.answer, graded.is_correct


def test_numerical_answers_are_graded_within_tolerance() -> None:
    def check(answer: str) -> bool:
        return _numerical("3.14", answer, 0.01)[1]
    assert check("3.14") and check("3,15") and check("22/7")
    assert not check("3.16") and not check("3")


@pytest.mark.parametrize(("correct", "typed", "stored"), [
    ("4.5", "4 1/2", "4.5"), ("4.5", "4½", "4.5"), ("18000", "18,000", "18000"), ("18000", "18 000", "18000"),
    ("9396", "9,396", "9396"), ("0.0041", "0,0041", "0.0041"),
])
def test_mixed_numbers_and_grouped_thousands_are_graded_as_meant(correct: str, typed: str, stored: str) -> None:
    assert _numerical(correct, typed) == (stored, True)


def test_a_comma_before_three_digits_is_right_if_either_reading_is() -> None:
    # "2,125" is 2125 to a UK student and 2.125 to one who writes a decimal comma.
    assert _numerical("2125", "2,125") == ("2125", True)
    assert _numerical("2.125", "2,125") == ("2.125", True)
    assert _numerical("-2.125", "-2,125") == ("-2.125", True)
    assert _numerical("3", "2,125") == ("2125", False)  # wrong either way: stored as the UK reading


def test_mcq_and_true_false() -> None:
    assert grade(question_type="mcq", correct_answer="b", tolerance=None, options=["a", "b"], answer="b").is_correct
    assert not grade(question_type="true_false", correct_answer="true", tolerance=None, options=None, answer="False").is_correct
    with pytest.raises(AnswerFormatError):
        grade(question_type="mcq", correct_answer="b", tolerance=None, options=["a", "b"], answer="c")
