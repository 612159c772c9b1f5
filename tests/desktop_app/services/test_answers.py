import pytest

from desktop_app.services.answers import AmbiguousNumberError, AnswerFormatError, grade, parse_number


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
    ("18,000.5", 18000.5), ("1,234,567", 1234567), ("-1,234,567", -1234567), ("1,234.5", 1234.5), ("18,000.", 18000),
    ("20 700", 20700), ("1 234 567", 1234567), ("20\u00a0700", 20700), ("20 700.5", 20700.5), ("20 700,5", 20700.5),
])
def test_thousands_are_grouped_with_commas_or_spaces(raw: str, value: float) -> None:
    assert parse_number(raw) == value


@pytest.mark.parametrize(("raw", "value"), [
    ("0,0041", 0.0041), ("2,5", 2.5), ("0,125", 0.125), ("1234,567", 1234.567), ("2,1250", 2.125), (",5", 0.5),
])
def test_a_comma_that_does_not_group_thousands_is_a_decimal_comma(raw: str, value: float) -> None:
    assert parse_number(raw) == value


@pytest.mark.parametrize(("raw", "thousands", "decimal"), [
    ("2,125", 2125, 2.125), ("18,000", 18000, 18.0), ("-2,125", -2125, -2.125), ("\u22129,396", -9396, -9.396),
    (" 999,999 ", 999999, 999.999),
])
def test_one_comma_before_three_digits_is_read_only_the_way_the_student_writes_numbers(
        raw: str, thousands: float, decimal: float) -> None:
    with pytest.raises(AmbiguousNumberError) as caught:
        parse_number(raw)
    assert (caught.value.typed, caught.value.thousands, caught.value.decimal) == (raw.strip().replace("\u2212", "-"),
                                                                               thousands, decimal)
    assert isinstance(caught.value, AnswerFormatError)  # a caller that knows only that still records nothing
    assert parse_number(raw, comma="thousands") == thousands
    assert parse_number(raw, comma="decimal") == decimal


@pytest.mark.parametrize(("raw", "value"), [
    ("18,000.5", 18000.5), ("0,125", 0.125), ("2,1250", 2.125), ("3,5", 3.5), ("18 000", 18000), ("1,234,567", 1234567),
    ("20 700,5", 20700.5), ("7/2", 3.5),
])
@pytest.mark.parametrize("comma", [None, "thousands", "decimal"])
def test_every_other_number_reads_the_same_whatever_the_preference(raw: str, value: float, comma: str | None) -> None:
    assert parse_number(raw, comma=comma) == value


def test_a_comma_reading_that_is_not_one_of_the_two_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_number("2,125", comma="uk")  # type: ignore[arg-type]


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


@pytest.mark.parametrize(("raw", "value"), [
    ("£39", 39), ("£ 39", 39), ("$4.50", 4.5), ("€18,000.5", 18000.5), ("-£5", -5), ("£-5", -5), ("£4 1/2", 4.5),
    ("70°", 70), ("70 °", 70), ("-12.5°", -12.5), ("x = 70", 70), ("x=70", 70), ("y = -3/4", -0.75),
    ("x = 70°", 70), ("A = £20 700", 20700),
])
def test_a_currency_sign_before_a_degree_sign_after_and_x_equals_are_left_out(raw: str, value: float) -> None:
    assert parse_number(raw) == value


@pytest.mark.parametrize(("raw", "typed"), [("£2,125", "£2,125"), ("x = 2,125", "x = 2,125"), ("2,125°", "2,125°")])
def test_a_comma_before_three_digits_is_still_asked_about_after_a_currency_sign_or_x_equals(raw: str,
                                                                                             typed: str) -> None:
    with pytest.raises(AmbiguousNumberError) as caught:
        parse_number(raw)
    assert (caught.value.typed, caught.value.thousands, caught.value.decimal) == (typed, 2125, 2.125)
    assert parse_number(raw, comma="thousands") == 2125 and parse_number(raw, comma="decimal") == 2.125


@pytest.mark.parametrize("raw", ["39 pounds", "5 cm", "5cm", "3.5 kg", "4 1/2 cups", "20 700 m", "2,125 m",
                                 "£39 pounds", "70°C", "£70°", "x = 5 cm", "12 m²", "39p"])
