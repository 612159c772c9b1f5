"""Accounts and tokens through the real server: register, login, throttling, logout, expiry."""
from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from desktop_app.db.ids import new_id
from sync_server.auth import Accounts, token_digest
from sync_server.db import Database
from sync_server.config import LOGIN_MAX_FAILURES, LOGIN_WINDOW_SECONDS, ServerConfig
from sync_server.errors import Forbidden, Throttled
from tests.sync_server.conftest import HEADERS, PASSWORD, TEACHER_CODE, Server, User


def _post(server: Server, path: str, body: dict, **headers: str) -> requests.Response:
    return requests.post(server.api(path), json=body, headers={**HEADERS, **headers}, timeout=30)


def _name() -> str:
    return "u" + uuid.uuid4().hex[:10]


def test_register_then_login_gives_a_hashed_expiring_token(server: Server) -> None:
    name = _name()
    r = _post(server, "/auth/register", {"username": name, "password": PASSWORD, "role": "teacher",
                                         "teacher_code": TEACHER_CODE})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["username"] == name and created["role"] == "teacher"
    r = _post(server, "/auth/login", {"username": name, "password": PASSWORD, "device_id": "laptop-1"})
    assert r.status_code == 200, r.text
    login = r.json()
    assert login["user_id"] == created["user_id"] and login["role"] == "teacher"
    assert len(login["token"]) >= 43  # 32 random bytes, base64url
    stored = server.sql("SELECT token_hash, device_id, expires_at - created_at FROM server_tokens WHERE user_id = %s",
                        (created["user_id"],))
    assert stored == [(token_digest(login["token"]), "laptop-1", stored[0][2])]
    assert stored[0][2].days == 30
    assert not server.sql("SELECT 1 FROM server_tokens WHERE token_hash = %s", (login["token"],))
    password_hash = server.sql("SELECT password_hash FROM users WHERE id = %s", (created["user_id"],))[0][0]
    assert password_hash.startswith("$argon2id$") and PASSWORD not in password_hash


def test_an_offline_account_keeps_its_id(server: Server) -> None:
    uid = new_id()
    r = _post(server, "/auth/register", {"username": _name(), "password": PASSWORD, "user_id": uid})
    assert r.status_code == 201 and r.json() == {"user_id": uid, "username": r.json()["username"], "role": "student"}


def test_taken_username_or_id_is_a_conflict(server: Server) -> None:
    name, uid = _name(), new_id()
    assert _post(server, "/auth/register", {"username": name, "password": PASSWORD, "user_id": uid}).status_code == 201
    r = _post(server, "/auth/register", {"username": name, "password": PASSWORD})
    assert r.status_code == 409 and r.json()["error"] == "username_taken"
    r = _post(server, "/auth/register", {"username": _name(), "password": PASSWORD, "user_id": uid})
    assert r.status_code == 409 and r.json()["error"] == "user_id_taken"


def test_only_the_teacher_code_makes_a_teacher(server: Server) -> None:
    for code in (None, "", "staff-room-2025", TEACHER_CODE + " "):
        name = _name()
        body = {"username": name, "password": PASSWORD, "role": "teacher",
                **({"teacher_code": code} if code is not None else {})}
        r = _post(server, "/auth/register", body)
        assert r.status_code == 403 and r.json()["error"] == "teacher_code_required", (code, r.text)
        assert "teacher code" in r.json()["message"]
        assert server.sql("SELECT count(*) FROM users WHERE username = %s", (name,)) == [(0,)]  # nothing made
    # A student needs no code, and a code does not change what a student is.
    r = _post(server, "/auth/register", {"username": _name(), "password": PASSWORD, "teacher_code": TEACHER_CODE})
    assert r.status_code == 201 and r.json()["role"] == "student"


def test_a_server_without_a_teacher_code_makes_no_teachers(db: Database) -> None:
    accounts = Accounts(db, token_ttl_days=1)  # started without the setting
    with pytest.raises(Forbidden):
        accounts.register(username=_name(), password=PASSWORD, role="teacher", user_id=None, teacher_code="")
    assert accounts.register(username=_name(), password=PASSWORD, role="student", user_id=None)["role"] == "student"


def test_wrong_teacher_codes_are_throttled_like_failed_logins(db: Database) -> None:
    accounts = Accounts(db, token_ttl_days=1, teacher_code=TEACHER_CODE)
    for guess in range(LOGIN_MAX_FAILURES):
        with pytest.raises(Forbidden):
            accounts.register(username=_name(), password=PASSWORD, role="teacher", user_id=None,
                              teacher_code=f"guess-{guess:08d}")
    with pytest.raises(Throttled) as throttled:  # even the right code waits out the window now
        accounts.register(username=_name(), password=PASSWORD, role="teacher", user_id=None, teacher_code=TEACHER_CODE)
    assert 0 < throttled.value.extra["retry_after"] <= LOGIN_WINDOW_SECONDS
    # Students are not held up by it.
    assert accounts.register(username=_name(), password=PASSWORD, role="student", user_id=None)["role"] == "student"


def test_a_short_teacher_code_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="TEACHER_CODE"):
        ServerConfig.from_env({}, db_url="postgresql://x@h/db", teacher_code="1234")


