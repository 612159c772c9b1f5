"""Every endpoint x every kind of caller: student A, student B, A's teacher, another class's
teacher, no token, an expired token. One table says what each may do."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from sync_server.auth import token_digest
from sync_server.classes import profile_id
from tests.sync_server.conftest import HEADERS, PASSWORD, Server, User, question_ids

WHO = ("student_a", "student_b", "teacher_of_a", "other_teacher", "no_token", "expired")


@dataclass
class World:
    server: Server
    users: dict[str, User]
    class_a: dict[str, str]
    attempt_id: str

    def session(self, who: str) -> requests.Session:
        if who == "no_token":
            s = requests.Session()
            s.headers.update(HEADERS)
            return s
        return self.users[who].http


@pytest.fixture
def world(server: Server, provision: Callable[..., User]) -> World:
    users = {name: provision("teacher" if "teacher" in name else "student")
             for name in ("student_a", "student_b", "teacher_of_a", "other_teacher", "expired")}
    class_a = users["teacher_of_a"].post("/classes", {"name": "A's class"}).json()
    class_o = users["other_teacher"].post("/classes", {"name": "Other class"}).json()
    assert users["student_a"].post("/classes/join", {"join_code": class_a["join_code"]}).status_code == 200
    assert users["student_b"].post("/classes/join", {"join_code": class_o["join_code"]}).status_code == 200
    a = users["student_a"]
    attempt = a.attempt(question_ids(1)[0])
    assert a.push([attempt]).status_code == 200
    server.sql("UPDATE server_tokens SET expires_at = now() AT TIME ZONE 'UTC' - interval '1 second' "
               "WHERE token_hash = %s", (token_digest(users["expired"].token),))
    return World(server, users, class_a, attempt["row_id"])


def _call(world: World, who: str, method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
    return world.session(who).request(method, world.server.api(path), json=body, params=params or None, timeout=30)


UNAUTHORISED = {"no_token": (401, "unauthorized"), "expired": (401, "token_expired")}


def _check(r: requests.Response, who: str, expected: int | tuple[int, str]) -> None:
    status, code = expected if isinstance(expected, tuple) else (expected, None)
    assert r.status_code == status, (who, r.status_code, r.text)
    if code:
        assert r.json()["error"] == code, (who, r.text)


@pytest.mark.parametrize("who", WHO)
def test_push_own_profile_only(world: World, who: str) -> None:
    a = world.users["student_a"]
    writer = world.users.get(who, a)
    op = writer.op("student_profiles", profile_id(a.user_id), {"grade": "12"}, operation="update")
    expected = {"student_a": 200, "student_b": (422, "ops_rejected"), "teacher_of_a": (422, "ops_rejected"),
                "other_teacher": (422, "ops_rejected"), **UNAUTHORISED}[who]
    _check(_call(world, who, "POST", "/sync/push", {"device_id": "d", "ops": [op]}), who, expected)


@pytest.mark.parametrize("who", WHO)
def test_pull_sees_a_students_rows_only_for_them_and_their_teacher(world: World, who: str) -> None:
    r = _call(world, who, "GET", "/sync/pull", limit=1000)
    if who in UNAUTHORISED:
        return _check(r, who, UNAUTHORISED[who])
    assert r.status_code == 200
    changes = r.json()["changes"]
    while r.json()["has_more"]:
        r = _call(world, who, "GET", "/sync/pull", after=r.json()["next_cursor"], limit=1000)
        changes += r.json()["changes"]
    sees = world.attempt_id in {c["row_id"] for c in changes}
    assert sees == (who in ("student_a", "teacher_of_a")), who
    sees_class = world.class_a["class_id"] in {c["row_id"] for c in changes}
    assert sees_class == (who in ("student_a", "teacher_of_a")), who


@pytest.mark.parametrize("who", WHO)
def test_summary_counts_only_visible_rows(world: World, who: str) -> None:
    r = _call(world, who, "GET", "/sync/summary")
    if who in UNAUTHORISED:
        return _check(r, who, UNAUTHORISED[who])
    assert r.json()["counts"]["question_attempts"] == (1 if who in ("student_a", "teacher_of_a") else 0)


@pytest.mark.parametrize("who", WHO)
def test_create_class(world: World, who: str) -> None:
    expected = {"student_a": 403, "student_b": 403, "teacher_of_a": 201, "other_teacher": 201, **UNAUTHORISED}[who]
    _check(_call(world, who, "POST", "/classes", {"name": "New"}), who, expected)


@pytest.mark.parametrize("who", WHO)
def test_list_classes(world: World, who: str) -> None:
    r = _call(world, who, "GET", "/classes")
    expected = {"student_a": 403, "student_b": 403, "teacher_of_a": 200, "other_teacher": 200, **UNAUTHORISED}[who]
    _check(r, who, expected)
    if r.status_code == 200:
        members = {s["user_id"] for c in r.json()["classes"] for s in c["students"]}
        assert (world.users["student_a"].user_id in members) == (who == "teacher_of_a")


@pytest.mark.parametrize("who", WHO)
def test_join_class(world: World, who: str) -> None:
    expected = {"student_a": 200, "student_b": 200, "teacher_of_a": 403, "other_teacher": 403, **UNAUTHORISED}[who]
    _check(_call(world, who, "POST", "/classes/join", {"join_code": world.class_a["join_code"]}), who, expected)


@pytest.mark.parametrize("who", WHO)
def test_class_mastery(world: World, who: str) -> None:
    expected = {"student_a": 403, "student_b": 403, "teacher_of_a": 200, "other_teacher": 403, **UNAUTHORISED}[who]
    _check(_call(world, who, "GET", f"/classes/{world.class_a['class_id']}/mastery"), who, expected)


@pytest.mark.parametrize("who", WHO)
def test_logout(world: World, who: str) -> None:
    expected = {"student_a": 200, "student_b": 200, "teacher_of_a": 200, "other_teacher": 200, **UNAUTHORISED}[who]
    _check(_call(world, who, "POST", "/auth/logout"), who, expected)


@pytest.mark.parametrize("who", WHO)
def test_public_endpoints_ignore_the_token(world: World, who: str) -> None:
    assert _call(world, who, "GET", "/health").status_code == 200
    name = "m" + uuid.uuid4().hex[:10]
    _check(_call(world, who, "POST", "/auth/register", {"username": name, "password": PASSWORD}), who, 201)
    if who == "student_a":  # login once (argon2): the token sent along plays no part
        _check(_call(world, who, "POST", "/auth/login", {"username": name, "password": PASSWORD,
                                                          "device_id": "d"}), who, 200)


@pytest.mark.parametrize("who", WHO)
def test_rename_class(world: World, who: str) -> None:
    expected = {"student_a": 403, "student_b": 403, "teacher_of_a": 200, "other_teacher": 403, **UNAUTHORISED}[who]
    _check(_call(world, who, "PATCH", f"/classes/{world.class_a['class_id']}", {"name": "Renamed"}), who, expected)
    names = {c["name"] for c in world.users["teacher_of_a"].get("/classes").json()["classes"]}
    assert names == ({"Renamed"} if who == "teacher_of_a" else {"A's class"})


@pytest.mark.parametrize("who", WHO)
def test_delete_class(world: World, who: str) -> None:
    expected = {"student_a": 403, "student_b": 403, "teacher_of_a": 200, "other_teacher": 403, **UNAUTHORISED}[who]
    _check(_call(world, who, "DELETE", f"/classes/{world.class_a['class_id']}"), who, expected)
    assert (world.users["teacher_of_a"].get("/classes").json()["classes"] == []) == (who == "teacher_of_a")
