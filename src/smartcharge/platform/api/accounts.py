"""/api/auth and /api/users: login and logout, API tokens, the caller, users and their roles."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from smartcharge.platform.api.auth import (
    SESSION_COOKIE,
    Api,
    Caller,
    CallerDep,
    TokenCache,
    client_address,
    role,
    set_session_cookie,
)
from smartcharge.platform.api.schemas import (
    LoginRequest,
    NewTokenOut,
    NewTokenRequest,
    NewUserOut,
    NewUserRequest,
    PasswordChange,
    RowId,
    TokenOut,
    UserOut,
)
from smartcharge.platform.services import sign_in, users
from smartcharge.platform.store.accounts import Account

router = APIRouter(tags=["accounts"])


def user_out(account: Account) -> UserOut:
    return UserOut(id=account.id, email=account.email, role=account.role, site=account.site)  # type: ignore[arg-type]


@router.post(
    "/api/auth/login",
    response_model=UserOut,
    responses={401: {"description": "Wrong e-mail or password"}, 429: {"description": "Locked"}},
)
async def api_login(body: LoginRequest, request: Request, response: Response, ctx: Api) -> UserOut:
    """Log in: sets the session cookie (HttpOnly, SameSite=Lax) the web app uses."""
    account, token = await sign_in.log_in(ctx, body.email, body.password, client_address(request))
    set_session_cookie(response, ctx, token)
    return user_out(account)


def _cache(request: Request) -> TokenCache:
    cache: TokenCache = request.app.state.token_cache
    return cache


@router.post("/api/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(request: Request, response: Response, ctx: Api, who: CallerDep) -> None:
    """End this session (or revoke the bearer token used for this request)."""
    token: str = request.state.token
    await sign_in.log_out(ctx, token)
    _cache(request).drop(token)
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/api/me", response_model=UserOut)
async def me(who: CallerDep) -> UserOut:
    return user_out(who.account)


@router.post("/api/me/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(body: PasswordChange, request: Request, ctx: Api, who: CallerDep) -> None:
    """Change one's password; every other session and token of the user is revoked."""
    await users.change_password(
        ctx, who, body.current_password, body.new_password, keep_token=request.state.token
    )
    _cache(request).drop(user_id=who.account.id)


@router.post("/api/auth/tokens", response_model=NewTokenOut, status_code=201)
async def create_token(body: NewTokenRequest, ctx: Api, who: CallerDep) -> NewTokenOut:
    """A bearer token for an integration (an aggregator, a script): shown once."""
    new = await users.create_token(ctx, who, body.name, body.expires_in_days)
    return NewTokenOut(**dataclasses.asdict(new))


@router.get("/api/auth/tokens", response_model=list[TokenOut])
async def list_tokens(ctx: Api, who: CallerDep) -> list[TokenOut]:
    rows = await ctx.store.accounts.tokens(who.account.id, now=ctx.now())
    return [
        TokenOut(id=t.id, name=t.name, created_at=t.created_at, expires_at=t.expires_at)
        for t in rows
    ]


@router.delete("/api/auth/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_token(token_id: RowId, request: Request, ctx: Api, who: CallerDep) -> None:
    await users.revoke_token(ctx, who, token_id)
    _cache(request).drop(user_id=who.account.id)  # the token's value is not known here


UserAdmin = Annotated[Caller, Depends(role(*users.USER_ADMINS))]


@router.get("/api/users", response_model=list[UserOut])
async def list_users(ctx: Api, who: UserAdmin) -> list[UserOut]:
    """Operator: every user. Workplace administrator: the users of their site."""
    return [user_out(a) for a in await users.users(ctx, who)]


@router.post(
    "/api/users",
    response_model=NewUserOut,
    status_code=201,
    responses={409: {"description": "The e-mail address is taken"}},
)
async def create_user(body: NewUserRequest, ctx: Api, who: UserAdmin) -> NewUserOut:
    """A new user with a fresh password (CSPRNG), shown once. An operator creates any role; a
    workplace administrator creates workplace users and administrators of their own site."""
    account, password = await users.create_user(ctx, who, body.email, body.role, body.site)
    return NewUserOut(user=user_out(account), password=password)
