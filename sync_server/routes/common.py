"""What every route shares: the bearer token, the documented version header, error entries.

Both dependencies are `async` on purpose: FastAPI runs a plain `def` dependency in the
thread pool, a hop per request; these do no I/O. The token is checked against the database
by the endpoint, inside its own transaction (auth.caller_in).
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from sync_server.errors import Unauthorized
from sync_server.schemas import ErrorBody

_bearer = HTTPBearer(auto_error=False, description="The token from POST /api/v1/auth/login.")


async def protocol_header(
    x_protocol_version: Annotated[Literal["1"], Header(alias="X-Protocol-Version",
                                                       description="Always 1; enforced before routing.")] = "1",
) -> None:
    """Documents the header in the OpenAPI schema; ProtocolGate (app.py) enforces it."""


def bearer_of(authorization: str | None) -> str:
    """The token of an Authorization header, read as HTTPBearer reads it; raises Unauthorized."""
    scheme, credentials = get_authorization_scheme_param(authorization)
    if not (authorization and scheme and credentials) or scheme.lower() != "bearer":
        raise Unauthorized("sign in first: Authorization: Bearer <token> is missing")
    return credentials


async def bearer_token(request: Request,
                       _: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str:
    """HTTPBearer documents the scheme in /openapi.json; bearer_of reads the header, as it
    does for the push that app.ProtocolGate answers itself."""
    return bearer_of(request.headers.get("authorization"))


TokenDep = Annotated[str, Depends(bearer_token)]
VERSIONED = [Depends(protocol_header)]


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for error statuses, plus those every versioned route can return."""
    every = {400, 413, 422, 426}
    return {status: {"model": ErrorBody} for status in sorted(every | set(statuses))}
