"""An in-memory sync server and transport, for fast client tests (no HTTP, no PostgreSQL).

`FakeServer` follows docs/sync-protocol.md in the respects the client depends on: accounts
and tokens (expiry), all-or-nothing pushes with named rejections, op-id idempotency,
latest-wins per field, append-only attempts, owner checks, unique profile/plan per owner,
a compacted change log with a monotonically increasing seq, scoped pulls and summaries.
The real server is tested against real PostgreSQL in the integration tests; this fake
keeps the client's unit tests in milliseconds. `FakeTransport` adds fault injection: the
server being down, and a reply lost after the server committed.

Not thread-safe: one test thread.
"""
from __future__ import annotations

import copy
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from desktop_app.db.hlc import is_stamp
from desktop_app.db.ids import new_id
from desktop_app.db.models import SYNCED_MODELS
from desktop_app.db.serialize import content_fields, from_wire
from sync_client.errors import (AccountConflict, AuthRequired, InvalidCredentials, OpsRejected, Rejection,
                                ServerUnreachable)
from sync_client.transport import Account, Login, PullPage, PushResult, Summary

OWNER = {"question_attempts": "student_id", "student_profiles": "user_id", "study_plans": "student_id"}
SYLLABUS = ("topics", "topic_prerequisites", "concepts", "questions")


@dataclass
class _Row:
    values: dict[str, Any]
    stamps: dict[str, str] = field(default_factory=dict)


class FakeServer:
    def __init__(self) -> None:
        self.users: dict[str, dict[str, str]] = {}  # id -> username, password, role
        self.tokens: dict[str, str] = {}  # token -> user id
        self.expired: set[str] = set()
        self.rows: dict[str, dict[str, _Row]] = {t: {} for t in SYNCED_MODELS}
        self.log: dict[tuple[str, str], int] = {}  # compacted: (table, row id) -> seq
        self.seq = 0
        self.seen: dict[str, set[str]] = {}  # user id -> op ids
        self.applied_ops = 0  # ops that changed something (tests count duplicates with it)

    # --- setup helpers for tests -----------------------------------------------------------
    def seed(self, table: str, row_id: str, values: dict[str, Any], stamp: str) -> None:
        """Store a syllabus row as if a teacher had pushed it."""
        self.rows[table][row_id] = _Row(dict(values), {k: stamp for k in values})
        self._record(table, row_id)

    def expire_tokens(self) -> None:
        self.expired.update(self.tokens)

    # --- endpoints ---------------------------------------------------------------------------
    def register(self, username: str, password: str, role: str, user_id: str | None) -> Account:
        if any(u["username"] == username for u in self.users.values()):
            raise AccountConflict("this username is taken", code="username_taken")
        uid = user_id or new_id()
        if uid in self.users:
            raise AccountConflict("an account with this user_id exists", code="user_id_taken")
        self.users[uid] = {"username": username, "password": password, "role": role}
        return Account(user_id=uid, username=username, role=role)

    def login(self, username: str, password: str) -> Login:
        for uid, user in self.users.items():
            if user["username"] == username and user["password"] == password:
                token = secrets.token_urlsafe(16)
                self.tokens[token] = uid
                return Login(token=token, user_id=uid, role=user["role"], expires_at=None)
        raise InvalidCredentials("wrong username or password")

    def caller(self, token: str) -> str:
        if token in self.expired:
            raise AuthRequired("this token has expired; sign in again", code="token_expired")
        if token not in self.tokens:
            raise AuthRequired("this token is not valid; sign in again")
        return self.tokens[token]

    def push(self, token: str, ops: list[dict[str, Any]]) -> PushResult:
        uid = self.caller(token)
        seen = self.seen.setdefault(uid, set())
        fresh = [op for op in ops if op["op_id"] not in seen]
        rows = copy.deepcopy({t: {op["row_id"]: self.rows[t][op["row_id"]] for op in fresh
                                  if op["table"] == t and op["row_id"] in self.rows[t]} for t in self.rows})
        rejected: list[Rejection] = []
        changed: set[tuple[str, str]] = set()
        for op in fresh:
            problem = self._check(uid, op, rows)
            if problem:
                rejected.append(Rejection(op["op_id"], *problem))
                continue
            values = from_wire(SYNCED_MODELS[op["table"]], op["payload"])
            row = rows[op["table"]].setdefault(op["row_id"], _Row({}))
            if op["table"] == "question_attempts" and row.stamps:
                continue
            for name, value in values.items():
                if op["hlc"] > row.stamps.get(name, ""):
                    row.values[name], row.stamps[name] = value, op["hlc"]
                    changed.add((op["table"], op["row_id"]))
        rejected += self._unique_clashes(rows, changed, fresh)
        if rejected:
            raise OpsRejected(rejected)
        for table, row_id in sorted(changed, key=lambda k: list(SYNCED_MODELS).index(k[0])):
            self.rows[table][row_id] = rows[table][row_id]
            self._record(table, row_id)
        seen.update(op["op_id"] for op in fresh)
        self.applied_ops += sum(1 for op in fresh if (op["table"], op["row_id"]) in changed)
        return PushResult(acknowledged=[op["op_id"] for op in ops], cursor=self.seq)

    def pull(self, token: str, after: int, limit: int, skip_device: str | None = None,
             with_summary: bool = False) -> PullPage:
        uid = self.caller(token)
        visible = sorted((seq, t, r) for (t, r), seq in self.log.items() if seq > int(after) and self._sees(uid, t, r))
        page = visible[:limit]
        changes = []
        for seq, table, row_id in page:
            row = self.rows[table][row_id]
            if skip_device and table == "question_attempts" and row.values.get("device_id") == skip_device:
                continue  # as the real server: the device holds its own attempts already
            model = SYNCED_MODELS[table]
            fields = {n: _wire(row.values.get(n)) for n in content_fields(model)}
            changes.append({"seq": seq, "table": table, "row_id": row_id, "fields": fields,
                            "stamps": dict(row.stamps), "hlc": max(row.stamps.values(), default=""),
                            "deleted": bool(row.values.get("deleted"))})
        next_cursor = page[-1][0] if page else int(after)
        more = len(visible) > limit
        return PullPage(changes=changes, next_cursor=next_cursor, has_more=more,
                        summary=self.summary(token) if with_summary and not more else None)

    def summary(self, token: str) -> Summary:
        uid = self.caller(token)
        counts = {t: sum(1 for r_id, row in rows.items() if not row.values.get("deleted") and self._sees(uid, t, r_id))
                  for t, rows in self.rows.items()}
        return Summary(counts=counts, cursor=self.seq)

    # --- rules -------------------------------------------------------------------------------
    def _sees(self, uid: str, table: str, row_id: str) -> bool:
        if table in SYLLABUS:
            return True
        if table == "classes":
            return False
        return self.rows[table][row_id].values.get(OWNER[table]) == uid

    def _check(self, uid: str, op: dict[str, Any], rows: dict[str, dict[str, _Row]]) -> tuple[str, str] | None:
        table = op["table"]
        if table not in SYNCED_MODELS:
            return "unknown_table", f"{table!r} is not a synced table"
        if not is_stamp(op["hlc"]):
            return "bad_stamp", "not a clock stamp"
        if table not in OWNER:
            return "forbidden", f"only teachers may write {table}"
        if table == "question_attempts" and op["operation"] != "insert":
            return "append_only", "question attempts are never updated or deleted"
        try:
            values = from_wire(SYNCED_MODELS[table], op["payload"])
        except ValueError as exc:
            return "invalid_field", str(exc)
        owner = OWNER[table]
        stored = rows[table].get(op["row_id"])
        if stored and stored.values.get(owner) not in (None, uid):
            return "forbidden", "this row belongs to another user"
        if owner in values and values[owner] != uid:
            return "forbidden", f"{table}.{owner} must be your own user id"
        if table == "question_attempts" and "question_id" in values and values["question_id"] not in self.rows["questions"]:
            return "unknown_reference", "no such question"
        return None

    def _unique_clashes(self, rows: dict[str, dict[str, _Row]], changed: set[tuple[str, str]],
                        ops: list[dict[str, Any]]) -> list[Rejection]:
        out = []
        for table in ("student_profiles", "study_plans"):
            owner = OWNER[table]
            holders = {r.values.get(owner): i for i, r in self.rows[table].items()}
            for t, row_id in changed:
                if t == table:
                    other = holders.get(rows[t][row_id].values.get(owner))
                    if other is not None and other != row_id:
                        out += [Rejection(op["op_id"], "unique_violation", f"{table}.{owner} is already used by row {other}")
                                for op in ops if op["table"] == t and op["row_id"] == row_id]
        return out

    def _record(self, table: str, row_id: str) -> None:
        self.seq += 1
        self.log[(table, row_id)] = self.seq


