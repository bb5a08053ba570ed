"""Charger provisioning: fresh passwords (CSPRNG), argon2 hashes, credential checks."""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from smartcharge.platform.store import Store

PASSWORD_BYTES = 24  # 192 bits from the CSPRNG, 32 URL-safe characters (OCPP allows 16 to 40)
IDENTITY = re.compile(r"[A-Za-z0-9._~-]{1,48}")
"""Identities are URL path segments and basic-auth user names: unreserved characters, no ':'."""

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(PASSWORD_BYTES))


class RegistryError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class NewCharger:
    identity: str
    password: str  # shown once, stored nowhere


def new_password(identity: str) -> str:
    """A fresh password that does not contain the identity (charge points refuse those)."""
    while True:
        password = secrets.token_urlsafe(PASSWORD_BYTES)
        if identity.casefold() not in password.casefold():
            return password


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whatever the outcome: an unknown charger (`None`) is checked against a
    dummy hash, so the answer's timing does not tell which identities exist."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    """`verify_password` in a worker thread: argon2 takes tens of milliseconds of CPU."""
    return await asyncio.to_thread(verify_password, password_hash, password)


def check_identity(identity: str) -> str:
    if not IDENTITY.fullmatch(identity):
        raise RegistryError(
            "identity must be 1 to 48 characters: letters, digits, '.', '_', '~' or '-'"
        )
    return identity


async def add_charger(
    store: Store,
    identity: str,
    *,
    owner: str | None = None,
    site: str | None = None,
    now: datetime | None = None,
) -> NewCharger:
    """Register a charger with a fresh password; only its argon2 hash is stored.

    `owner` is the owner's e-mail address (a user with the owner role, created if new), `site`
    a workplace site's name (created if new). Raises `RegistryError` for a bad identity and
    `ChargerExists` for one that is taken.
    """
    check_identity(identity)
    at = now or datetime.now(UTC)
    owner_id = await store.people.user(owner, role="owner", at=at) if owner else None
    site_id = await store.people.site(site, at=at) if site else None
    password = new_password(identity)
    password_hash = await asyncio.to_thread(hash_password, password)
    await store.chargers.add(identity, password_hash, at=at, owner_id=owner_id, site_id=site_id)
    return NewCharger(identity, password)
