"""What can go wrong talking to the sync server, as exceptions the engine dispatches on.

Every transport (HTTP or the in-memory fake) raises only these. The split follows what the
client must *do*: retry later (ServerUnreachable, Throttled), ask the person to log in
again (AuthRequired), set ops aside (OpsRejected), shrink the batch (PayloadTooLarge), or
stop and tell the person (everything else).
"""
from __future__ import annotations

from dataclasses import dataclass


class SyncError(Exception):
    """Base class; `str(exc)` is a one-line reason a person can read."""


class ServerUnreachable(SyncError):
    """No answer (connection refused, timeout, 5xx). Safe to retry later with backoff."""


class ServerFailed(ServerUnreachable):
    """5xx: the server is up but failed the request. Retried later like no answer; a round
    whose push fails so still pulls (the failure may be that batch's alone). `status` is
    the HTTP status (None: the answer made no sense, see engine.py)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class BadServerAddress(SyncError):
    """The server address cannot be a URL (empty, no http(s):// scheme, no host): nothing
    was sent. Fix the address; retrying as it is cannot help."""


class AuthRequired(SyncError):
    """401 on an authenticated call: the token is missing, expired or revoked.

    `code` is the server's error code ("unauthorized" or "token_expired").
    """

    def __init__(self, message: str, code: str = "unauthorized") -> None:
        super().__init__(message)
        self.code = code


class InvalidCredentials(SyncError):
    """401 on login: wrong username or password. Never retried."""


class AccountConflict(SyncError):
    """409 on register: `code` is "username_taken" or "user_id_taken"."""

    def __init__(self, message: str, code: str = "username_taken") -> None:
        super().__init__(message)
        self.code = code


class Throttled(ServerUnreachable):
    """429: too many attempts; `retry_after` seconds if the server said so."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UpgradeRequired(SyncError):
    """426: this client speaks a protocol version the server no longer accepts."""


class PayloadTooLarge(SyncError):
    """413: the batch exceeds the server's caps; send fewer ops at once."""


class RequestFailed(SyncError):
    """Any other error answer. `status` is the HTTP status, `code` the server's error code."""

    def __init__(self, message: str, *, status: int, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Rejection:
    op_id: str
    code: str
    message: str


class OpsRejected(SyncError):
    """422 ops_rejected: nothing of the batch was applied; `rejected` are the culprits."""

    def __init__(self, rejected: list[Rejection]) -> None:
        super().__init__(f"{len(rejected)} change(s) rejected by the server")
        self.rejected = rejected