def _wire(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


class FakeTransport:
    """A Transport onto a FakeServer. Faults: `down` (nothing gets through) and
    `lose_push_replies` (the next n pushes are applied by the server, then the reply is lost)."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.down = False
        self.lose_push_replies = 0
        self.calls: list[str] = []
        self.on_call: Callable[[str], None] | None = None
        self._pushing = threading.Lock()

    def _enter(self, name: str) -> None:
        self.calls.append(name)
        if self.on_call:
            self.on_call(name)
        if self.down:
            raise ServerUnreachable("cannot reach the fake server: ConnectionError")

    def register(self, *, username: str, password: str, role: str, user_id: str | None,
                 teacher_code: str | None = None) -> Account:
        self._enter("register")  # the fake server has no teacher code: it trusts the role
        return self.server.register(username, password, role, user_id)

    def login(self, *, username: str, password: str, device_id: str) -> Login:
        self._enter("login")
        return self.server.login(username, password)

    def logout(self, token: str) -> None:
        self._enter("logout")
        self.server.tokens.pop(token, None)

    def push(self, token: str, *, device_id: str, ops: list[dict[str, Any]]) -> PushResult:
        with self._pushing:  # two batches may be sent at once (engine.push); one is stored at a time
            self._enter("push")
            result = self.server.push(token, copy.deepcopy(ops))
            if self.lose_push_replies:
                self.lose_push_replies -= 1
                raise ServerUnreachable("connection reset after the request was sent")
            return result

    def pull(self, token: str, *, after: Any, limit: int, skip_device: str | None = None,
             with_summary: bool = False) -> PullPage:
        self._enter("pull")
        return self.server.pull(token, after, limit, skip_device, with_summary)

    def summary(self, token: str) -> Summary:
        self._enter("summary")
        return self.server.summary(token)

    def join_class(self, token: str, join_code: str) -> dict[str, Any]:
        self._enter("join_class")
        raise NotImplementedError("classes are not modelled by the fake server")
