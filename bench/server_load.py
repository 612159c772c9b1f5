"""Load benchmark of the sync server: many devices pushing attempts and pulling, then an audit.

    tests/tools/with_postgres.sh .venv/bin/python bench/server_load.py [--devices 100]
        [--batches 50] [--batch-size 100] [--workers 4] [--pool-size 5] [--max-seconds 240]
        [--rate OPS_PER_S] [--retries-together]

Starts a real server process (`python -m sync_server`, uvicorn workers) on 127.0.0.1
against a throwaway database on the PostgreSQL of ADAPTIVE_LEARNING_TEST_PG_URL. Each
simulated device is a thread with its own student account: it pushes `batches` batches of
`batch-size` question attempts, pulls after every fifth push (from its own random offset),
re-sends one batch as if its response had been lost (right after a push chosen at random, or,
with --retries-together, every device after its last push: a burst of replays), and pulls to
the end. It pulls as the
desktop does: its own attempts are not sent back (skip_device) and the last page carries the
counts (with_summary); --pull-own makes every device download all of its rows again instead.
Prints throughput, latency percentiles per request type, and an audit: rows in PostgreSQL ==
attempts pushed, no duplicates, each device's cursor passed all of its rows and its last count
saw them all (with --pull-own: each device pulled all of its own rows). Accounts and tokens are
made directly in the database (argon2 would dominate the set-up); a few real registrations and
logins are timed apart, and so is each device's first sync (the syllabus it answers from).
Without --rate every device pushes as fast as it is answered (closed loop: throughput, and
latency that is mostly queueing); with --rate the devices offer that many ops/s in total
(open loop: latency below saturation). Loopback only. Exits non-zero if the audit fails.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import socket
import statistics
import sys
import threading
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psycopg
import requests
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desktop_app.db.hlc import HybridLogicalClock  # noqa: E402
from desktop_app.db.ids import new_id  # noqa: E402
from desktop_app.services.passwords import hash_password  # noqa: E402
from sync_server.auth import token_digest  # noqa: E402
from sync_server.changelog import COVERED_ROWS  # noqa: E402
from tests.sync_server.conftest import child_pids, question_ids, start_server, stop_server  # noqa: E402

HEADERS = {"X-Protocol-Version": "1"}


def dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (Linux /proc), 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pids(root: int) -> list[int]:
    """The server process and its uvicorn workers."""
    return [root, *child_pids(root)]


def speed_probe() -> float:
    """Milliseconds this machine takes for a fixed piece of pure Python (best of three).

    The 2-core VM's speed drifts: the same code needs up to ~50% more CPU per op in its slow
    spells, and latency at a fixed offered rate follows. Printed with every run, so that
    runs can be compared on equal terms (and a slow run told from a regression)."""
    def once() -> float:
        start, total = time.perf_counter(), 0
        for i in range(1_000_000):
            total += i
        return (time.perf_counter() - start) * 1000
    return min(once() for _ in range(3))


def machine_ticks() -> dict[str, int]:
    """Clock ticks the machine's CPUs have spent in each state since boot (Linux /proc/stat).

    "steal" is time a vCPU was ready to run while the hypervisor ran something else on its
    core: a busy host, not a slow server. In this 2-core VM's slow spells it was 0-17% of the
    run; the rest of the slowness is the same work taking longer (the speed probe)."""
    names = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
    return dict(zip(names, map(int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9])))


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Http:
    """One keep-alive HTTP/1.1 connection on a plain socket: the load generator shares the two
    cores with the server, so it should cost as little per request as it can (http.client
    spends about three times more per call, requests about thirty). It speaks just what the
    server answers: a status line, headers and a Content-Length body. Reconnects when the
    server has closed an idle connection (the caller retries)."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        url = urlsplit(base)
        self.address, self.prefix = (url.hostname, url.port), url.path
        self.head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": url.netloc, **headers}.items())
        self.sock: socket.socket | None = None

    def call(self, method: str, path: str, body: bytes | None = None,
             params: dict[str, object] | None = None) -> tuple[int, bytes]:
        target = self.prefix + path + ("?" + urlencode(params) if params else "")
        request = f"{method} {target} HTTP/1.1\r\n{self.head}Content-Length: {len(body or b'')}\r\n\r\n".encode()
        try:
            if self.sock is None:
                self.sock = socket.create_connection(self.address, timeout=60)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock.sendall(request + body if body else request)
            return self._response()
        except (OSError, ValueError):  # the caller retries a lost connection (OSError), nothing else
            self._drop()
            raise

    def _drop(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None

    def _response(self) -> tuple[int, bytes]:
        assert self.sock is not None
        data = bytearray()
        while (end := data.find(b"\r\n\r\n")) < 0:
            data += self._recv()
        lines = bytes(data[:end]).split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise ValueError(f"not an HTTP/1.1 status line: {lines[0][:80]!r}")
        status, length, close = int(parts[1]), None, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                raise ValueError("chunked responses are not expected from this server")
            elif name == b"connection":
                close = value.strip().lower() == b"close"
        if length is None:
            raise ValueError("response without Content-Length")
        start = end + 4
        while len(data) < start + length:
            data += self._recv()
        if len(data) > start + length:  # one request at a time: nothing may follow the body
            raise ValueError("bytes after the response body")
        body = bytes(data[start:])
        if close:
            self._drop()
        return status, body

    def _recv(self) -> bytes:
        assert self.sock is not None
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        return chunk


class Device(threading.Thread):
    def __init__(self, base: str, user_id: str, token: str, questions: list[str], args: argparse.Namespace,
                 timings: dict[str, list[float]], lock: threading.Lock) -> None:
        super().__init__(daemon=True)
        self.user_id, self.questions, self.args = user_id, questions, args
        self.timings, self.lock = timings, lock
        self.deadline = 0.0  # set once every device is prepared
        self.http = Http(base, {**HEADERS, "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        self.device = "bench" + user_id[-8:]
        self.clock = HybridLogicalClock(self.device)
        self.pushed: set[str] = set()
        self.pulled_own: set[str] = set()
        self.cursor = 0
        self.errors: list[str] = []
        self.retries = 0
        self.batches: list[tuple[list[str], bytes]] = []
        self.counted = -1  # attempts in the last summary a pull carried

    def _timed(self, kind: str, call):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            status, body = call()
        except OSError:
            # A keep-alive connection the server closed just as it was reused: like the sync
            # client, retry (push and pull are idempotent). Counted, and timed from the start.
            self.retries += 1
            status, body = call()
        elapsed = time.perf_counter() - start
        with self.lock:
            self.timings[kind].append(elapsed)
        if status != 200:
            self.errors.append(f"{kind}: {status} {body[:200]!r}")
        return status, body

    def prepare(self) -> None:
        """Build every batch this device will push, as encoded JSON, before the clock starts:
        the generator's own work (ids, stamps, encoding) is not the server's to pay for."""
        now = datetime.now(timezone.utc).isoformat()
        for _ in range(self.args.batches):
            ops = []
            for _ in range(self.args.batch_size):
                ops.append({"op_id": new_id(), "table": "question_attempts", "row_id": new_id(),
                            "operation": "insert", "hlc": self.clock.now(), "payload": {
                                "student_id": self.user_id, "question_id": random.choice(self.questions),
                                "answer": "42", "is_correct": random.random() < 0.6, "time_taken_seconds": 20.0,
                                "confidence": 3, "timestamp": now, "device_id": self.device, "deleted": False}})
            body = json.dumps({"device_id": self.device, "ops": ops}, separators=(",", ":")).encode()
            self.batches.append(([op["row_id"] for op in ops], body))

    def push(self, row_ids: list[str], body: bytes) -> None:
        status, _ = self._timed("push", lambda: self.http.call("POST", "/sync/push", body))
        if status == 200:
            self.pushed.update(row_ids)

    def pull(self, kind: str = "pull") -> None:
        params: dict[str, object] = {"limit": 1000}
        if not self.args.pull_own:
            params.update(skip_device=self.device, with_summary="true")
        while True:
            status, raw = self._timed(kind, lambda: self.http.call("GET", "/sync/pull",
                                                                     params={**params, "after": self.cursor}))
            if status != 200:
                return
            body = json.loads(raw)
            self.pulled_own.update(c["row_id"] for c in body["changes"] if c["table"] == "question_attempts")
            self.cursor = body["next_cursor"]
            if body.get("summary"):
                self.counted = body["summary"]["counts"]["question_attempts"]
            if not body["has_more"]:
                return

    def run(self) -> None:
        try:
            self._run()
        except Exception as exc:  # a device that dies is a failure, not a silent shortfall
            self.errors.append(f"{type(exc).__name__}: {exc}")

    def _run(self) -> None:
        # Open loop when --rate is given: this device's pushes are spaced to its share of the
        # rate (latency measured below saturation); otherwise closed loop, as fast as answered.
        # Independent devices are not in step: each starts at a random point of its interval,
        # pulls after every fifth push counted from its own random offset (in step, all 100
        # devices would pull within the same interval of every five), and loses a response at
        # a random moment (in step, every device would replay within the same interval). The
        # retry and the last pull are paced like any push: the device offers its share of the
        # rate to the very end, instead of adding both to one interval.
        interval = self.args.devices * self.args.batch_size / self.args.rate if self.args.rate else 0.0
        next_at = time.monotonic() + random.uniform(0, interval)
        offset = random.randrange(5)
        lost = len(self.batches) - 1 if self.args.retries_together else random.randrange(len(self.batches))
        # That batch again right after it: a retry after a lost response.
        pushes = [*self.batches[:lost + 1], self.batches[lost], *self.batches[lost + 1:]]
        for i, (row_ids, body) in enumerate(pushes):
            if time.monotonic() > self.deadline:
                self.errors.append("deadline reached")
                break
            if interval:
                time.sleep(max(0.0, next_at - time.monotonic()))
                next_at += interval
            self.push(row_ids, body)  # a retry is acknowledged, not applied again
            if i % 5 == offset and i < len(self.batches):  # the final push is followed by the last pull
                self.pull()
        if interval:
            time.sleep(max(0.0, next_at - time.monotonic()))  # the last pull in a slot of its own
        self.pull()


def provision(conn: psycopg.Connection, n: int) -> list[tuple[str, str]]:
    password_hash = hash_password("bench-password")
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    accounts = []
    for i in range(n):
        uid, token = new_id(), secrets.token_urlsafe(32)
        conn.execute("INSERT INTO users (id, username, password_hash, role, created_at) VALUES (%s,%s,%s,'student',%s)",
                     (uid, f"bench-{i}-{uid[-6:]}", password_hash, now))
        conn.execute("INSERT INTO server_tokens (token_hash, user_id, device_id, created_at, expires_at) "
                     "VALUES (%s,%s,'bench',%s,%s)", (token_digest(token), uid, now, now + timedelta(days=1)))
        accounts.append((uid, token))
    conn.commit()
    return accounts


def time_auth(base: str, n: int, timings: dict[str, list[float]]) -> None:
    for i in range(n):
        name = f"auth-bench-{uuid.uuid4().hex[:8]}"
        start = time.perf_counter()
        requests.post(f"{base}/auth/register", headers=HEADERS, timeout=30,
                      json={"username": name, "password": "bench-password"}).raise_for_status()
        timings["register"].append(time.perf_counter() - start)
        start = time.perf_counter()
        requests.post(f"{base}/auth/login", headers=HEADERS, timeout=30,
                      json={"username": name, "password": "bench-password", "device_id": "b"}).raise_for_status()
        timings["login"].append(time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--batches", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=100)
    # Two per core, chosen while uvicorn's workers shared one listening socket: 100 keep-alive
    # connections split unevenly between two workers (about two thirds on one, counted in
    # /proc), the busier one, whose Python runs under one GIL, set the tail, and push p99 at
    # 20,000 ops/s was lower with 4 workers in 5 of 6 interleaved pairs of runs. Each worker
    # now has a socket of its own (sync_server/workers.py) and the split is even; 4 against
    # 2 was not measured again since.
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--pull-own", action="store_true",
                        help="devices download their own rows again (the desktop does not)")
    # Five connections per worker (20 in all, as two workers of ten had): with ten per worker,
    # 40 PostgreSQL backends on 2 cores cost more CPU per op (0.034-0.037 ms against
    # 0.031-0.032) and push p99 was higher in 5 of 5 interleaved pairs of runs.
    parser.add_argument("--pool-size", type=int, default=5,
                        help="database connections per worker (0: the server's own default, 10)")
    parser.add_argument("--retries-together", action="store_true",
                        help="every device re-sends its last batch at the end, in the same slot")
    parser.add_argument("--max-seconds", type=float, default=240.0)
    parser.add_argument("--rate", type=float, default=0.0,
                        help="offered load in ops/s, spread over the devices (default: as fast as possible)")
    args = parser.parse_args()
    pg = os.environ.get("ADAPTIVE_LEARNING_TEST_PG_URL")
    if not pg:
        print("ADAPTIVE_LEARNING_TEST_PG_URL is not set: run under tests/tools/with_postgres.sh", file=sys.stderr)
        return 2
    name = "bench_" + uuid.uuid4().hex[:8]
    with psycopg.connect(dsn(pg), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    db_url = make_url(pg).set(database=name).render_as_string(hide_password=False)
    server = start_server(db_url, workers=args.workers,
                          extra=["--pool-size", str(args.pool_size)] if args.pool_size else None)
    base = f"{server.url}/api/v1"
    try:
        with psycopg.connect(dsn(db_url)) as conn:
            accounts = provision(conn, args.devices)
        timings: dict[str, list[float]] = defaultdict(list)
        time_auth(base, 3, timings)
        questions = question_ids(150)
        lock = threading.Lock()
        devices = [Device(base, uid, token, questions, args, timings, lock) for uid, token in accounts]
        for d in devices:
            d.prepare()
            # A laptop answers questions it has downloaded: after signing in, its first sync
            # fetches the syllabus (the sample bank). Each device does that here, one at a
            # time, before the clock starts; it is timed as "first sync".
            d.pull("first sync")
        probe_before = speed_probe()
        deadline = time.monotonic() + args.max_seconds
        for d in devices:
            d.deadline = deadline
        with psycopg.connect(dsn(db_url)) as conn:
            backends = lambda: [r[0] for r in conn.execute(  # noqa: E731
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
            workers = server_pids(server.process.pid)
            cpu0 = {p: cpu_seconds(p) for p in workers}
            pg0 = {p: cpu_seconds(p) for p in backends()}  # the workers' pooled connections, open since start
            client0, ticks0 = time.process_time(), machine_ticks()
            start = time.perf_counter()
            for d in devices:
                d.start()
            for d in devices:
                d.join()
            elapsed = time.perf_counter() - start
            ticks = {state: n - ticks0[state] for state, n in machine_ticks().items()}
            probes = (probe_before, speed_probe())
            cpu = {"server (uvicorn workers)": sum(cpu_seconds(p) - cpu0.get(p, 0.0) for p in workers),
                   "PostgreSQL backends": sum(cpu_seconds(p) - pg0.get(p, 0.0) for p in backends()),
                   "load generator": time.process_time() - client0}
            conn.commit()
            stored = conn.execute("SELECT count(*), count(DISTINCT id) FROM question_attempts").fetchone()
            logged = conn.execute(  # rows the log stands for, distinct ones, entries
                f"SELECT count(*), count(DISTINCT row_id), count(DISTINCT seq) FROM ({COVERED_ROWS}) e "
                "WHERE table_name = 'question_attempts'").fetchone()
            seqs = conn.execute("SELECT count(*), count(DISTINCT seq) FROM server_changes").fetchone()
            last_seq = dict(conn.execute("SELECT owner_id, max(seq) FROM server_changes "
                                         "WHERE table_name = 'question_attempts' GROUP BY owner_id").fetchall())
        return report(args, devices, timings, elapsed, stored, logged, seqs, cpu, last_seq, probes, ticks)
    finally:
        stop_server(server)
        with psycopg.connect(dsn(pg), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def report(args, devices, timings, elapsed, stored, logged, seqs, cpu, last_seq, probes, ticks) -> int:  # type: ignore[no-untyped-def]
    pushed = sum(len(d.pushed) for d in devices)
    errors = [e for d in devices for e in d.errors]
    retries = sum(d.retries for d in devices)
    mode = f"open loop, {args.rate:,.0f} ops/s offered" if args.rate else "closed loop"
    mode += ", devices pull their own rows back" if args.pull_own else ", pulls as the desktop (own rows not sent back)"
    print(f"\nSync server load: {args.devices} devices x {args.batches} batches x {args.batch_size} attempts, {mode}, "
          f"{args.workers} uvicorn workers, {os.cpu_count()} CPUs (server, PostgreSQL and load generator share them)")
    print(f"{'speed probe (ms)':<28}{probes[0]:>12.1f}  before, {probes[1]:.1f} after (a fixed Python loop; "
          "lower is a faster machine)")
    demanded = sum(ticks.values()) - ticks["idle"] - ticks["iowait"]
    print(f"{'stolen by the hypervisor':<28}{ticks['steal'] / max(demanded, 1):>12.0%}  of the time the CPUs had "
          f"work ({ticks['steal'] / os.sysconf('SC_CLK_TCK'):.1f} s; idle {ticks['idle'] / max(sum(ticks.values()), 1):.0%})")
    print(f"{'ops accepted':<28}{pushed:>12,}")
    print(f"{'wall time (s)':<28}{elapsed:>12.1f}")
    print(f"{'throughput (ops/s)':<28}{pushed / elapsed:>12,.0f}")
    print(f"\n{'request':<12}{'count':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for kind in ("push", "pull", "first sync", "register", "login"):
        values = [v * 1000 for v in timings.get(kind, [])]
        if values:
            print(f"{kind:<12}{len(values):>8}{statistics.median(values):>10.1f}{percentile(values, 95):>10.1f}"
                  f"{percentile(values, 99):>10.1f}{max(values):>10.1f}")
    print(f"\n{'CPU seconds':<28}{'total':>8}{'per 1k ops':>12}")
    for name, seconds in cpu.items():
        print(f"{name:<28}{seconds:>8.1f}{seconds / max(pushed, 1) * 1000:>12.3f}")
    if args.pull_own:
        missing_pulls = sum(len(d.pushed - d.pulled_own) for d in devices)
        pulled = {"every device pulled all its rows": missing_pulls == 0}
    else:
        missing_pulls = sum(1 for d in devices if d.cursor < last_seq.get(d.user_id, 0) or d.counted != len(d.pushed))
        pulled = {"every device's cursor passed all its rows, and its count saw them all": missing_pulls == 0}
    checks = {
        "rows in PostgreSQL == attempts pushed": stored[0] == pushed,
        "zero duplicate rows": stored[0] == stored[1],
        "the change log stands for every row once": logged[0] == logged[1] == pushed,
        "sequence numbers unique": seqs[0] == seqs[1],
        **pulled,
        "no failed requests": not errors,
    }
    print(f"\nConnection retries (server closed an idle keep-alive connection): {retries}")
    print(f"\nAudit: stored {stored[0]:,} rows ({stored[1]:,} distinct), pushed {pushed:,}, "
          f"change log {logged[0]:,} rows in {logged[2]:,} entries, " + (f"not pulled back {missing_pulls}" if args.pull_own
                                         else f"devices short of their rows {missing_pulls}"))
    for name, ok in checks.items():
        print(f"  [{'ok' if ok else 'FAIL'}] {name}")
    for e in errors[:10]:
        print("  error:", e)
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
