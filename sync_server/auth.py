"""Accounts and bearer tokens: register, login (throttled), logout, authenticate.

Guarantees:
- Passwords are stored only as argon2id hashes (desktop_app/services/passwords.py).
- A token is 256 random bits (secrets.token_urlsafe(32)); only its SHA-256 digest is
  stored, with an expiry and a revocation time, so a copy of the database grants nothing.
- A wrong username and a wrong password get the same 401, after the same argon2 work (an
  unknown user is verified against a dummy hash).
- After LOGIN_MAX_FAILURES failed logins for one username within LOGIN_WINDOW_SECONDS,
  further logins for it are refused with 429 and Retry-After until the window ends. The
  counters live in PostgreSQL, so every worker process enforces the same limit, and each
  guess is counted before its password is checked, so a burst of concurrent guesses gets
  no more tries than guesses sent one by one.
- Argon2 costs ~64 MiB per hash: at most HASH_CONCURRENCY hashes run at once per process.
- A teacher account is registered only with the server's teacher code (ServerConfig): a
  teacher writes the syllabus every student pulls, so nobody becomes one by asking.
"""
from __future__ import annotations

import hashlib
import logging
import math
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import psycopg

from desktop_app.db.base import naive_utc
from desktop_app.db.ids import new_id
from desktop_app.services.passwords import hash_password, verify_password
from sync_server import derived_ids
from sync_server.config import LOGIN_MAX_FAILURES, LOGIN_WINDOW_SECONDS
from sync_server.db import Database
from sync_server.errors import Conflict, Forbidden, Throttled, Unauthorized

log = logging.getLogger(__name__)

HASH_CONCURRENCY = 4
_hashing = threading.BoundedSemaphore(HASH_CONCURRENCY)
_dummy_hash: str | None = None
REGISTRABLE_ROLES = ("student", "teacher")


@dataclass(frozen=True)
class Caller:
    user_id: str
    username: str
    role: str  # student, teacher or admin
    token_hash: str

    @property
    def is_teacher(self) -> bool:
        return self.role in ("teacher", "admin")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _hash(password: str) -> str:
    with _hashing:
        return hash_password(password)


def _verify(password_hash: str | None, password: str) -> bool:
    global _dummy_hash
    with _hashing:
        if password_hash is None:
            if _dummy_hash is None:
                _dummy_hash = hash_password(secrets.token_urlsafe(16))
            verify_password(_dummy_hash, password)  # same work as for a real user
            return False
        return verify_password(password_hash, password)


class Accounts:
    def __init__(self, db: Database, *, token_ttl_days: int, teacher_code: str = "") -> None:
        self.db = db
        self.token_ttl = timedelta(days=token_ttl_days)
        self._teacher_code = teacher_code

    def register(self, *, username: str, password: str, role: str, user_id: str | None,
                 teacher_code: str | None = None) -> dict[str, str]:
        """Create an account. Raises Forbidden (teacher_code_required), Conflict (username_taken,
        user_id_taken)."""
        if role == "teacher":
            self._check_teacher_code(teacher_code)
        password_hash = _hash(password)
        uid = user_id or new_id()

        def work(conn: psycopg.Connection) -> None:
            row = conn.execute(
                "INSERT INTO users (id, username, password_hash, role, display_name, created_at) "
                "VALUES (%s, %s, %s, %s, NULL, %s) ON CONFLICT DO NOTHING RETURNING id",
                (uid, username, password_hash, role, naive_utc(_now()))).fetchone()
            if row is None:
                taken = conn.execute("SELECT 1 FROM users WHERE username = %s", (username,)).fetchone()
                if taken:
                    raise Conflict("this username is taken", code="username_taken")
                raise Conflict("an account with this user_id exists", code="user_id_taken")
            conn.execute(*derived_ids.reservation(uid))  # push refuses them to anyone else

        self.db.run(work)
        return {"user_id": uid, "username": username, "role": role}

    def _check_teacher_code(self, given: str | None) -> None:
        """Raises Forbidden(teacher_code_required) unless `given` is the server's teacher code.

        Wrong codes are counted like failed logins under one reserved name (usernames cannot
        hold "~"), so the code cannot be guessed at speed: after LOGIN_MAX_FAILURES wrong
        ones, teacher registrations wait out the window (429).
        """
        refused = Forbidden("a teacher account needs the school's teacher code; ask whoever runs this server",
                            code="teacher_code_required")
        if not self._teacher_code:
            raise refused  # this server registers students only: nothing to guess
        now = _now()
        self.db.run(lambda conn: _count_attempt(conn, TEACHER_CODE_KEY, now))
        if given is not None and secrets.compare_digest(given.encode(), self._teacher_code.encode()):
            self.db.run(lambda conn: conn.execute(_SUCCEEDED, {"u": TEACHER_CODE_KEY, "reset": False}))
            return
        raise refused

    def login(self, *, username: str, password: str, device_id: str) -> dict[str, str]:
        """A new token for the account. Raises Throttled or Unauthorized(invalid_credentials)."""
        now = _now()

        def check(conn: psycopg.Connection) -> tuple[str, str, str] | None:
            _count_attempt(conn, username, now)
            return conn.execute("SELECT id, password_hash, role FROM users WHERE username = %s",
                                (username,)).fetchone()

        user = self.db.run(check)
        if not _verify(user[1] if user else None, password):
            raise Unauthorized("wrong username or password", code="invalid_credentials")
        assert user is not None
        token = secrets.token_urlsafe(32)
        expires = now + self.token_ttl

        def issue(conn: psycopg.Connection) -> None:
            conn.execute(_SUCCEEDED, {"u": username, "reset": True})
            conn.execute("INSERT INTO server_tokens (token_hash, user_id, device_id, created_at, expires_at) "
                         "VALUES (%s, %s, %s, %s, %s)",
                         (token_digest(token), user[0], device_id, naive_utc(now), naive_utc(expires)))

        self.db.run(issue)
        return {"token": token, "user_id": user[0], "role": user[2], "expires_at": expires.isoformat()}

    def logout(self, caller: Caller) -> None:
        """Revoke the caller's token (idempotent)."""
        self.db.run(lambda conn: conn.execute(
            "UPDATE server_tokens SET revoked_at = %s WHERE token_hash = %s AND revoked_at IS NULL",
            (naive_utc(_now()), caller.token_hash)))

    def authenticate(self, token: str) -> Caller:
        """The caller holding bearer `token`, in a transaction of its own (see caller_in)."""
        return self.db.run(lambda conn: caller_in(conn, token), read_only=True)


