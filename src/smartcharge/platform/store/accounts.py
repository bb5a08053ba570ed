"""Accounts for the REST API: users with passwords and roles, and their tokens.

Passwords are argon2 hashes (made by the caller, off the event loop). Tokens (web sessions and
integration bearer tokens) are 256 random bits; only their SHA-256 is stored, so a stolen
database does not give a working token, and checking one costs a microsecond, not argon2's
~170 ms.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from smartcharge.platform.store.models import ApiToken, Site, User
from smartcharge.platform.store.people import new_user

TOKEN_KINDS = ("session", "bearer")


class UserExists(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    email: str
    role: str
    site_id: int | None
    site: str | None = None


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: int
    kind: str
    name: str | None
    created_at: datetime
    expires_at: datetime | None


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _account(row: object) -> Account:
    return Account(row.id, row.email, row.role, row.site_id, row.site)  # type: ignore[attr-defined]


_ACCOUNT_COLUMNS = (User.id, User.email, User.role, User.site_id, Site.name.label("site"))


class Accounts:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(
        self,
        email: str,
        *,
        role: str,
        password_hash: str,
        at: datetime,
        site_id: int | None = None,
    ) -> Account:
        """A new user who can log in; `UserExists` when the address is taken."""
        stmt = new_user(email, role=role, at=at, password_hash=password_hash, site_id=site_id)
        try:
            async with self._engine.begin() as conn:
                new_id = (await conn.execute(stmt)).scalar_one()
        except IntegrityError:
            raise UserExists(f"a user {email.strip().lower()!r} already exists") from None
        found = await self.get(int(new_id))
        assert found is not None
        return found

    async def set_password(self, user_id: int, password_hash: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(User).where(User.id == user_id).values(password_hash=password_hash)
            )

    async def get(self, user_id: int) -> Account | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(*_ACCOUNT_COLUMNS)
                    .outerjoin(Site, Site.id == User.site_id)
                    .where(User.id == user_id)
                )
            ).first()
        return None if row is None else _account(row)

    async def login_record(self, email: str) -> tuple[Account, str | None] | None:
        """The account with this address and its password hash (None: cannot log in)."""
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(*_ACCOUNT_COLUMNS, User.password_hash)
                    .outerjoin(Site, Site.id == User.site_id)
                    .where(User.email == email.strip().lower())
                )
            ).first()
        return None if row is None else (_account(row), row.password_hash)

    async def password_hash(self, user_id: int) -> str | None:
        async with self._engine.connect() as conn:
            return await conn.scalar(select(User.password_hash).where(User.id == user_id))

    async def users(self, *, site_id: int | None = None) -> list[Account]:
        stmt = select(*_ACCOUNT_COLUMNS).outerjoin(Site, Site.id == User.site_id).order_by(User.id)
        if site_id is not None:
            stmt = stmt.where(User.site_id == site_id)
        async with self._engine.connect() as conn:
            return [_account(row) for row in await conn.execute(stmt)]

    # --- tokens --------------------------------------------------------------------------------

    async def add_token(
        self,
        user_id: int,
        token: str,
        *,
        kind: str,
        at: datetime,
        expires_at: datetime | None = None,
        name: str | None = None,
    ) -> int:
        if kind not in TOKEN_KINDS:
            raise ValueError(f"kind must be one of {', '.join(TOKEN_KINDS)}")
        async with self._engine.begin() as conn:
            result = await conn.execute(
                insert(ApiToken)
                .values(
                    user_id=user_id,
                    kind=kind,
                    token_hash=token_digest(token),
                    name=name,
                    created_at=at,
                    expires_at=expires_at,
                )
                .returning(ApiToken.id)
            )
            return int(result.scalar_one())

    async def by_token(self, token: str, *, now: datetime) -> tuple[Account, TokenInfo] | None:
        """The account a live (not revoked, not expired) token belongs to."""
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        *_ACCOUNT_COLUMNS,
                        ApiToken.id.label("token_id"),
                        ApiToken.kind,
                        ApiToken.name,
                        ApiToken.created_at,
                        ApiToken.expires_at,
                    )
                    .join(User, User.id == ApiToken.user_id)
                    .outerjoin(Site, Site.id == User.site_id)
                    .where(
                        ApiToken.token_hash == token_digest(token),
                        ApiToken.revoked_at.is_(None),
                        or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
                    )
                )
            ).first()
        if row is None:
            return None
        return _account(row), TokenInfo(
            row.token_id, row.kind, row.name, row.created_at, row.expires_at
        )

    async def tokens(self, user_id: int, *, now: datetime) -> list[TokenInfo]:
        """The user's live bearer tokens (never the token itself: it is not stored)."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(ApiToken)
                .where(
                    ApiToken.user_id == user_id,
                    ApiToken.kind == "bearer",
                    ApiToken.revoked_at.is_(None),
                    or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
                )
                .order_by(ApiToken.id)
            )
            return [TokenInfo(r.id, r.kind, r.name, r.created_at, r.expires_at) for r in rows]

    async def revoke(
        self,
        *,
        at: datetime,
        token: str | None = None,
        token_id: int | None = None,
        user_id: int | None = None,
        keep: str | None = None,
    ) -> bool:
        """Revoke one token (by value or by id, of `user_id` when given) or, with only
        `user_id`, every token of that user but `keep`."""
        stmt = update(ApiToken).where(ApiToken.revoked_at.is_(None))
        if token is not None:
            stmt = stmt.where(ApiToken.token_hash == token_digest(token))
        if token_id is not None:
            stmt = stmt.where(ApiToken.id == token_id)
        if user_id is not None:
            stmt = stmt.where(ApiToken.user_id == user_id)
        if keep is not None:
            stmt = stmt.where(ApiToken.token_hash != token_digest(keep))
        if token is None and token_id is None and user_id is None:
            raise ValueError("revoke what?")
        async with self._engine.begin() as conn:
            result = await conn.execute(stmt.values(revoked_at=at))
            return bool(result.rowcount)
