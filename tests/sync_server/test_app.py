"""The HTTP edge: protocol version, size caps, malformed requests, errors always JSON."""
from __future__ import annotations

import json
import socket
from collections.abc import Callable
from urllib.parse import urlparse

import requests

from tests.sync_server.conftest import HEADERS, Server, User


def _error(r: requests.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["error"] == code and body["message"], body
    return body


def test_health_needs_neither_token_nor_version(server: Server) -> None:
    r = requests.get(server.api("/health"), timeout=5)
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_missing_or_older_protocol_version_is_told_to_update(server: Server) -> None:
    for headers in ({}, {"X-Protocol-Version": "0"}):
        body = _error(requests.post(server.api("/auth/login"), json={}, headers=headers, timeout=5),
                      426, "upgrade_required")
        assert "update" in body["message"] and body["supported"] == 1


def test_newer_or_garbage_protocol_version_is_a_bad_request(server: Server) -> None:
    _error(requests.get(server.api("/sync/pull"), headers={"X-Protocol-Version": "2"}, timeout=5),
           400, "unsupported_protocol_version")
    _error(requests.get(server.api("/sync/pull"), headers={"X-Protocol-Version": "one"}, timeout=5),
           400, "bad_protocol_version")


def test_the_version_is_checked_before_the_token(server: Server) -> None:
    _error(requests.get(server.api("/sync/pull"), headers={"Authorization": "Bearer nope"}, timeout=5),
           426, "upgrade_required")


def test_an_oversized_body_is_refused_before_parsing(server: Server, provision: Callable[..., User]) -> None:
    user = provision()
    big = b'{"device_id": "d", "ops": [], "pad": "' + b"x" * (6 * 1024 * 1024) + b'"}'
    r = user.http.post(server.api("/sync/push"), data=big, headers={"Content-Type": "application/json"}, timeout=30)
    assert _error(r, 413, "body_too_large")["limit"] == 5 * 1024 * 1024


def test_an_oversized_chunked_body_is_refused_too(server: Server, provision: Callable[..., User]) -> None:
    user = provision()

    def chunks():  # no Content-Length: the server counts as it reads
        yield b'{"device_id": "d", "ops": [], "pad": "'
        for _ in range(7):
            yield b"x" * (1024 * 1024)
        yield b'"}'

    r = user.http.post(server.api("/sync/push"), data=chunks(), headers={"Content-Type": "application/json"},
                       timeout=30)
    _error(r, 413, "body_too_large")


def test_too_many_ops_is_refused_with_the_limit(server: Server, provision: Callable[..., User]) -> None:
    user = provision()
    ops = [user.op("question_attempts", f"00000000-0000-7000-8000-{i:012d}", {}) for i in range(1001)]
    assert _error(user.push(ops), 413, "too_many_ops")["limit"] == 1000


def test_malformed_json_is_a_bad_request(server: Server, provision: Callable[..., User]) -> None:
    user = provision()
    for raw in (b'{"device_id": "d", "ops": [', b"\xff\xfe", b"", b"null"):
        r = user.http.post(server.api("/sync/push"), data=raw, headers={"Content-Type": "application/json"},
                           timeout=5)
        assert r.status_code in (400, 422), (raw, r.status_code, r.text)
        assert r.json()["error"] in ("malformed_json", "validation_error")
    r = user.http.post(server.api("/sync/push"), data=b'{"device_id": "d", "ops": [', timeout=5,
                       headers={"Content-Type": "application/json"})
    _error(r, 400, "malformed_json")


def test_schema_violations_name_the_field(server: Server, provision: Callable[..., User]) -> None:
    user = provision()
    r = user.post("/sync/push", {"device_id": "d", "ops": [{"op_id": "not-a-uuid"}]})
    body = _error(r, 422, "validation_error")
    assert any(d["loc"][:3] == ["body", "ops", 0] for d in body["details"])
    _error(user.get("/sync/pull", params={"limit": 5000}), 422, "validation_error")
    _error(user.get("/sync/pull", params={"after": -1}), 422, "validation_error")


def test_unknown_routes_and_methods_answer_json(server: Server) -> None:
    _error(requests.get(server.api("/nope"), headers=HEADERS, timeout=5), 404, "not_found")
    _error(requests.delete(server.api("/sync/push"), headers=HEADERS, timeout=5), 405, "method_not_allowed")


def test_a_raw_garbage_request_does_not_break_the_server(server: Server) -> None:
    url = urlparse(server.url)
    with socket.create_connection((url.hostname, url.port), timeout=5) as s:
        s.sendall(b"\x16\x03\x01 definitely not http\r\n\r\n")
        s.recv(1024)
    assert requests.get(server.api("/health"), timeout=5).status_code == 200


def test_the_openapi_document_describes_every_endpoint(server: Server) -> None:
    doc = requests.get(f"{server.url}/openapi.json", timeout=5).json()
    assert set(doc["paths"]) == {f"/api/v1{p}" for p in (
        "/health", "/auth/register", "/auth/login", "/auth/logout", "/sync/push", "/sync/pull", "/sync/summary",
        "/classes", "/classes/{class_id}", "/classes/join", "/classes/{class_id}/mastery")}
    push = doc["paths"]["/api/v1/sync/push"]["post"]
    assert {"413", "422", "426", "401"} <= set(push["responses"])
    assert json.dumps(doc).count("X-Protocol-Version") >= 9


def test_an_unreachable_database_is_a_503_not_a_crash() -> None:
    import threading
    import time

    import uvicorn

    from sync_server.app import create_app
    from sync_server.config import ServerConfig
    from tests.sync_server.conftest import free_port

    port = free_port()
    app = create_app(ServerConfig(db_url=f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        for _ in range(100):
            try:
                requests.get(base + "/health", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        assert requests.get(base + "/health", timeout=5).status_code == 200
        r = requests.get(base + "/sync/pull", headers={**HEADERS, "Authorization": "Bearer x"}, timeout=10)
        _error(r, 503, "database_unavailable")
        # The push, which ProtocolGate answers without FastAPI, answers errors the same way.
        r = requests.post(base + "/sync/push", headers={**HEADERS, "Authorization": "Bearer x"}, timeout=10,
                          json={"device_id": "d", "ops": []})
        _error(r, 503, "database_unavailable")
    finally:
        server.should_exit = True
        thread.join(10)


def test_hostile_strings_get_a_4xx_never_a_500(server: Server, provision: Callable[..., User]) -> None:
    user = provision()
    op = user.attempt("00000000-0000-5000-8000-000000000000")
    raw_bodies = {
        "/auth/register": '{"username": "ab\\ud800cd", "password": "long enough password"}',
        "/auth/login": '{"username": "x\\u0000", "password": "p", "device_id": "d"}',
        "/classes/join": '{"join_code": "\\ud800"}',
        "/sync/push": json.dumps({"device_id": "d", "ops": [{**op, "payload": {"x": 1}}]}).replace('"x"', '"\\ud800"'),
    }
    for path, raw in raw_bodies.items():
        r = user.http.post(server.api(path), data=raw.encode(), headers={"Content-Type": "application/json"},
                           timeout=10)
        assert 400 <= r.status_code < 500, (path, r.status_code, r.text)
        assert r.json()["error"], path
    for hlc in ("000000000000001:000000:\x00", "000000000000001:000000:\ud800"):
        r = user.http.post(server.api("/sync/push"), timeout=10, headers={"Content-Type": "application/json"},
                           data=json.dumps({"device_id": "d", "ops": [{**op, "hlc": hlc}]}).encode())
        assert r.status_code in (400, 422), (hlc, r.text)
    nul = {**op, "payload": {**op["payload"], "answer": "a\x00b"}}
    r = user.push([nul])
    assert r.status_code == 422 and r.json()["rejected"][0]["code"] == "invalid_field"


def test_the_gate_answers_its_direct_requests_itself_and_their_errors_as_every_route_does() -> None:
    import asyncio

    from fastapi.responses import Response

    from sync_server.app import ProtocolGate
    from sync_server.errors import Unauthorized

    inner: list[str] = []

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]  # the framework
        inner.append(scope["path"])
        await Response(b"framework")(scope, receive, send)

    async def direct(headers: list[tuple[bytes, bytes]], body: bytes) -> Response:
        if body == b"bug":
            raise RuntimeError("a bug")
        if body == b"refuse":
            raise Unauthorized("sign in first")
        return Response(b"direct:" + body)

    gate = ProtocolGate(app, direct={("POST", "/api/v1/sync/push"): direct})

    def call(method: str, body: bytes) -> tuple[int, bytes]:
        sent: list[dict] = []

        async def receive() -> dict:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict) -> None:
            sent.append(message)

        scope = {"type": "http", "method": method, "path": "/api/v1/sync/push",
                 "headers": [(b"x-protocol-version", b"1")]}
        asyncio.run(gate(scope, receive, send))
        return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])

    assert call("POST", b"ops") == (200, b"direct:ops")
    status, body = call("POST", b"refuse")
    assert status == 401 and json.loads(body)["error"] == "unauthorized"
    status, body = call("POST", b"bug")
    assert status == 500 and json.loads(body)["error"] == "internal_error"
    assert inner == []  # none of these reached the framework
    assert call("GET", b"") == (200, b"framework")  # other methods go on to it
    assert inner == ["/api/v1/sync/push"]
