"""The class mastery table: shape from the server's answer, averages, sorting, CSV (no Qt)."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from desktop_app.services.class_mastery import export_csv, from_server, sorted_students, write_csv

ANSWER = {"class_id": "c1", "name": "Year 11", "method": "engine.MasteryModel.replay", "students": [
    {"user_id": "u2", "username": "bea", "topics": [
        {"topic_id": "t1", "name": "Algebra", "mastery": 80.0, "attempts": 4},
        {"topic_id": "t2", "name": "Geometry", "mastery": 20.0, "attempts": 2}]},
    {"user_id": "u1", "username": "=cmd()", "topics": [
        {"topic_id": "t1", "name": "Algebra", "mastery": 40.0, "attempts": 3},
        {"topic_id": "t2", "name": "Geometry", "mastery": 0.0, "attempts": 0}]},  # not started
    {"user_id": "u3", "username": "Al", "topics": [
        {"topic_id": "t1", "name": "Algebra", "mastery": 61.0, "attempts": 1},
        {"topic_id": "t2", "name": "Geometry", "mastery": 50.0, "attempts": 5}]},
]}


def test_table_from_the_server_answer_with_the_class_average() -> None:
    table = from_server(ANSWER)
    assert table.topics == (("t1", "Algebra"), ("t2", "Geometry"))
    assert [s.mastery for s in table.students] == [(80.0, 20.0), (40.0, None), (61.0, 50.0)]
    assert table.students[1].attempts == (3, 0)
    assert table.average() == (60.3, 35.0)  # a missing value is not counted as 0


def test_sorting_by_name_or_by_a_topic_with_unknown_values_last() -> None:
    table = from_server(ANSWER)
    assert [s.username for s in sorted_students(table, column=None)] == ["=cmd()", "Al", "bea"]
    assert [s.username for s in sorted_students(table, column=1)] == ["bea", "Al", "=cmd()"]
    assert [s.username for s in sorted_students(table, column=1, descending=True)] == ["Al", "bea", "=cmd()"]
    assert [s.username for s in sorted_students(table, column=0, descending=True)] == ["bea", "Al", "=cmd()"]


def test_csv_has_a_row_per_student_and_the_average_and_no_formulas(tmp_path: Path) -> None:
    out = io.StringIO()
    write_csv(from_server(ANSWER), out, average_label="Average")
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["student", "Algebra", "Geometry"], ["'=cmd()", "40.0", ""], ["Al", "61.0", "50.0"],
                    ["bea", "80.0", "20.0"], ["Average", "60.3", "35.0"]]
    path = tmp_path / "class.csv"
    export_csv(from_server(ANSWER), path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbfstudent,Algebra,Geometry")


def test_an_empty_class_is_a_table_without_rows() -> None:
    table = from_server({"class_id": "c", "name": "n", "students": []})
    assert table.topics == () and table.students == () and table.average() == ()