def test_a_number_followed_by_a_unit_is_refused_asking_for_the_number_alone(raw: str) -> None:
    with pytest.raises(AnswerFormatError) as caught:
        parse_number(raw, comma="thousands")
    assert str(caught.value) == "Type just the number, without units: 39 rather than 39 cm."


@pytest.mark.parametrize("raw", ["15%", "15 %", "-2.5%", "x = 15%"])
def test_a_percent_sign_is_refused_rather_than_read_as_15_or_0_15(raw: str) -> None:
    with pytest.raises(AnswerFormatError) as caught:
        parse_number(raw)
    assert "without %" in str(caught.value) and "0.15" in str(caught.value)


@pytest.mark.parametrize("raw", ["£", "x =", "°", "xy = 5", "x 70", "x == 5", "££5", "££", "pounds 39", "3..5 cm",
                                 "five", "x = y"])
def test_other_decorations_are_unreadable_with_the_usual_message(raw: str) -> None:
    with pytest.raises(AnswerFormatError) as caught:
        parse_number(raw)
    assert "3.5, 3,5, 7/2, 4 1/2" in str(caught.value)


def test_a_currency_answer_is_graded_and_stored_as_the_number() -> None:
    assert _numerical("39", "£39") == ("39", True)
    assert _numerical("70", "x = 70°") == ("70", True)


def _numerical(correct_answer: str, answer: str, tolerance: float = 0.0,
               comma: str | None = None) -> tuple[str, bool]:
    """(the answer as stored, whether it is correct) for a numerical question."""
    graded = grade(question_type="numerical", correct_answer=correct_answer, tolerance=tolerance, options=None,
                   answer=answer, comma=comma)
    return graded.answer, graded.is_correct


def test_numerical_answers_are_graded_within_tolerance() -> None:
    def check(answer: str) -> bool:
        return _numerical("3.14", answer, 0.01)[1]
    assert check("3.14") and check("3,15") and check("22/7")
    assert not check("3.16") and not check("3")


@pytest.mark.parametrize(("correct", "typed", "stored"), [
    ("4.5", "4 1/2", "4.5"), ("4.5", "4½", "4.5"), ("18000.5", "18,000.5", "18000.5"), ("18000", "18 000", "18000"),
    ("1234567", "1,234,567", "1234567"), ("0.0041", "0,0041", "0.0041"),
])
def test_mixed_numbers_and_grouped_thousands_are_graded_as_meant(correct: str, typed: str, stored: str) -> None:
    assert _numerical(correct, typed) == (stored, True)


@pytest.mark.parametrize("correct", ["2125", "2.125", "3"])
def test_a_comma_before_three_digits_without_a_reading_is_asked_about_whatever_the_answer(correct: str) -> None:
    # Raised whether a reading is right or not: the question tells the student nothing.
    with pytest.raises(AmbiguousNumberError):
        _numerical(correct, "2,125")


def test_a_comma_before_three_digits_is_graded_under_the_chosen_reading_only() -> None:
    # A student who typed metres (2125) where km (2.125) were asked is wrong, and the other way round.
    assert _numerical("2.125", "2,125", comma="thousands") == ("2125", False)
    assert _numerical("2125", "2,125", comma="thousands") == ("2125", True)
    assert _numerical("2.125", "2,125", comma="decimal") == ("2.125", True)
    assert _numerical("2125", "2,125", comma="decimal") == ("2.125", False)
    assert _numerical("-2.125", "-2,125", comma="decimal") == ("-2.125", True)
    assert _numerical("9396", "9,396", 0.5, comma="thousands") == ("9396", True)
    assert _numerical("3", "2,125", comma="decimal") == ("2.125", False)  # a wrong answer is stored as read


def test_mcq_and_true_false() -> None:
    assert grade(question_type="mcq", correct_answer="b", tolerance=None, options=["a", "b"], answer="b").is_correct
    assert not grade(question_type="true_false", correct_answer="true", tolerance=None, options=None, answer="False").is_correct
    with pytest.raises(AnswerFormatError):
        grade(question_type="mcq", correct_answer="b", tolerance=None, options=["a", "b"], answer="c")
