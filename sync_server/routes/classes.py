"""POST /classes, GET /classes, PATCH and DELETE /classes/{class_id}, POST /classes/join,
GET /classes/{class_id}/mastery."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from sync_server import classes as logic
from sync_server.routes.common import VERSIONED, TokenDep, errors
from sync_server.schemas import (UUID_PATTERN, ClassChanged, ClassCreated, ClassList, ClassMastery,
                                 CreateClassRequest, Joined, JoinRequest, RenameClassRequest)

router = APIRouter(prefix="/classes", tags=["classes"], dependencies=VERSIONED)


@router.post("", status_code=201, response_model=ClassCreated, responses=errors(401, 403))
def create_class(body: CreateClassRequest, token: TokenDep, request: Request) -> ClassCreated:
    caller = request.app.state.accounts.authenticate(token)
    return ClassCreated(**logic.create_class(request.app.state.db, caller, body.name))


@router.get("", response_model=ClassList, responses=errors(401, 403))
def list_classes(token: TokenDep, request: Request) -> ClassList:
    caller = request.app.state.accounts.authenticate(token)
    return ClassList(classes=logic.list_classes(request.app.state.db, caller))  # type: ignore[arg-type]


ClassId = Annotated[str, Path(pattern=UUID_PATTERN)]


@router.patch("/{class_id}", response_model=ClassChanged, responses=errors(401, 403, 404))
def rename_class(class_id: ClassId, body: RenameClassRequest, token: TokenDep, request: Request) -> ClassChanged:
    caller = request.app.state.accounts.authenticate(token)
    return ClassChanged(**logic.change_class(request.app.state.db, caller, class_id, name=body.name))


@router.delete("/{class_id}", response_model=ClassChanged, responses=errors(401, 403, 404))
def delete_class(class_id: ClassId, token: TokenDep, request: Request) -> ClassChanged:
    caller = request.app.state.accounts.authenticate(token)
    return ClassChanged(**logic.change_class(request.app.state.db, caller, class_id, delete=True))


@router.post("/join", response_model=Joined, responses=errors(401, 403, 404))
def join_class(body: JoinRequest, token: TokenDep, request: Request) -> Joined:
    caller = request.app.state.accounts.authenticate(token)
    return Joined(**logic.join_class(request.app.state.db, caller, body.join_code))


@router.get("/{class_id}/mastery", response_model=ClassMastery, responses=errors(401, 403, 404))
def class_mastery(class_id: ClassId, token: TokenDep, request: Request) -> ClassMastery:
    caller = request.app.state.accounts.authenticate(token)
    return ClassMastery(**logic.class_mastery(request.app.state.db, caller, class_id))
