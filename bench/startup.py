"""Startup and answer latency of the desktop app on a large history.

Cold start: a fresh process (interpreter, imports, Qt, migrations check, sign-in by "keep me
signed in", Home's queries) until Home shows its data, on a database holding ATTEMPTS
attempts of one student. Median over RUNS processes. Then, in the same process, the
answer → feedback round trip (submit on the GUI thread, graded, recorded and committed on
the worker, feedback on screen), median over ANSWERS answers. Peak memory is the child's
maximum resident set size.

The 200,000 attempts are inserted in bulk with SQLAlchemy Core (about a second), bypassing
the ORM and therefore the outbox: they get no sync_operations rows, as if they had been
synced long ago. Mastery and the model state are then rebuilt from them once with the
progress service (services.progress.recompute_mastery), exactly as after a sync pull.

Usage: python bench/startup.py [--attempts 200000] [--runs 5] [--answers 30]
Targets: cold start median <= 1.5 s; answer -> feedback median <= 50 ms.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

START_TARGET_S = 1.5
ANSWER_TARGET_MS = 50.0


def _quiet_keyring() -> None:
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())  # never the real keyring: the owner-only file in the data dir


def prepare(data_dir: Path, attempts: int) -> dict[str, float]:
    """A data folder with the sample bank and one remembered student with `attempts` attempts."""
    _quiet_keyring()
    from sqlalchemy import func, insert, select

    from desktop_app.credentials import SecretStore
    from desktop_app.db.ids import new_id
    from desktop_app.db.models import Question, QuestionAttempt
    from desktop_app.services import accounts, profile
    from desktop_app.services.progress import recompute_mastery
    from desktop_app.services.setup import initialise
    from desktop_app.ui import signin
    from desktop_app.ui.app import SECRETS_FILE

    sizes: dict[str, float] = {}
    db, _ = initialise(data_dir)
    today = date.today()
    with db.transaction() as s:
        acc = accounts.create_account(s, username="bench", password="bench-password")
        profile.save_profile(s, student_id=acc.id, grade="Year 11", target_exam="GCSE Mathematics",
                             exam_date=today + timedelta(days=60), hours_per_day=2.0, today=today)
        signin.keep_signed_in(s, store=SecretStore(data_dir / SECRETS_FILE), device_id=db.device_id,
                              user_id=acc.id, keep=True)
        questions = list(s.execute(select(Question.id, Question.type, Question.correct_answer)).all())
    rng = random.Random(7)
    end = datetime.now(timezone.utc)
    first = end - timedelta(days=200)
    step = (end - first) / attempts
    table = QuestionAttempt.__table__
    started = time.perf_counter()
    with db.engine.begin() as conn:
        batch: list[dict[str, object]] = []
        for i in range(attempts):
            qid, _kind, answer = questions[rng.randrange(len(questions))]
            correct = rng.random() < 0.65
            batch.append({"id": new_id(), "student_id": acc.id, "question_id": qid,
                          "answer": answer if correct else "0", "is_correct": correct,
                          "time_taken_seconds": rng.uniform(8, 120), "confidence": rng.choice((None, 2, 3, 4)),
                          "timestamp": first + step * i, "device_id": db.device_id, "hlc": "",
                          "field_stamps": {}, "deleted": False})
            if len(batch) == 20_000:
                conn.execute(insert(table), batch)
                batch.clear()
        if batch:
            conn.execute(insert(table), batch)
    sizes["insert_s"] = time.perf_counter() - started
    started = time.perf_counter()
    with db.transaction() as s:
        recompute_mastery(s, student_id=acc.id, now=end)
        sizes["attempts"] = s.scalar(select(func.count()).select_from(table)) or 0
        sizes["questions"] = len(questions)
    sizes["recompute_s"] = time.perf_counter() - started
    db.close()
    sizes["db_mb"] = sum(p.stat().st_size for p in data_dir.glob("*.sqlite3*")) / 1e6
    return sizes


def child(data_dir: Path, answers: int) -> None:
    """Runs in the measured process: open the app, wait for Home, then answer questions."""
    t_import = time.perf_counter()
    _quiet_keyring()
    from PySide6.QtCore import QCoreApplication, QSettings

    from desktop_app.ui.app import application, build_window
    from desktop_app.ui.workspace import PRACTICE

    app = application()
    settings = QSettings(str(data_dir / "bench-settings.ini"), QSettings.Format.IniFormat)
    window = build_window(data_dir, settings=settings)
    window.show()
    window.start()

    def wait(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
        end = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > end:
                raise TimeoutError
            app.processEvents()
            time.sleep(0.0005)

    wait(lambda: window.workspace is not None and window.workspace.home.data is not None)
    print("READY", flush=True)  # the parent stops its clock here
    home_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    ws = window.workspace
    page = ws.practice
    ws.go(PRACTICE)
    wait(lambda: page.current is not None and not page._busy)
    round_trips: list[float] = []
    for _ in range(answers):
        q = page.current.question
        if q.type == "numerical":
            page.number.setText("3.5")
        else:
            page.choices.buttons()[0].setChecked(True)
        started = time.perf_counter()
        page.submit_answer()
        wait(lambda: page.feedback is not None)
        round_trips.append((time.perf_counter() - started) * 1000)
        wait(lambda: page.upcoming is not None)
        page.go_next()
        wait(lambda: page.feedback is None and page.current is not None)
    window.close()
    window.runner.shutdown()
    print(json.dumps({"answer_ms": round_trips, "home_rss_kb": home_rss,
                      "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "in_process_s": time.perf_counter() - t_import}), flush=True)
    QCoreApplication.quit()
    os._exit(0)  # the measurements are out; skip Qt's and Python's teardown


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attempts", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--answers", type=int, default=30)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child), args.answers)
        return 0

    with tempfile.TemporaryDirectory(prefix="al-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        print(f"Preparing {args.attempts:,} attempts…", flush=True)
        sizes = prepare(data_dir, args.attempts)
        env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
        starts: list[float] = []
        answers: list[float] = []
        peaks: list[int] = []
        homes: list[int] = []
        for run in range(args.runs):
            started = time.perf_counter()
            proc = subprocess.Popen([sys.executable, __file__, "--child", str(data_dir), "--answers",
                                     str(args.answers)], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.strip() == "READY":
                    starts.append(time.perf_counter() - started)
                    break
            result = json.loads(proc.stdout.readline())
            proc.wait(timeout=120)
            answers.extend(result["answer_ms"])
            peaks.append(result["peak_rss_kb"])
            homes.append(result["home_rss_kb"])
            print(f"  run {run + 1}: home shown after {starts[-1]:.2f} s; answer → feedback median "
                  f"{statistics.median(result['answer_ms']):.1f} ms", flush=True)

    start_med, answer_med = statistics.median(starts), statistics.median(answers)
    rows = [
        ("attempts in the database", f"{sizes['attempts']:,.0f}", ""),
        ("questions", f"{sizes['questions']:.0f}", ""),
        ("database size", f"{sizes['db_mb']:.1f} MB", ""),
        ("bulk insert / mastery rebuild (setup)", f"{sizes['insert_s']:.1f} s / {sizes['recompute_s']:.1f} s", ""),
        (f"cold start to usable Home (median of {len(starts)})", f"{start_med:.2f} s",
         f"target ≤ {START_TARGET_S} s: {'ok' if start_med <= START_TARGET_S else 'MISSED'}"),
        ("cold start min / max", f"{min(starts):.2f} / {max(starts):.2f} s", ""),
        (f"answer → feedback (median of {len(answers)})", f"{answer_med:.1f} ms",
         f"target ≤ {ANSWER_TARGET_MS:.0f} ms: {'ok' if answer_med <= ANSWER_TARGET_MS else 'MISSED'}"),
        ("answer → feedback p90", f"{statistics.quantiles(answers, n=10)[-1]:.1f} ms", ""),
        ("peak memory at Home (max RSS)", f"{max(homes) / 1024:.0f} MB", ""),
        ("peak memory after answering", f"{max(peaks) / 1024:.0f} MB", ""),
    ]
    width = max(len(r[0]) for r in rows)
    print()
    print(f"{'measure':<{width}}  {'value':>22}  note")
    print("-" * (width + 40))
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>22}  {note}")
    return 0 if start_med <= START_TARGET_S and answer_med <= ANSWER_TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
