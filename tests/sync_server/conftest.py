"""A real sync server (`python -m sync_server`, two uvicorn workers) on a free loopback port,
against its own PostgreSQL database, shared by the tests of this package.

Tests isolate themselves by creating their own accounts. `provision` makes accounts and
tokens directly in the database (one argon2 hash per session), so only the auth tests pay
for argon2 on every account.
"""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from sqlalchemy import text
from sqlalchemy.engine import make_url

from desktop_app.db.hlc import HybridLogicalClock
from desktop_app.db.ids import content_id, new_id
from desktop_app.db.session import make_engine
from desktop_app.services.passwords import hash_password
from sync_server import derived_ids
from sync_server.db import Database
from sync_server.auth import Caller, token_digest

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
TEACHER_CODE = "staff-room-2026"  # every test server is started with it
HEADERS = {"X-Protocol-Version": "1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc): a server's workers, for instance."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            pass
    return found


@dataclass
class Server:
    url: str  # http://127.0.0.1:port
    db_url: str  # postgresql+psycopg://...
    process: subprocess.Popen[bytes]

    def api(self, path: str) -> str:
        return f"{self.url}/api/v1{path}"

    def sql(self, statement: str, params: Any = None) -> list[tuple[Any, ...]]:
        """Run SQL on the server's database (autocommit) and return the rows, if any."""
        dsn = make_url(self.db_url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn, autocommit=True) as conn:
            cur = conn.execute(statement, params)
            return cur.fetchall() if cur.description else []


@pytest.fixture(scope="session")
def server_db_url(pg_server_url: str) -> Iterator[str]:
    name = "sync_" + uuid.uuid4().hex[:10]
    admin = make_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(pg_server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def start_server(db_url: str, *, workers: int = 2, extra: list[str] | None = None) -> Server:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADAPTIVE_LEARNING_SERVER_")}
    env["ADAPTIVE_LEARNING_SERVER_TEACHER_CODE"] = TEACHER_CODE
    process = subprocess.Popen(
        [sys.executable, "-m", "sync_server", "--db-url", db_url, "--port", str(port), "--workers", str(workers),
         "--log-level", "warning", *(extra or [])], cwd=ROOT, env=env)
    server = Server(url=f"http://127.0.0.1:{port}", db_url=db_url, process=process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if requests.get(server.api("/health"), timeout=1).status_code == 200:
                return server
        except requests.ConnectionError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError("the server did not answer /health within 60 s")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def server(server_db_url: str) -> Iterator[Server]:
    srv = start_server(server_db_url)
    try:
        yield srv
    finally:
        stop_server(srv)


@dataclass
class User:
    """An account with a token, and a requests session that talks to the server as it."""

    server: Server
    user_id: str
    username: str
    role: str
    token: str
    device: str

    def __post_init__(self) -> None:
        self.http = requests.Session()
        self.http.headers.update({**HEADERS, "Authorization": f"Bearer {self.token}"})
        self.clock = HybridLogicalClock(self.device)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.http.get(self.server.api(path), timeout=30, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.http.post(self.server.api(path), json=body, timeout=30, **kw)

    def request(self, method: str, path: str, body: Any = None) -> requests.Response:
        return self.http.request(method, self.server.api(path), json=body, timeout=30)

    def push(self, ops: list[dict[str, Any]]) -> requests.Response:
        return self.post("/sync/push", {"device_id": self.device, "ops": ops})

    def pull_all(self, after: int = 0, limit: int = 500) -> tuple[list[dict[str, Any]], int]:
        """Every visible change after `after`, following has_more; returns (changes, cursor)."""
        changes: list[dict[str, Any]] = []
        while True:
            r = self.get("/sync/pull", params={"after": after, "limit": limit})
            assert r.status_code == 200, r.text
            body = r.json()
            changes += body["changes"]
            after = body["next_cursor"]
            if not body["has_more"]:
                return changes, after

    def op(self, table: str, row_id: str, fields: dict[str, Any], *, operation: str = "insert",
           stamp: str | None = None) -> dict[str, Any]:
        return {"op_id": new_id(), "table": table, "row_id": row_id, "operation": operation,
                "payload": fields, "hlc": stamp or self.clock.now()}

    def attempt(self, question_id: str, *, correct: bool = True, row_id: str | None = None,
                at: datetime | None = None) -> dict[str, Any]:
        at = at or datetime.now(timezone.utc)
        return self.op("question_attempts", row_id or new_id(), {
            "student_id": self.user_id, "question_id": question_id, "answer": "x", "is_correct": correct,
            "time_taken_seconds": 12.5, "confidence": 3, "timestamp": at.isoformat(), "device_id": self.device,
            "deleted": False})


_HASH: dict[str, str] = {}


@pytest.fixture
def provision(server: Server) -> Callable[..., User]:
    """provision(role="student") -> a new account with a valid token, made in the database."""

    def make(role: str = "student", *, username: str | None = None) -> User:
        if "hash" not in _HASH:
            _HASH["hash"] = hash_password(PASSWORD)
        uid, token = new_id(), secrets.token_urlsafe(32)
        name = username or f"{role}-{uid[-12:]}"
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        server.sql("INSERT INTO users (id, username, password_hash, role, created_at) VALUES (%s, %s, %s, %s, %s)",
                   (uid, name, _HASH["hash"], role, now))
        server.sql(*derived_ids.reservation(uid))  # as registration does
        server.sql("INSERT INTO server_tokens (token_hash, user_id, device_id, created_at, expires_at) "
                   "VALUES (%s, %s, 'test', %s, %s)", (token_digest(token), uid, now, now + timedelta(days=1)))
        return User(server=server, user_id=uid, username=name, role=role, token=token, device=f"dev{uid[-8:]}")

    return make


def question_ids(n: int = 5) -> list[str]:
    """Ids of questions of the shipped sample bank (loaded by the server on start)."""
    import json

    bank = json.loads((ROOT / "resources" / "sample_bank.json").read_text(encoding="utf-8"))
    return [content_id(bank["id"], "question", q["id"]) for q in bank["questions"][:n]]


@pytest.fixture
def db(pg_url: str) -> Iterator[Database]:
    """The server's storage on a fresh, migrated PostgreSQL database (no HTTP)."""
    database = Database(pg_url, pool_size=4)
    database.upgrade()
    try:
        yield database
    finally:
        database.dispose()


def account_in(db: Database, role: str = "student") -> Caller:
    """An account made straight in the database, as registration leaves it (tests without HTTP)."""
    user_id = new_id()
    with db.connection() as conn:
        conn.execute("INSERT INTO users (id, username, password_hash, role, created_at) "
                     "VALUES (%s, %s, 'x', %s, now())", (user_id, f"{role[0]}-{user_id[-12:]}", role))
        conn.execute(*derived_ids.reservation(user_id))
        conn.commit()
    return Caller(user_id=user_id, username=f"{role[0]}-{user_id[-12:]}", role=role, token_hash="")
