"""What every route shares: the bearer token, the documented version header, error entries.

Both dependencies are `async` on purpose: FastAPI runs a plain `def` dependency in the
thread pool, a hop per request; these do no I/O. The token is checked against the database
by the endpoint, inside its own transaction (auth.caller_in).
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Header
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sync_server.errors import Unauthorized
from sync_server.schemas import ErrorBody

_bearer = HTTPBearer(auto_error=False, description="The token from POST /api/v1/auth/login.")


async def protocol_header(
    x_protocol_version: Annotated[Literal["1"], Header(alias="X-Protocol-Version",
                                                       description="Always 1; enforced before routing.")] = "1",
) -> None:
    """Documents the header in the OpenAPI schema; ProtocolGate (app.py) enforces it."""


async def bearer_token(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str:
    if credentials is None:
        raise Unauthorized("sign in first: Authorization: Bearer <token> is missing")
    return credentials.credentials


TokenDep = Annotated[str, Depends(bearer_token)]
VERSIONED = [Depends(protocol_header)]


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for error statuses, plus those every versioned route can return."""
    every = {400, 413, 422, 426}
    return {status: {"model": ErrorBody} for status in sorted(every | set(statuses))}
