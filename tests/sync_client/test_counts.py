"""Local counts use the server's visibility: equal to the real server's summary for a student
in a class (with an answer still queued) and for their teacher."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sync_client.classes import ClassesClient
from sync_client.counts import local_counts
from tests.sync_client.conftest import Laptop, signed_up

pytestmark = pytest.mark.postgres


def _counts(laptop: Laptop) -> tuple[dict[str, int | None], dict[str, int]]:
    with laptop.db.session() as s:
        mine = local_counts(s, user_id=laptop.user_id)
    return mine, laptop.transport.summary(laptop.tokens.get()).counts


def test_local_counts_match_the_servers_for_a_student_and_their_teacher(
        live: Any, make_laptop: Callable[..., Laptop]) -> None:
    teacher = signed_up(make_laptop, live.url, "ms-c", "teacher")
    student = signed_up(make_laptop, live.url, "dee", "student")
    code = ClassesClient(teacher.db, teacher.data_dir).create_class("9A")["join_code"]
    student.edit_profile(hours_per_day=2.0)
    student.answer(4)
    student.sync()
    ClassesClient(student.db, student.data_dir).join_class(code)
    student.sync()
    teacher.sync()
    student.answer(2, start=10)  # queued, not yet on the server: left out of the local count
    mine, server = _counts(student)
    assert mine == server and server["question_attempts"] == 4 and server["classes"] == 1
    mine, server = _counts(teacher)
    assert mine == server and server["question_attempts"] == 4 and server["student_profiles"] == 1
    student.sync()
    teacher.sync()
    assert _counts(teacher)[0]["question_attempts"] == _counts(student)[1]["question_attempts"] == 6
