import pytest

from desktop_app.services.answers import AnswerFormatError, grade, parse_number


@pytest.mark.parametrize("raw", ["3.5", "3,5", "7/2", " 3.50 ", "+3.5", "14/4"])
def test_numbers_are_read_the_way_students_type_them(raw: str) -> None:
    assert parse_number(raw) == 3.5


@pytest.mark.parametrize("raw", ["", "abc", "3..5", "1/0", "3.5.1", "½"])
def test_unreadable_numbers_are_a_format_error(raw: str) -> None:
    with pytest.raises(AnswerFormatError):
        parse_number(raw)


def test_numerical_answers_are_graded_within_tolerance() -> None:
    def check(answer: str) -> bool:
        return grade(question_type="numerical", correct_answer="3.14", tolerance=0.01, options=None, answer=answer).is_correct
    assert check("3.14") and check("3,15") and check("22/7")
    assert not check("3.16") and not check("3")


def test_mcq_and_true_false() -> None:
    assert grade(question_type="mcq", correct_answer="b", tolerance=None, options=["a", "b"], answer="b").is_correct
    assert not grade(question_type="true_false", correct_answer="true", tolerance=None, options=None, answer="False").is_correct
    with pytest.raises(AnswerFormatError):
        grade(question_type="mcq", correct_answer="b", tolerance=None, options=["a", "b"], answer="c")
