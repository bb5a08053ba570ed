"""/api/auth and /api/users: login and logout, API tokens, the caller, users and their roles."""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status

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
from smartcharge.platform.registry import PASSWORD_BYTES, hash_password, verify_password_async
from smartcharge.platform.services import sign_in
from smartcharge.platform.store.accounts import Account, UserExists

log = logging.getLogger("smartcharge.platform.api")

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
    current = await ctx.store.accounts.password_hash(who.account.id)
    if not await verify_password_async(current, body.current_password):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the current password is wrong")
    new_hash = await asyncio.to_thread(hash_password, body.new_password)
    await ctx.store.accounts.set_password(who.account.id, new_hash)
    await ctx.store.accounts.revoke(user_id=who.account.id, at=ctx.now(), keep=request.state.token)
    _cache(request).drop(user_id=who.account.id)


@router.post("/api/auth/tokens", response_model=NewTokenOut, status_code=201)
async def create_token(body: NewTokenRequest, ctx: Api, who: CallerDep) -> NewTokenOut:
    """A bearer token for an integration (an aggregator, a script): shown once."""
    token = sign_in.new_token()
    now = ctx.now()
    expires = now + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    token_id = await ctx.store.accounts.add_token(
        who.account.id, token, kind="bearer", at=now, expires_at=expires, name=body.name
    )
    return NewTokenOut(id=token_id, name=body.name, created_at=now, expires_at=expires, token=token)


@router.get("/api/auth/tokens", response_model=list[TokenOut])
async def list_tokens(ctx: Api, who: CallerDep) -> list[TokenOut]:
    rows = await ctx.store.accounts.tokens(who.account.id, now=ctx.now())
    return [
        TokenOut(id=t.id, name=t.name, created_at=t.created_at, expires_at=t.expires_at)
        for t in rows
    ]


@router.delete("/api/auth/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_token(token_id: RowId, request: Request, ctx: Api, who: CallerDep) -> None:
    if not await ctx.store.accounts.revoke(token_id=token_id, user_id=who.account.id, at=ctx.now()):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no token {token_id}")
    _cache(request).drop(user_id=who.account.id)  # the token's value is not known here


UserAdmin = Annotated[Caller, Depends(role("operator", "workplace_admin"))]


@router.get("/api/users", response_model=list[UserOut])
async def list_users(ctx: Api, who: UserAdmin) -> list[UserOut]:
    """Operator: every user. Workplace administrator: the users of their site."""
    if who.role == "operator":
        accounts = await ctx.store.accounts.users()
    else:
        if who.account.site_id is None:
            return []
        accounts = await ctx.store.accounts.users(site_id=who.account.site_id)
    return [user_out(a) for a in accounts]


@router.post(
    "/api/users",
    response_model=NewUserOut,
    status_code=201,
    responses={409: {"description": "The e-mail address is taken"}},
)
async def create_user(body: NewUserRequest, ctx: Api, who: UserAdmin) -> NewUserOut:
    """A new user with a fresh password (CSPRNG), shown once. An operator creates any role; a
    workplace administrator creates workplace users and administrators of their own site."""
    site_id = None
    if who.role == "workplace_admin":
        if body.role not in ("workplace_user", "workplace_admin") or who.account.site_id is None:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, "a workplace administrator adds workplace users only"
            )
        if body.site is not None and body.site != who.account.site:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "only for your own site")
        site_id = who.account.site_id
    elif body.site is not None:
        site_id = await ctx.store.people.site(body.site, at=ctx.now())
    if body.role in ("workplace_user", "workplace_admin") and site_id is None:
        raise HTTPException(422, "a workplace user needs a site")
    password = secrets.token_urlsafe(PASSWORD_BYTES)
    password_hash = await asyncio.to_thread(hash_password, password)
    try:
        account = await ctx.store.accounts.create(
            body.email, role=body.role, password_hash=password_hash, at=ctx.now(), site_id=site_id
        )
    except UserExists as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return NewUserOut(user=user_out(account), password=password)
