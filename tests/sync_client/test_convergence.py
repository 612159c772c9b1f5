"""Convergence and faults against the REAL sync server (uvicorn + PostgreSQL on loopback).

Each test gets a fresh PostgreSQL database (pg_url), a server on a free port and laptops
that are separate data directories, as on separate machines.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from desktop_app.db.models import QuestionAttempt, StudentProfile
from sync_client.engine import SyncConfig
from sync_client.errors import ServerUnreachable
from tests.sync_client.conftest import Laptop, sign_in, sign_up, signed_up
from tests.sync_client.live import FaultyHttp, LiveServer

pytestmark = pytest.mark.postgres
DAY_MS = 24 * 3600 * 1000



@pytest.fixture
def laptop(live: LiveServer, make_laptop: Callable[..., Laptop]) -> Callable[..., Laptop]:
    def make(name: str | None = None) -> Laptop:
        return make_laptop(FaultyHttp(live.url, retries=0), name)
    return make


def server_count(live: LiveServer, table: str, user_id: str) -> int:
    from sqlalchemy import create_engine, text
    engine = create_engine(live.config.db_url)
    with engine.connect() as conn:
        owner = "user_id" if table == "student_profiles" else "student_id"
        n = conn.execute(text(f"SELECT count(*) FROM {table} WHERE {owner} = :u"), {"u": user_id}).scalar()
    engine.dispose()
    return int(n or 0)


def settle(*laptops: Laptop, rounds: int = 2) -> None:
    for _ in range(rounds):
        for lap in laptops:
            result = lap.sync()
            assert not result.rejected, result.rejected


def test_two_laptops_of_one_student_converge_in_either_order(laptop: Callable[..., Laptop], live: LiveServer) -> None:
    a, b = laptop("a"), laptop("b")
    uid = sign_up(a, server_url=live.url)
    a.edit_profile(target_exam="GCSE Maths", hours_per_day=2.0)
    a.answer(6)
    a.replan()
    a.sync()
    sign_in(b, server_url=live.url)
    b.sync()  # the second laptop receives everything on its first sync
    assert b.snapshot() == a.snapshot() and len(b.snapshot()["attempts"]) == 6

    # Both offline: both answer, both edit the same field, each edits a different field too.
    a.answer(4, start=10)
    b.answer(5, start=20)
    a.edit_profile(grade="Year 11")  # only a
    b.edit_profile(hours_per_day=3.5)  # only b
    a.edit_profile(target_exam="GCSE Maths (Higher)")
    time.sleep(0.005)
    b.edit_profile(target_exam="GCSE Maths (Foundation)")  # the later edit of the same field
    a.replan()
    b.replan()
    for order in ((b, a), (a, b)):
        settle(*order)
    sa, sb = a.snapshot(), b.snapshot()
    assert sa == sb
    assert len(sa["attempts"]) == 15 and server_count(live, "question_attempts", uid) == 15
    _, grade, exam, _, hours = sa["profile"][0]
    assert (grade, exam, hours) == ("Year 11", "GCSE Maths (Foundation)", 3.5)
    assert len(sa["plans"]) == 1 and sa["mastery"]
    assert a.pending() == b.pending() == 0


def test_offline_accounts_bring_their_profile_and_plan_to_the_server(laptop: Callable[..., Laptop],
                                                                     live: LiveServer) -> None:
    """The server refuses a profile or plan under another account's derived id (reserved_id);
    an offline account's rows never meet that refusal, whether it registers (keeping its id)
    or logs in to an existing account (its rows move to that account's ids, reown.py)."""
    school, home, bobs = laptop("school"), laptop("home"), laptop("bobs")
    uid = sign_up(school, server_url=live.url)
    offline = home.local_student("alice")
    home.edit_profile(student_id=offline, target_exam="GCSE", hours_per_day=3.0)
    home.replan(student_id=offline)
    assert sign_in(home, server_url=live.url).reowned_from == offline
    bob = bobs.local_student("bob")
    bobs.edit_profile(student_id=bob, target_exam="IGCSE", hours_per_day=1.0)
    bobs.replan(student_id=bob)
    assert sign_up(bobs, "bob", server_url=live.url) == bob
    settle(home, school, bobs)
    assert school.snapshot() == home.snapshot() and home.snapshot()["plans"]
    for user_id in (uid, bob):
        assert server_count(live, "student_profiles", user_id) == server_count(live, "study_plans", user_id) == 1


def test_a_laptop_does_not_download_its_own_answers_and_gets_lost_ones_back(
        laptop: Callable[..., Laptop], live: LiveServer) -> None:
    a, b = laptop("a"), laptop("b")
    sign_up(a, server_url=live.url)
    settle(a)
    sign_in(b, server_url=live.url)
    settle(a, b)
    a.answer(5)
    result = a.sync()
    assert (result.pushed, result.pulled) == (5, 0)  # its own answers do not come back
    b.sync()
    assert len(b.snapshot()["attempts"]) == 5  # the other laptop gets them
    b.answer(3, start=10)
    b.sync()
    assert a.sync().pulled == 3
    # A copy that lost some of its own answers (an old backup restored) gets them back: the
    # count check finds the gap and pulls from the start, own answers included.
    with a.db.transaction() as s:
        s.execute(delete(QuestionAttempt).where(QuestionAttempt.id.in_(select(QuestionAttempt.id).limit(4))))
    assert a.sync().repaired
    assert a.snapshot() == b.snapshot() and len(a.snapshot()["attempts"]) == 8


def test_a_laptop_a_day_behind_still_wins_with_its_later_edit(laptop: Callable[..., Laptop], live: LiveServer) -> None:
    a, b = laptop("a"), laptop("b")
    sign_up(a, server_url=live.url)
    sign_in(b, server_url=live.url)
    b.set_wall_clock(lambda: time.time_ns() // 1_000_000 - DAY_MS)
    a.edit_profile(target_exam="first, on the laptop with the right time")
    a.sync()
    b.sync()  # b sees a's edit: its clock moves past a's stamp
    b.edit_profile(target_exam="later, on the laptop a day behind")
    b.sync()
    a.sync()
    for lap in (a, b):
        assert lap.snapshot()["profile"][0][2] == "later, on the laptop a day behind"


def test_a_laptop_whose_clock_ran_a_year_fast_syncs_again_once_its_date_is_right(
        laptop: Callable[..., Laptop], live: LiveServer) -> None:
    a, b = laptop("a"), laptop("b")
    sign_up(a, server_url=live.url)
    sign_in(b, server_url=live.url)
    real = lambda: time.time_ns() // 1_000_000  # noqa: E731
    a.set_wall_clock(lambda: real() + 365 * DAY_MS)
    a.edit_profile(target_exam="typed while the date was a year ahead")
    a.answer(2)
    wrong = a.sync()
    assert wrong.rejected and {r.reason.split(":")[0] for r in wrong.rejected} == {"clock_ahead"}
    a.sync()  # the date is still wrong: nothing is stamped again, the changes wait
    assert _failed(a) == len(wrong.rejected)

    a.set_wall_clock(real)  # the student puts the date right
    fixed = a.sync()
    assert not fixed.rejected and fixed.pending == 0 and _failed(a) == 0
    assert a.db.clock.last < f"{real() + DAY_MS:015d}"
    a.edit_profile(hours_per_day=3.5)  # a change made after the fix goes through too
    assert not a.sync().rejected
    b.sync()
    profile = b.snapshot()["profile"][0]
    assert profile[2] == "typed while the date was a year ahead" and profile[4] == 3.5
    assert len(b.snapshot()["attempts"]) == 2
    b.edit_profile(target_exam="later, on the other laptop")  # and no year-ahead stamp outranks it
    b.sync()
    a.sync()
    assert a.snapshot() == b.snapshot()
    assert a.snapshot()["profile"][0][2] == "later, on the other laptop"


def _failed(lap: Laptop) -> int:
    from desktop_app.db.models import SyncOperation
    with lap.db.transaction() as s:
        return s.scalar(select(func.count()).select_from(SyncOperation).where(SyncOperation.status == "failed")) or 0


def test_a_reply_lost_after_the_server_committed_duplicates_nothing(
        laptop: Callable[..., Laptop], live: LiveServer) -> None:
    a = laptop("a")
    uid = sign_up(a, server_url=live.url)
    a.answer(8)
    a.transport.lose_push_replies = 1  # type: ignore[attr-defined]
    with pytest.raises(ServerUnreachable):
        a.sync()
    assert a.pending() == 8 and server_count(live, "question_attempts", uid) == 8
    result = a.sync()
    assert result.pending == 0 and not result.mismatches
    assert server_count(live, "question_attempts", uid) == 8


def test_a_reply_lost_while_two_batches_travel_duplicates_nothing(
        laptop: Callable[..., Laptop], live: LiveServer) -> None:
    a = laptop("a")
    uid = sign_up(a, server_url=live.url)
    a.config = SyncConfig(push_max_ops=3)
    a.answer(11)
    a.transport.lose_push_replies = 1  # type: ignore[attr-defined]
    with pytest.raises(ServerUnreachable):
        a.sync()
    # Whatever was marked sent is on the server; the lost batch is stored but still pending.
    assert server_count(live, "question_attempts", uid) >= 11 - a.pending() + 3
    result = a.sync()
    assert result.pending == 0 and not result.mismatches
    assert server_count(live, "question_attempts", uid) == 11


KILLED_SYNC = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from desktop_app.db.database import LocalDatabase
    from sync_client import outbox
    from sync_client.engine import Synchronizer
    from sync_client.transport import HttpTransport

    def killed(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)  # the process dies after the server committed

    outbox.mark_synced = killed
    db = LocalDatabase.open(Path(sys.argv[1]))
    Synchronizer(db, HttpTransport(sys.argv[2]), token=lambda: os.environ["SYNC_TOKEN"]).run()
""")


def test_a_client_killed_between_push_and_marking_loses_and_duplicates_nothing(
        laptop: Callable[..., Laptop], live: LiveServer, tmp_path: Path) -> None:
    a = laptop("a")
    uid = sign_up(a, server_url=live.url)
    a.answer(7)
    token = a.tokens.get()
    a.db.close()
    script = tmp_path / "killed_sync.py"
    script.write_text(KILLED_SYNC)
    done = subprocess.run([sys.executable, str(script), str(a.data_dir), live.url], timeout=120,
                          env={**os.environ, "SYNC_TOKEN": token or "", "PYTHONPATH": str(Path.cwd())})
    assert done.returncode == -9
    assert server_count(live, "question_attempts", uid) == 7
    from desktop_app.db.database import LocalDatabase
    a.db = LocalDatabase.open(a.data_dir)
    assert a.pending() == 7  # never marked: the process died first
    result = a.sync()
    assert result.pending == 0 and result.pushed == 7 and not result.mismatches
    assert server_count(live, "question_attempts", uid) == 7
    with a.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(QuestionAttempt)) == 7


def test_server_down_for_a_while_the_queue_grows_and_drains(laptop: Callable[..., Laptop], live: LiveServer) -> None:
    a = laptop("a")
    uid = sign_up(a, server_url=live.url)
    live.stop()
    for i in range(3):
        a.answer(3, start=3 * i)  # the app keeps working
        with pytest.raises(ServerUnreachable):
            a.sync()
    assert a.pending() == 9
    live.start()
    result = a.sync()
    assert result.pending == 0 and result.pushed == 9
    assert server_count(live, "question_attempts", uid) == 9


def test_an_offline_local_account_brings_its_history_into_the_existing_account(
        laptop: Callable[..., Laptop], live: LiveServer) -> None:
    home, school = laptop("home"), laptop("school")
    uid = sign_up(school, server_url=live.url)  # the account exists, with history
    school.edit_profile(target_exam="GCSE Maths", hours_per_day=2.0)
    school.answer(4)
    school.sync()
    local_id = home.local_student("alice")  # studied offline before ever logging in
    home.edit_profile(student_id=local_id, target_exam="GCSE Maths", hours_per_day=1.0)
    time.sleep(0.005)
    home.edit_profile(student_id=local_id, grade="Year 10")
    home.answer(5, student_id=local_id, start=30)
    signed = sign_in(home, server_url=live.url)
    assert signed.user_id == uid and signed.reowned_from == local_id
    settle(home, school)
    sh, ss = home.snapshot(), school.snapshot()
    assert sh == ss
    assert len(sh["attempts"]) == 9 and server_count(live, "question_attempts", uid) == 9
    assert server_count(live, "student_profiles", uid) == 1
    _, grade, _, _, hours = sh["profile"][0]
    assert grade == "Year 10" and hours == 1.0  # the later local edits won, field by field
    with home.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(QuestionAttempt)
                        .where(QuestionAttempt.student_id == local_id)) == 0
        assert s.scalar(select(func.count()).select_from(StudentProfile)) == 1


def test_register_keeps_the_offline_account_id(laptop: Callable[..., Laptop], live: LiveServer) -> None:
    home = laptop("home")
    local_id = home.local_student("alice")
    home.answer(3, student_id=local_id)
    assert sign_up(home, server_url=live.url) == local_id
    result = home.sync()
    assert result.pushed == 3 and result.pending == 0 and not result.mismatches


def class_of_student(live: LiveServer, teacher: Laptop) -> str:
    """A class of `teacher`'s; returns its join code."""
    import requests
    answer = requests.post(f"{live.url}/api/v1/classes", json={"name": "11A"}, timeout=10,
                           headers={"Authorization": f"Bearer {teacher.tokens.get()}", "X-Protocol-Version": "1"})
    assert answer.status_code == 201, answer.text
    return answer.json()["join_code"]


def local_class(lap: Laptop) -> str | None:
    with lap.db.transaction() as s:
        return s.scalar(select(StudentProfile.class_id).where(StudentProfile.user_id == lap.user_id))


def test_a_profile_saved_on_a_laptop_that_missed_the_join_keeps_the_student_in_the_class(
        laptop: Callable[..., Laptop], live: LiveServer, make_laptop: Callable[..., Laptop]) -> None:
    teacher = signed_up(make_laptop, live.url, "teacher", role="teacher")
    code = class_of_student(live, teacher)
    a, b = laptop("a"), laptop("b")
    sign_up(a, server_url=live.url)
    a.edit_profile(target_exam="GCSE")
    a.sync()
    sign_in(b, server_url=live.url)  # has not pulled yet (or is offline)
    class_id = a.transport.join_class(a.tokens.get(), code)["class_id"]
    b.edit_profile(target_exam="GCSE", hours_per_day=3.0)  # a new local profile row: an insert
    settle(b, a)
    assert local_class(a) == local_class(b) == class_id
    assert a.snapshot()["profile"] == b.snapshot()["profile"]
    assert b.snapshot()["profile"][0][4] == 3.0


def test_a_laptop_whose_copy_claims_no_class_takes_the_servers_membership(
        laptop: Callable[..., Laptop], live: LiveServer, make_laptop: Callable[..., Laptop]) -> None:
    teacher = signed_up(make_laptop, live.url, "teacher", role="teacher")
    code = class_of_student(live, teacher)
    a = laptop("a")
    sign_up(a, server_url=live.url)
    a.edit_profile(target_exam="GCSE")
    a.sync()
    # As an older version of the app left it: class_id stamped by this laptop, later than any join.
    with a.db.transaction() as s:
        profile = s.scalar(select(StudentProfile).where(StudentProfile.user_id == a.user_id))
        s.execute(update(StudentProfile).where(StudentProfile.id == profile.id).values(
            field_stamps={**profile.field_stamps, "class_id": f"{time.time_ns() // 1_000_000 + DAY_MS // 2:015d}:000000:a"}))
    class_id = a.transport.join_class(a.tokens.get(), code)["class_id"]
    settle(a)
    assert local_class(a) == class_id
