"""Users (with their roles) and sites: the minimum the registry needs now; the REST API builds
on it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Insert, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from smartcharge.platform.store.models import ROLES, Site, User


def new_user(
    email: str, *, role: str, at: datetime, password_hash: str | None, site_id: int | None
) -> Insert:
    """The INSERT of a user (address in lower case), returning its id; ValueError for a role
    that does not exist."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    return (
        insert(User)
        .values(
            email=email.strip().lower(),
            role=role,
            password_hash=password_hash,
            site_id=site_id,
            created_at=at,
        )
        .returning(User.id)
    )


class People:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def user(
        self,
        email: str,
        *,
        role: str,
        at: datetime,
        password_hash: str | None = None,
        site_id: int | None = None,
    ) -> int:
        """The id of the user with this e-mail address, created with `role` if new."""
        stmt = new_user(email, role=role, at=at, password_hash=password_hash, site_id=site_id)
        async with self._engine.begin() as conn:
            found = await conn.scalar(select(User.id).where(User.email == email.strip().lower()))
            if found is not None:
                return int(found)
            result = await conn.execute(stmt)
            return int(result.scalar_one())

    async def site(self, name: str, *, at: datetime) -> int:
        """The id of the site with this name, created if new."""
        async with self._engine.begin() as conn:
            found = await conn.scalar(select(Site.id).where(Site.name == name))
            if found is not None:
                return int(found)
            result = await conn.execute(
                insert(Site).values(name=name, created_at=at).returning(Site.id)
            )
            return int(result.scalar_one())
