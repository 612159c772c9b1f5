"""The network behind an interface: `Transport`, and its HTTP implementation.

`HttpTransport` speaks protocol version 1 (docs/sync-protocol.md) with a requests.Session
(keep-alive, timeouts). Retries respect idempotency: push (idempotent by op id), pull and
summary are retried a few times on connection errors and 502/503/504; register and login
are never retried blindly (a retry could double a side effect or a throttle count).

Thread: a transport is used by one thread at a time (the sync worker's, or the CLI's).
Every method raises only `sync_client.errors` exceptions.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import requests

from sync_client.errors import (AccountConflict, AuthRequired, BadServerAddress, InvalidCredentials, OpsRejected,
                                PayloadTooLarge, Rejection, RequestFailed, ServerFailed, ServerUnreachable, SyncError,
                                Throttled, UpgradeRequired)

PROTOCOL_VERSION = "1"
API_PREFIX = "/api/v1"


@dataclass(frozen=True)
class Account:
    user_id: str
    username: str
    role: str


@dataclass(frozen=True)
class Login:
    token: str
    user_id: str
    role: str
    expires_at: str | None


@dataclass(frozen=True)
class PushResult:
    acknowledged: list[str]
    cursor: Any


@dataclass(frozen=True)
class Summary:
    counts: dict[str, int]
    cursor: Any


@dataclass(frozen=True)
class PullPage:
    changes: list[dict[str, Any]]
    next_cursor: Any
    has_more: bool
    summary: Summary | None = None  # asked for with with_summary: on the last page only


class Transport(Protocol):
    """What the client needs from a server. Tokens are passed per call: transports hold no secrets."""

    def register(self, *, username: str, password: str, role: str, user_id: str | None,
                 teacher_code: str | None = None) -> Account: ...
    def login(self, *, username: str, password: str, device_id: str) -> Login: ...
    def logout(self, token: str) -> None: ...
    def push(self, token: str, *, device_id: str, ops: list[dict[str, Any]]) -> PushResult: ...
    def pull(self, token: str, *, after: Any, limit: int, skip_device: str | None = None,
             with_summary: bool = False) -> PullPage: ...
    def summary(self, token: str) -> Summary: ...
    def join_class(self, token: str, join_code: str) -> dict[str, Any]: ...


_RETRY_STATUSES = frozenset({502, 503, 504})
# requests' own text ("Invalid URL '/api/v1/auth/login': No scheme supplied...") names our
# API path and Python details: a person needs to hear what is wrong with *their* address.
_BAD_ADDRESS = (requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema,
                requests.exceptions.InvalidURL, requests.exceptions.URLRequired)


class HttpTransport:
    """HTTP/JSON transport. `base_url` is the server root (e.g. http://host:8000)."""

    def __init__(self, base_url: str, *, session: requests.Session | None = None,
                 timeout: tuple[float, float] = (5.0, 30.0), retries: int = 2,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = session or requests.Session()
        self._http.headers.update({"X-Protocol-Version": PROTOCOL_VERSION, "Accept": "application/json"})
        self._timeout = timeout
        self._retries = retries
        self._sleep = sleep

    def close(self) -> None:
        self._http.close()

    # --- endpoints -------------------------------------------------------------------------
    def register(self, *, username: str, password: str, role: str, user_id: str | None,
                 teacher_code: str | None = None) -> Account:
        body: dict[str, Any] = {"username": username, "password": password, "role": role}
        if user_id:
            body["user_id"] = user_id
        if teacher_code:
            body["teacher_code"] = teacher_code
        data = self._call("POST", "/auth/register", json=body, idempotent=False)
        return Account(user_id=data["user_id"], username=data["username"], role=data["role"])

    def login(self, *, username: str, password: str, device_id: str) -> Login:
        data = self._call("POST", "/auth/login", idempotent=False, login=True,
                          json={"username": username, "password": password, "device_id": device_id})
        return Login(token=data["token"], user_id=data["user_id"], role=data["role"],
                     expires_at=data.get("expires_at"))

    def logout(self, token: str) -> None:
        self._call("POST", "/auth/logout", token=token, idempotent=True)

    def push(self, token: str, *, device_id: str, ops: list[dict[str, Any]]) -> PushResult:
        data = self._call("POST", "/sync/push", token=token, idempotent=True,
                          json={"device_id": device_id, "ops": ops})
        return PushResult(acknowledged=list(data["acknowledged"]), cursor=data.get("cursor"))

    def pull(self, token: str, *, after: Any, limit: int, skip_device: str | None = None,
             with_summary: bool = False) -> PullPage:
        params: dict[str, Any] = {"after": after, "limit": limit}
        if skip_device:
            params["skip_device"] = skip_device
        if with_summary:
            params["with_summary"] = "true"
        data = self._call("GET", "/sync/pull", token=token, idempotent=True, params=params)
        summary = data.get("summary")
        return PullPage(changes=data["changes"], next_cursor=data["next_cursor"], has_more=bool(data["has_more"]),
                        summary=_summary(summary) if summary else None)

    def summary(self, token: str) -> Summary:
        return _summary(self._call("GET", "/sync/summary", token=token, idempotent=True))

    def join_class(self, token: str, join_code: str) -> dict[str, Any]:
        return self._call("POST", "/classes/join", token=token, idempotent=False, json={"join_code": join_code})

    # --- plumbing --------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, token: str | None = None, idempotent: bool,
              login: bool = False, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else None
        attempts = 1 + (self._retries if idempotent else 0)
        for attempt in range(attempts):
            try:
                response = self._http.request(method, self.base_url + API_PREFIX + path, json=json,
                                              params=params, headers=headers, timeout=self._timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt + 1 < attempts:
                    self._sleep(0.2 * 2 ** attempt)
                    continue
                raise ServerUnreachable(f"cannot reach {self.base_url}: {type(exc).__name__}") from None
            except _BAD_ADDRESS:
                raise BadServerAddress(_address_problem(self.base_url)) from None
            except requests.RequestException as exc:  # redirect loops, an answer cut short, ...
                raise SyncError(f"the server at {self.base_url} gave an answer this app cannot read "
                                f"({type(exc).__name__}); check the address, or try again later") from None
            if response.status_code in _RETRY_STATUSES and attempt + 1 < attempts:
                self._sleep(0.2 * 2 ** attempt)
                continue
            return _result(response, login=login)
        raise AssertionError("unreachable")  # pragma: no cover


def _address_problem(base_url: str) -> str:
    """What is wrong with a server address requests refused, in words for a person."""
    if not base_url:
        return "no sync server address is set"
    if "://" not in base_url:
        return f"the server address {base_url!r} must start with https:// (or http://)"
    if not base_url.startswith(("https://", "http://")):
        return f"the server address {base_url!r} must start with https:// or http://"
    return f"{base_url!r} is not a complete server address (like https://sync.example.org)"


def _summary(data: dict[str, Any]) -> Summary:
    return Summary(counts={k: int(v) for k, v in data["counts"].items()}, cursor=data.get("cursor"))


def _result(response: requests.Response, *, login: bool) -> Any:
    status = response.status_code
    try:
        data = response.json() if response.content else {}
    except ValueError:
        data = {}
    if 200 <= status < 300:
        if not isinstance(data, dict):
            raise SyncError(f"unexpected answer from the server (HTTP {status})")
        return data
    code = str(data.get("error", "")) if isinstance(data, dict) else ""
    message = str(data.get("message") or code or f"HTTP {status}") if isinstance(data, dict) else f"HTTP {status}"
    if status == 401:
        if login:
            raise InvalidCredentials(message or "wrong username or password")
        raise AuthRequired(message, code=code or "unauthorized")
    if status == 409:
        raise AccountConflict(message, code=code or "username_taken")
    if status == 413:
        raise PayloadTooLarge(message)
    if status == 422 and code == "ops_rejected":
        raise OpsRejected([Rejection(op_id=r["op_id"], code=r.get("code", ""), message=r.get("message", ""))
                           for r in data.get("rejected", [])])
    if status == 426:
        raise UpgradeRequired(message or "this version of the app is too old for the server; please update")
    if status == 429:
        retry_after = response.headers.get("Retry-After")
        raise Throttled(message, retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None)
    if status >= 500:
        raise ServerFailed(f"server error (HTTP {status}): {message}", status=status)
    raise RequestFailed(message, status=status, code=code)
