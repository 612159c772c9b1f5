"""Request and response bodies of the HTTP API (pydantic): the JSON schema in /openapi.json.

These are API schemas only, separate from the tables. Ids are canonical lower-case UUID
strings, exactly as the devices mint them, because a row id must compare equal everywhere.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from desktop_app.services.passwords import MIN_PASSWORD_LENGTH
from sync_server.config import MAX_OPS_PER_PUSH

UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def _clean(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid UTF-8 text") from None
    return value


# Length limits come before the check so pydantic-core applies them itself; after a Python
# validator they would run as Python too (a push checks two such strings per op).
Clean = AfterValidator(_clean)
Uuid = Annotated[str, Field(pattern=UUID_PATTERN, examples=["0190f5c2-7a1e-7cc3-9b1f-3a1d2e4f5a6b"])]
Username = Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")]
DeviceId = Annotated[str, Field(min_length=1, max_length=64), Clean]


class ErrorBody(BaseModel):
    """Every error: a machine code, a human message, and sometimes more (rejected, details...)."""

    model_config = ConfigDict(extra="allow")
    error: str
    message: str


# -- auth ----------------------------------------------------------------------------------
class RegisterRequest(BaseModel):
    username: Username
    password: Annotated[str, Field(min_length=MIN_PASSWORD_LENGTH, max_length=256), Clean]
    role: Literal["student", "teacher"] = "student"
    user_id: Uuid | None = Field(None, description="Keep an offline account's id: a client-minted UUID.")
    teacher_code: Annotated[str, Field(max_length=128), Clean] | None = Field(
        None, description="Required with role teacher: the code the server was started with.")


class RegisterResponse(BaseModel):
    user_id: str
    username: str
    role: str


class LoginRequest(BaseModel):
    username: Annotated[str, Field(min_length=1, max_length=64), Clean]
    password: Annotated[str, Field(min_length=1, max_length=256), Clean]
    device_id: DeviceId


class LoginResponse(BaseModel):
    token: str
    user_id: str
    role: str
    expires_at: str


class StatusResponse(BaseModel):
    status: str


# -- sync ----------------------------------------------------------------------------------
class OpIn(BaseModel):
    """One row of the client's sync_operations table."""

    op_id: Uuid
    table: Annotated[str, Field(min_length=1, max_length=64), Clean]
    row_id: Uuid
    operation: Literal["insert", "update", "delete"]
    payload: dict[str, Any] = Field(description="Changed fields in wire form, all stamped with `hlc`.")
    hlc: Annotated[str, Field(min_length=1, max_length=80), Clean]


class PushRequest(BaseModel):
    device_id: DeviceId
    ops: list[OpIn] = Field(max_length=MAX_OPS_PER_PUSH)


class PushResponse(BaseModel):
    acknowledged: list[str]
    cursor: int = Field(description="The latest seq after this push (informational; never a pull cursor).")


class Change(BaseModel):
    seq: int
    table: str
    row_id: str
    fields: dict[str, Any]
    stamps: dict[str, str]
    hlc: str
    deleted: bool


class SummaryResponse(BaseModel):
    counts: dict[str, int]
    cursor: int


class PullResponse(BaseModel):
    changes: list[Change]
    next_cursor: int
    has_more: bool
    summary: SummaryResponse | None = Field(None, description="Only with with_summary=true, on the last page.")


# -- classes -------------------------------------------------------------------------------
ClassName = Annotated[str, Field(min_length=1, max_length=128), Clean]


class CreateClassRequest(BaseModel):
    name: ClassName


class RenameClassRequest(BaseModel):
    name: ClassName


class ClassChanged(BaseModel):
    class_id: str
    name: str
    deleted: bool


class ClassCreated(BaseModel):
    class_id: str
    name: str
    join_code: str


class Member(BaseModel):
    user_id: str
    username: str


class ClassInfo(ClassCreated):
    students: list[Member]


class ClassList(BaseModel):
    classes: list[ClassInfo]


class JoinRequest(BaseModel):
    join_code: Annotated[str, Field(min_length=1, max_length=16), Clean]


class Joined(BaseModel):
    class_id: str
    name: str


class TopicMastery(BaseModel):
    topic_id: str
    name: str
    mastery: float = Field(ge=0, le=100)
    attempts: int


class StudentMastery(BaseModel):
    user_id: str
    username: str
    topics: list[TopicMastery]


class ClassMastery(BaseModel):
    class_id: str
    name: str
    method: str
    students: list[StudentMastery]
