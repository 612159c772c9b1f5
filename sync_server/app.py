"""The FastAPI application: routes, the protocol gate, and errors as JSON.

Contract of every response that is not a success: a JSON body {"error": <machine code>,
"message": <human text>, ...}. Malformed, oversized, unauthorised or out-of-date requests
get a 4xx and change nothing; a 5xx means the server or its database is broken (503 when
PostgreSQL is unreachable or too busy, 500 for a bug, logged).
"""
from __future__ import annotations

import gc
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
import psycopg
import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from sync_server.auth import HASH_CONCURRENCY, Accounts
from sync_server.config import MAX_BODY_BYTES, MAX_OPS_PER_PUSH, PROTOCOL_VERSION, ServerConfig
from sync_server.db import Database
from sync_server.errors import ApiError
from sync_server.routes import auth as auth_routes
from sync_server.routes import classes as class_routes
from sync_server.routes import health as health_routes
from sync_server.routes import sync as sync_routes
from sync_server.routes.common import bearer_of

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"
UNGATED = {API_PREFIX + "/health"}
PUSH_PATH = API_PREFIX + "/sync/push"


class ErrorResponse(JSONResponse):
    """Error bodies are ASCII JSON: a message may quote client input (a field name, a value)
    that is not valid Unicode, and an error must never fail to render."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":"), default=str).encode("ascii")


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None,
           **extra: Any) -> JSONResponse:
    return ErrorResponse({"error": code, "message": message, **extra}, status_code=status, headers=headers)


def _version_problem(raw: bytes | None) -> JSONResponse | None:
    if raw is None:
        return _error(426, "upgrade_required", "This app is too old for the server (no X-Protocol-Version): "
                      "please update Adaptive Learning.", supported=PROTOCOL_VERSION)
    try:
        version = int(raw.decode("latin-1").strip())
    except ValueError:
        return _error(400, "bad_protocol_version", "X-Protocol-Version must be an integer.",
                      supported=PROTOCOL_VERSION)
    if version < PROTOCOL_VERSION:
        return _error(426, "upgrade_required", f"This app speaks protocol {version}, the server needs "
                      f"{PROTOCOL_VERSION}: please update Adaptive Learning.", supported=PROTOCOL_VERSION)
    if version > PROTOCOL_VERSION:
        return _error(400, "unsupported_protocol_version", f"The server speaks protocol {PROTOCOL_VERSION} "
                      f"only; it needs updating.", supported=PROTOCOL_VERSION)
    return None


# A request the gate answers itself: (its headers, its body) -> the response.
Direct = Callable[[list[tuple[bytes, bytes]], bytes], Awaitable[Response]]


class ProtocolGate:
    """ASGI middleware: the protocol-version header, then the body-size cap (413), then the
    requests it answers without the framework (`direct`, by method and path).

    The body is read fully (at most max_body bytes) before the app sees it, so an oversized
    request is refused before any parsing or database work.

    POST /sync/push is nearly every request a server gets. Answered here, it skips FastAPI's
    layers (its middleware stack, routing, dependencies, the Request object): 5-8% less
    server CPU per op under load (bench/server_load.py). The route stays in FastAPI (for
    the documentation; it calls the same routes.sync.push_response), and errors are
    answered by the same error_response as every other route's.
    """

    def __init__(self, app: ASGIApp, *, max_body: int = MAX_BODY_BYTES,
                 direct: dict[tuple[str, str], Direct] | None = None) -> None:
        self.app, self.max_body, self.direct = app, max_body, direct or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        path = scope["path"]
        if path.startswith("/api/") and path not in UNGATED:
            problem = _version_problem(headers.get(b"x-protocol-version"))
            if problem is not None:
                await problem(scope, receive, send)
                return
        too_large = _error(413, "body_too_large", f"Request bodies are limited to {self.max_body} bytes.",
                           limit=self.max_body)
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await too_large(scope, receive, send)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await too_large(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body, replayed = b"".join(chunks), False
        direct = self.direct.get((scope["method"], path))
        if direct is not None:
            try:
                response = await direct(scope["headers"], body)
            except Exception as exc:  # noqa: BLE001 - every error is answered, as FastAPI would
                response = error_response(exc)
            await response(scope, receive, send)
            return

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _validation_response(exc: RequestValidationError) -> JSONResponse:
    details = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
               for e in exc.errors()]
    if any(d["type"] == "json_invalid" for d in details):
        return _error(400, "malformed_json", "The request body is not valid JSON.", details=details)
    if any(d["loc"] == ["body", "ops"] and d["type"] == "too_long" for d in details):
        return _error(413, "too_many_ops", f"At most {MAX_OPS_PER_PUSH} ops per push; send smaller batches.",
                      limit=MAX_OPS_PER_PUSH)
    first = details[0] if details else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"])
    return _error(422, "validation_error", f"{where}: {first['msg']}", details=details)


def error_response(exc: Exception) -> Response:
    """The answer to an error raised while handling a request (every route, and the requests
    ProtocolGate answers itself): ApiError as itself, invalid bodies as 400/413/422, an
    unreachable or saturated database as 503, anything else as a logged 500."""
    if isinstance(exc, ApiError):
        return ErrorResponse(exc.body(), status_code=exc.status, headers=exc.headers or None)
    if isinstance(exc, RequestValidationError):
        return _validation_response(exc)
    if isinstance(exc, StarletteHTTPException):
        codes = {404: "not_found", 405: "method_not_allowed"}
        return _error(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail),
                      headers=getattr(exc, "headers", None))
    # psycopg raises its own error on a lost connection; SQLAlchemy's pool wraps a failed connect.
    if isinstance(exc, (psycopg.OperationalError, sqlalchemy.exc.OperationalError)):
        log.error("database unavailable: %s", exc)
        return _error(503, "database_unavailable", "The server's database is unavailable; retry later.")
    if isinstance(exc, sqlalchemy.exc.TimeoutError):
        log.warning("no database connection free: %s", exc)
        return _error(503, "busy", "The server is busy; retry shortly.")
    log.exception("unhandled error", exc_info=exc)
    return _error(500, "internal_error", "Something went wrong on the server; it has been logged.")


def create_app(config: ServerConfig, *, db: Database | None = None) -> FastAPI:
    """The application for `config` (an existing Database may be passed in; it is then not
    disposed on shutdown). The schema must already be migrated (see __main__)."""
    own_db = db is None
    database = db or Database(config.db_url, pool_size=config.pool_size)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Request handlers run in anyio's thread pool (40 threads by default). More threads
        # than pooled connections only queue for a connection while contending for the GIL.
        # A few more for logins waiting on the argon2 semaphore (auth.HASH_CONCURRENCY).
        anyio.to_thread.current_default_thread_limiter().total_tokens = config.pool_size + 2 * HASH_CONCURRENCY
        await anyio.to_thread.run_sync(database.warm)
        yield
        if own_db:
            database.dispose()

    app = FastAPI(title="Adaptive Learning sync server", version=f"{PROTOCOL_VERSION}",
                  description="Protocol: docs/sync-protocol.md", lifespan=lifespan)
    app.state.db = database
    app.state.accounts = Accounts(database, token_ttl_days=config.token_ttl_days, teacher_code=config.teacher_code)

    async def handle(_: Request, exc: Exception) -> Response:
        return error_response(exc)

    for kind in (ApiError, RequestValidationError, StarletteHTTPException, psycopg.OperationalError,
                 sqlalchemy.exc.OperationalError, sqlalchemy.exc.TimeoutError, Exception):
        app.add_exception_handler(kind, handle)

    for module in (health_routes, auth_routes, sync_routes, class_routes):
        app.include_router(module.router, prefix=API_PREFIX)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            sync_routes.add_schemas(generate())
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
    async def push(headers: list[tuple[bytes, bytes]], body: bytes) -> Response:
        authorization = next((v.decode("latin-1") for k, v in headers if k == b"authorization"), None)
        return await sync_routes.push_response(database, bearer_of(authorization), body)

    app.add_middleware(ProtocolGate, max_body=MAX_BODY_BYTES, direct={("POST", PUSH_PATH): push})
    return app


# A push allocates thousands of small containers (ops, payloads, records), so with Python's
# default threshold (700) the cyclic collector ran every few hundred ops and walked the
# whole heap of FastAPI, pydantic and SQLAlchemy objects built at start: 5-6% of all CPU
# under load (perf, bench/server_load.py). Request garbage is freed by reference counting;
# the collector only has to find the rare cycle, so it can run 14 times less often.
GC_THRESHOLDS = (10_000, 20, 20)


def app_from_env() -> FastAPI:
    """Factory for uvicorn workers (`--factory`): the config comes from the environment."""
    app = create_app(ServerConfig.from_env())
    gc.freeze()  # what start-up built lives as long as the worker: the collector skips it
    gc.set_threshold(*GC_THRESHOLDS)
    return app