def test_registration_is_validated(server: Server) -> None:
    for body in ({"username": "ab", "password": PASSWORD}, {"username": _name(), "password": "short"},
                 {"username": _name(), "password": PASSWORD, "role": "admin"},
                 {"username": "bad name!", "password": PASSWORD},
                 {"username": _name(), "password": PASSWORD, "user_id": "NOT-A-UUID"}):
        r = _post(server, "/auth/register", body)
        assert r.status_code == 422 and r.json()["error"] == "validation_error", (body, r.text)


def test_wrong_username_and_wrong_password_look_the_same(server: Server, provision: Callable[..., User]) -> None:
    user = provision()
    times: dict[str, list[float]] = {"user": [], "nobody": []}
    answers = []
    for _ in range(2):
        for who, name in (("user", user.username), ("nobody", _name())):
            start = time.perf_counter()
            r = _post(server, "/auth/login", {"username": name, "password": "wrong password", "device_id": "d"})
            times[who].append(time.perf_counter() - start)
            answers.append((r.status_code, r.json()["error"], r.json()["message"]))
    assert len(set(answers)) == 1 and answers[0][:2] == (401, "invalid_credentials")
    # An unknown user costs an argon2 verification too (a dummy hash): no fast "no such user".
    ratio = statistics.median(times["nobody"]) / statistics.median(times["user"])
    assert 0.3 < ratio < 3.0, times


def test_failed_logins_are_throttled_per_username(server: Server, provision: Callable[..., User]) -> None:
    user, other = provision(), provision()
    for _ in range(5):
        r = _post(server, "/auth/login", {"username": user.username, "password": "nope", "device_id": "d"})
        assert r.status_code == 401
    r = _post(server, "/auth/login", {"username": user.username, "password": PASSWORD, "device_id": "d"})
    assert r.status_code == 429 and r.json()["error"] == "too_many_attempts"
    assert 0 < int(r.headers["Retry-After"]) <= 15 * 60 and r.json()["retry_after"] == int(r.headers["Retry-After"])
    assert server.sql("SELECT failures, total_failures FROM server_login_failures WHERE username = %s",
                      (user.username,)) == [(5, 5)]
    # Another account is not affected.
    r = _post(server, "/auth/login", {"username": other.username, "password": PASSWORD, "device_id": "d"})
    assert r.status_code == 200
    # After the window the user may try again (window moved back in time here).
    server.sql("UPDATE server_login_failures SET window_started_at = window_started_at - interval '16 minutes' "
               "WHERE username = %s", (user.username,))
    r = _post(server, "/auth/login", {"username": user.username, "password": PASSWORD, "device_id": "d"})
    assert r.status_code == 200


def test_guesses_sent_at_once_get_no_more_tries_than_guesses_sent_one_by_one(
        server: Server, provision: Callable[..., User]) -> None:
    """Every guess is counted before its password is checked: a burst cannot slip past the
    limit while the first guesses are still being verified."""
    user = provision()
    body = {"username": user.username, "password": "guess", "device_id": "d"}
    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = sorted(r.status_code for r in pool.map(lambda _: _post(server, "/auth/login", body), range(16)))
    assert codes == [401] * LOGIN_MAX_FAILURES + [429] * (16 - LOGIN_MAX_FAILURES)
    assert server.sql("SELECT failures, total_failures FROM server_login_failures WHERE username = %s",
                      (user.username,)) == [(LOGIN_MAX_FAILURES, LOGIN_MAX_FAILURES)]


def test_a_successful_login_is_not_counted_as_a_failure(server: Server, provision: Callable[..., User]) -> None:
    user = provision()
    assert _post(server, "/auth/login", {"username": user.username, "password": "nope", "device_id": "d"}
                 ).status_code == 401
    assert _post(server, "/auth/login", {"username": user.username, "password": PASSWORD, "device_id": "d"}
                 ).status_code == 200
    assert server.sql("SELECT failures, total_failures FROM server_login_failures WHERE username = %s",
                      (user.username,)) == [(0, 1)]


def test_logout_revokes_the_token(server: Server, provision: Callable[..., User]) -> None:
    user = provision()
    assert user.get("/sync/summary").status_code == 200
    r = user.post("/auth/logout")
    assert r.status_code == 200 and r.json() == {"status": "logged_out"}
    r = user.get("/sync/summary")
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"


def test_an_expired_token_says_so(server: Server, provision: Callable[..., User]) -> None:
    user = provision()
    server.sql("UPDATE server_tokens SET expires_at = now() AT TIME ZONE 'UTC' - interval '1 minute' "
               "WHERE token_hash = %s", (token_digest(user.token),))
    for r in (user.get("/sync/pull"), user.push([]), user.get("/classes")):
        assert r.status_code == 401 and r.json()["error"] == "token_expired", r.text


def test_missing_or_forged_tokens_are_unauthorized(server: Server) -> None:
    for headers in ({}, {"Authorization": "Bearer forged"}, {"Authorization": "Basic dXNlcjpwYXNz"},
                    {"Authorization": "Bearer " + "x" * 600}):
        r = requests.get(server.api("/sync/pull"), headers={**HEADERS, **headers}, timeout=5)
        assert r.status_code == 401 and r.json()["error"] == "unauthorized", (headers, r.text)
