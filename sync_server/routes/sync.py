"""POST /sync/push, GET /sync/pull, GET /sync/summary.

The token is checked inside the push's (pull's) own transaction: one connection and one
thread-pool hop per request. Bodies are sent as pre-encoded JSON: a push acknowledges up to
1,000 ids and a pull page is rendered by PostgreSQL, so neither goes through response-model
validation again (the models still document them in /openapi.json).
"""
from __future__ import annotations

import json
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from sync_server import pull as pull_logic
from sync_server import push as push_logic
from sync_server.auth import caller_in
from sync_server.config import DEFAULT_PULL_LIMIT, MAX_PULL_LIMIT
from sync_server.db import Database
from sync_server.routes.common import VERSIONED, TokenDep, errors
from sync_server.schemas import DeviceId, PullResponse, PushRequest, PushResponse, SummaryResponse

router = APIRouter(prefix="/sync", tags=["sync"], dependencies=VERSIONED)


def _json(body: bytes) -> Response:
    return Response(content=body, media_type="application/json")


# The push body is parsed and validated in one step by pydantic's own JSON parser (faster than
# FastAPI's json.loads + validation for a thousand ops); the schema is still published.
_PUSH_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/PushRequest"}}}}}


def add_schemas(document: dict[str, Any]) -> None:
    """Put PushRequest (and what it refers to) into an OpenAPI document's components."""
    schema = PushRequest.model_json_schema(ref_template="#/components/schemas/{model}")
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components.update(schema.pop("$defs", {}))
    components["PushRequest"] = schema


async def push_response(db: Database, token: str, raw: bytes) -> Response:
    """The push of `raw` (the request body) under bearer `token`: validated, applied on the
    thread pool, acknowledged. Raises what the app's error handlers answer (app.error_response).
    Reached through the route below, or straight from app.ProtocolGate (the usual way)."""
    try:
        body = PushRequest.model_validate_json(raw)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]) \
            from None
    result = await run_in_threadpool(push_logic.push, db, partial(caller_in, token=token), body.ops)
    return _json(json.dumps({"acknowledged": result.acknowledged, "cursor": result.cursor}).encode())


@router.post("/push", response_model=PushResponse, responses=errors(401, 503), openapi_extra=_PUSH_BODY)
async def push(token: TokenDep, request: Request) -> Response:
    """The documented route. In the server, app.ProtocolGate answers this path before FastAPI
    routes it; the route is what /openapi.json describes, and serves an app without the gate."""
    return await push_response(request.app.state.db, token, await request.body())


@router.get("/pull", response_model=PullResponse, responses=errors(401))
def pull(token: TokenDep, request: Request,
         after: Annotated[int, Query(ge=0, le=2 ** 62, description="Cursor: 0 = from the start.")] = 0,
         limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = DEFAULT_PULL_LIMIT,
         skip_device: Annotated[DeviceId | None, Query(
             description="Leave out attempts recorded by this device (it holds them already).")] = None,
         with_summary: Annotated[bool, Query(
             description="On the last page, add what /sync/summary answers (same snapshot).")] = False) -> Response:
    return _json(pull_logic.pull(request.app.state.db, partial(caller_in, token=token), after=after, limit=limit,
                                 skip_device=skip_device, with_summary=with_summary))


@router.get("/summary", response_model=SummaryResponse, responses=errors(401))
def summary(token: TokenDep, request: Request) -> SummaryResponse:
    return SummaryResponse(**pull_logic.summary(request.app.state.db, partial(caller_in, token=token)))
