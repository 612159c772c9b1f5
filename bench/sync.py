"""Sync end to end on loopback: client, server and PostgreSQL on this machine.

    tests/tools/with_postgres.sh .venv/bin/python bench/sync.py [--attempts 10000]

Starts the real server (`python -m sync_server`, one worker) on a fresh database, then:
laptop A pushes N attempts (plus the pull-back and count check of its round), laptop B —
a second laptop of the same student — pulls them all on its first sync (apply, mastery
recompute, check); then the median cost of a no-op round and of a round with 100 new
attempts. Prints a table; asserts nothing (bench/, not tests/). Targets (issue 6):
>= 20,000 attempts/s each way, no-op <= 15 ms, 100 new <= 50 ms.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import keyring
from keyring.backend import KeyringBackend
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desktop_app.db.models import Question, QuestionAttempt  # noqa: E402
from desktop_app.db.session import make_engine  # noqa: E402
from desktop_app.services.setup import initialise  # noqa: E402
from sync_client import account  # noqa: E402
from sync_client.engine import RoundResult, Synchronizer  # noqa: E402
from sync_client.state import TokenStore  # noqa: E402
from sync_client.transport import HttpTransport  # noqa: E402

PASSWORD = "correct horse battery"


class _MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]
    store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


def _fresh_database(server_url: str) -> str:
    name = "bench_" + uuid.uuid4().hex[:8]
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _start_server(db_url: str) -> tuple[subprocess.Popen[bytes], str]:
    import socket

    import requests
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "sync_server", "--db-url", db_url, "--port", str(port),
                             "--workers", "1", "--log-level", "warning"], cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/api/v1/health", timeout=1).status_code == 200:
                return proc, url
        except requests.ConnectionError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("the sync server did not start")


class _Timed(HttpTransport):
    """HTTP transport that adds up the time during which at least one request awaits its
    reply (two pushes, or a pull and the page being applied, may overlap)."""

    waited = 0.0
    _active = 0
    _since = 0.0
    _lock = threading.Lock()

    def _call(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        with _Timed._lock:
            if _Timed._active == 0:
                _Timed._since = time.perf_counter()
            _Timed._active += 1
        try:
            return super()._call(*args, **kwargs)
        finally:
            with _Timed._lock:
                _Timed._active -= 1
                if _Timed._active == 0:
                    _Timed.waited += time.perf_counter() - _Timed._since


def _laptop(base: Path, name: str, url: str) -> tuple[object, Synchronizer]:
    db, _ = initialise(base / name)
    tokens = TokenStore(base / name, db.device_id)
    return db, Synchronizer(db, _Timed(url), token=tokens.get)


def _timed(fn) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(wall seconds, of which waiting for HTTP replies) of fn()."""
    _Timed.waited = 0.0
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0, _Timed.waited


def _add_attempts(db: object, student_id: str, n: int, start: datetime) -> None:
    """N attempts written the way the app writes them: ORM rows, the outbox hook queues each."""
    with db.transaction() as s:  # type: ignore[attr-defined]
        questions = s.scalars(select(Question.id).order_by(Question.id)).all()
        for i in range(n):
            s.add(QuestionAttempt(student_id=student_id, question_id=questions[i % len(questions)],
                                  answer="x", is_correct=i % 3 != 0, time_taken_seconds=20.0 + i % 40,
                                  confidence=1 + i % 5, timestamp=start + timedelta(seconds=30 * i)))


def _recompute_all(db: object, student_id: str) -> None:
    """A full replay (the cached state is dropped first), as a first sync in a process pays."""
    from desktop_app.services import learner
    from desktop_app.services.progress import recompute_mastery
    learner.forget()
    with db.transaction() as s:  # type: ignore[attr-defined]
        recompute_mastery(s, student_id=student_id, concept_ids=None, now=datetime.now(timezone.utc))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    pg = os.environ.get("ADAPTIVE_LEARNING_TEST_PG_URL")
    if not pg:
        raise SystemExit("run under tests/tools/with_postgres.sh (ADAPTIVE_LEARNING_TEST_PG_URL)")
    keyring.set_keyring(_MemoryKeyring())
    proc, url = _start_server(_fresh_database(pg))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            base = Path(tmp)
            a_db, a = _laptop(base, "a", url)
            user = account.register(a_db, a.transport, TokenStore(base / "a", a_db.device_id), server_url=url,
                                    username="bench", password=PASSWORD)
            a.run()  # settle the syllabus stamps first: not part of the measurement
            start = datetime.now(timezone.utc) - timedelta(days=60)
            _add_attempts(a_db, user.user_id, args.attempts, start)

            token = a._require_token()
            push_s, push_wait = _timed(lambda: a.push(token, RoundResult(), lambda: False))
            a_rest_s, a_rest_wait = _timed(a.run)  # the rest of A's round: summary, pull-back, check

            b_db, b = _laptop(base, "b", url)
            account.login(b_db, b.transport, TokenStore(base / "b", b_db.device_id), server_url=url,
                          username="bench", password=PASSWORD)
            results = []
            pull_s, pull_wait = _timed(lambda: results.append(b.run()))
            with b_db.transaction() as s:
                got = s.scalar(text("SELECT count(*) FROM question_attempts"))
            recompute_s, _ = _timed(lambda: _recompute_all(b_db, user.user_id))

            noop = [_timed(a.run) for _ in range(args.repeat)]
            incremental = []
            for i in range(args.repeat):
                _add_attempts(a_db, user.user_id, 100, start + timedelta(days=1 + i))
                incremental.append(_timed(a.run))
            b.run()
            b_incremental = []
            for i in range(args.repeat):
                _add_attempts(a_db, user.user_id, 100, start + timedelta(days=30 + i))
                a.run()
                b_incremental.append(_timed(b.run))

            n = args.attempts

            def med(pairs: list[tuple[float, float]]) -> tuple[str, str]:
                wall = statistics.median(p[0] for p in pairs)
                wait = statistics.median(p[1] for p in pairs)
                return f"{wall * 1000:.1f} ms", f"{wait * 1000:.1f} ms"

            rows = [
                ("push N attempts (A)", f"{push_s * 1000:,.0f} ms", f"{push_wait * 1000:,.0f} ms",
                 f"{n / push_s:,.0f} attempts/s", ">= 20,000/s"),
                ("rest of A's round", f"{a_rest_s * 1000:,.0f} ms", f"{a_rest_wait * 1000:,.0f} ms",
                 "pull past own 10k (not sent back), check", ""),
                ("first sync of laptop B", f"{pull_s * 1000:,.0f} ms", f"{pull_wait * 1000:,.0f} ms",
                 f"{got / pull_s:,.0f} attempts/s ({got} rows)", ">= 20,000/s"),
                ("  of which mastery recompute", f"~{recompute_s * 1000:,.0f} ms", "", "recompute_mastery, full replay of 10k", ""),
                ("no-op round (median)", *med(noop), "one request (a pull whose page carries the counts)", "<= 15 ms"),
                ("100 new attempts, A (median)", *med(incremental), "push, pull (own not sent back), check", "<= 50 ms"),
                ("100 new attempts, B (median)", *med(b_incremental), "pull, apply, mastery, check", "<= 50 ms"),
            ]
            print(f"\nSync on loopback, {n:,} attempts, server {url} (1 worker), PostgreSQL local\n")
            header = ("measure", "time", "waiting for server", "rate / note", "target")
            widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
            widths = [max(w, len(h)) for w, h in zip(widths, header)]
            print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
            print("  ".join("-" * w for w in widths))
            for r in rows:
                print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
            assert results[0].pending == 0
            a_db.close()
            b_db.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
