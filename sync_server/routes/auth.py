"""POST /auth/register, /auth/login, /auth/logout."""
from __future__ import annotations

from fastapi import APIRouter, Request

from sync_server.routes.common import VERSIONED, TokenDep, errors
from sync_server.schemas import (LoginRequest, LoginResponse, RegisterRequest, RegisterResponse,
                                 StatusResponse)

router = APIRouter(prefix="/auth", tags=["auth"], dependencies=VERSIONED)


@router.post("/register", status_code=201, response_model=RegisterResponse, responses=errors(403, 409, 429))
def register(body: RegisterRequest, request: Request) -> RegisterResponse:
    created = request.app.state.accounts.register(username=body.username, password=body.password,
                                                  role=body.role, user_id=body.user_id,
                                                  teacher_code=body.teacher_code)
    return RegisterResponse(**created)


@router.post("/login", response_model=LoginResponse, responses=errors(401, 429))
def login(body: LoginRequest, request: Request) -> LoginResponse:
    issued = request.app.state.accounts.login(username=body.username, password=body.password,
                                              device_id=body.device_id)
    return LoginResponse(**issued)


@router.post("/logout", response_model=StatusResponse, responses=errors(401))
def logout(token: TokenDep, request: Request) -> StatusResponse:
    accounts = request.app.state.accounts
    accounts.logout(accounts.authenticate(token))
    return StatusResponse(status="logged_out")
