"""GET /api/v1/health: liveness, no authentication and no version header."""
from __future__ import annotations

from fastapi import APIRouter

from sync_server.schemas import StatusResponse

router = APIRouter(tags=["health"])


@router.get("/health", response_model=StatusResponse)
def health() -> StatusResponse:
    return StatusResponse(status="ok")
