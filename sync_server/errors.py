"""Errors the protocol logic raises; app.py turns each into its HTTP status and JSON body.

Every error carries a machine code (stable, documented in docs/sync-protocol.md), a human
message, and optional extra fields that go into the body beside them.
"""
from __future__ import annotations

from typing import Any


class ApiError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.extra}


class BadRequest(ApiError):
    status, code = 400, "bad_request"


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "conflict"


class TooLarge(ApiError):
    status, code = 413, "too_large"


class Invalid(ApiError):
    status, code = 422, "validation_error"


class UpgradeRequired(ApiError):
    status, code = 426, "upgrade_required"


class Throttled(ApiError):
    status, code = 429, "too_many_attempts"


class Busy(ApiError):
    """The database kept failing with transient errors (deadlocks, races) after retries."""

    status, code = 503, "busy"


class OpsRejected(Invalid):
    """Some ops of a push were rejected; nothing of the batch was applied."""

    code = "ops_rejected"

    def __init__(self, rejected: list[dict[str, str]]) -> None:
        super().__init__(f"{len(rejected)} operation(s) rejected; nothing of this batch was applied",
                         rejected=rejected)