def caller_in(conn: psycopg.Connection, token: str) -> Caller:
    """The caller holding bearer `token`, read in the caller's transaction: a push or pull
    checks its token in its own transaction (one connection, one round trip less).

    Raises Unauthorized (code unauthorized, or token_expired).
    """
    token = token.strip()
    if not token or len(token) > 512:
        raise Unauthorized("sign in first: Authorization: Bearer <token> is missing or malformed")
    digest = token_digest(token)
    row = conn.execute("SELECT t.user_id, u.username, u.role, t.expires_at, t.revoked_at FROM server_tokens t "
                       "JOIN users u ON u.id = t.user_id WHERE t.token_hash = %s", (digest,)).fetchone()
    if row is None or row[4] is not None:
        raise Unauthorized("this token is not valid; sign in again")
    if row[3].replace(tzinfo=timezone.utc) <= _now():
        raise Unauthorized("this token has expired; sign in again", code="token_expired")
    return Caller(user_id=row[0], username=row[1], role=row[2], token_hash=digest)


TEACHER_CODE_KEY = "~teacher-code"  # the throttling row of wrong teacher codes


def _count_attempt(conn: psycopg.Connection, key: str, now: datetime) -> None:
    """Count an attempt of `key` as failed *before* its password (or code) is checked, and
    raise Throttled once it is past LOGIN_MAX_FAILURES in the window; a success takes its
    count back (_SUCCEEDED).

    Counting first, in one statement that locks the row, is what holds the limit under
    concurrency: guesses sent at the same moment cannot all pass the check before any of
    them is counted. A throttled attempt is not counted (its transaction rolls back)."""
    cutoff = now - timedelta(seconds=LOGIN_WINDOW_SECONDS)
    failures, started = conn.execute(_FAILED, {"u": key, "now": naive_utc(now), "cutoff": naive_utc(cutoff)}
                                     ).fetchone()  # type: ignore[misc]
    if failures > LOGIN_MAX_FAILURES:
        ends = started.replace(tzinfo=timezone.utc) + timedelta(seconds=LOGIN_WINDOW_SECONDS)
        wait = max(1, math.ceil((ends - now).total_seconds()))
        log.warning("throttled %r (%d failures)", key, failures - 1)
        raise Throttled(f"too many failed attempts; try again in {wait} s",
                        headers={"Retry-After": str(wait)}, retry_after=wait)


# A success was counted as a failure by _count_attempt: take it back. A login also starts
# its username afresh (reset); the teacher code's row is shared by everyone who registers.
_SUCCEEDED = """
UPDATE server_login_failures SET failures = CASE WHEN %(reset)s THEN 0 ELSE greatest(failures - 1, 0) END,
  total_failures = greatest(total_failures - 1, 0)
WHERE username = %(u)s
"""

_FAILED = """
INSERT INTO server_login_failures (username, failures, window_started_at, total_failures)
VALUES (%(u)s, 1, %(now)s, 1)
ON CONFLICT (username) DO UPDATE SET
  failures = CASE WHEN server_login_failures.window_started_at < %(cutoff)s OR server_login_failures.failures = 0
                  THEN 1 ELSE server_login_failures.failures + 1 END,
  window_started_at = CASE WHEN server_login_failures.window_started_at < %(cutoff)s
                           OR server_login_failures.failures = 0
                           THEN %(now)s ELSE server_login_failures.window_started_at END,
  total_failures = server_login_failures.total_failures + 1
RETURNING failures, window_started_at
"""
