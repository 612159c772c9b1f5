"""Randomised: offline edits, syncs and failures interleaved on three laptops of one student
end with every laptop and the server holding the same attempts, profile, plan and mastery.

Run against the in-memory fake (more examples, milliseconds each) and against the real
server on PostgreSQL (fewer examples: each makes three laptops and an account).
"""
from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as S

from sync_client.errors import ServerUnreachable
from sync_client.fake import FakeServer, FakeTransport
from sync_client.state import TokenStore
from tests.sync_client.conftest import Laptop, fresh_database, seed_syllabus, sign_in, sign_up
from tests.sync_client.live import FaultyHttp

VALUES = {"target_exam": ["GCSE Maths", "GCSE Maths (Higher)", "IGCSE"], "grade": ["Year 10", "Year 11", ""],
          "hours_per_day": [1.0, 2.5, 4.0]}
ACTIONS = S.one_of(
    S.tuples(S.just("answer"), S.integers(1, 4), S.integers(0, 150)),
    S.tuples(S.just("edit"), S.sampled_from(sorted(VALUES)), S.integers(0, 2)),
    S.tuples(S.just("replan"), S.just(0), S.just(0)),
    S.tuples(S.just("sync"), S.just(0), S.just(0)),
    S.tuples(S.just("sync_reply_lost"), S.just(0), S.just(0)),
    S.tuples(S.just("sync_server_down"), S.just(0), S.just(0)),
)
STEPS = S.lists(S.tuples(S.integers(0, 2), ACTIONS), min_size=1, max_size=14)



def scenario(steps: list[tuple[int, tuple[str, int, int]]], make_transport: Callable[[], Any],
             server_url: str, prepare: Callable[[Laptop], None] = lambda _: None) -> None:
    username = "s" + uuid.uuid4().hex[:10]
    with tempfile.TemporaryDirectory() as tmp:
        laptops = []
        for i in range(3):
            db = fresh_database(Path(tmp) / f"l{i}")
            laptops.append(Laptop(data_dir=Path(tmp) / f"l{i}", db=db, transport=make_transport(),
                                  tokens=TokenStore(Path(tmp) / f"l{i}", db.device_id)))
        try:
            prepare(laptops[0])
            sign_up(laptops[0], username, server_url=server_url)
            for lap in laptops[1:]:
                sign_in(lap, username, server_url=server_url)
            for device, (action, a, b) in steps:
                lap = laptops[device]
                if action == "answer":
                    lap.answer(a, start=b)
                elif action == "edit":
                    lap.edit_profile(**{a: VALUES[a][b]})
                elif action == "replan":
                    if lap.snapshot()["profile"]:
                        lap.replan()
                else:
                    lap.transport.lose_push_replies = int(action == "sync_reply_lost")
                    lap.transport.down = action == "sync_server_down"
                    try:
                        lap.sync()
                    except ServerUnreachable:
                        pass
                    lap.transport.lose_push_replies, lap.transport.down = 0, False
            for _ in range(2):
                results = [lap.sync() for lap in laptops]
            assert all(not r.rejected and not r.mismatches and r.pending == 0 for r in results), results
            first = laptops[0].snapshot()
            for lap in laptops[1:]:
                assert lap.snapshot() == first, steps
        finally:
            for lap in laptops:
                lap.db.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=STEPS)
def test_three_laptops_converge_fake_server(steps: list[Any]) -> None:
    server = FakeServer()
    scenario(steps, lambda: FakeTransport(server), "fake://server", prepare=lambda lap: seed_syllabus(server, lap))


@pytest.mark.postgres
@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_three_laptops_converge_real_server(live: Any, steps: list[Any]) -> None:
    scenario(steps, lambda: FaultyHttp(live.url, retries=0), live.url)
