"""Charger provisioning: fresh passwords (CSPRNG), argon2 hashes, credential checks."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from smartcharge.platform.store import Credentials, Store

log = logging.getLogger("smartcharge.platform.registry")

PASSWORD_BYTES = 24  # people's fresh passwords: 192 bits from the CSPRNG, 32 URL-safe characters
AUTHORIZATION_KEY_BYTES = 20
"""A charger's password is an AuthorizationKey in the security whitepaper's format: 20 bytes
from the CSPRNG (160 bits; at least 16 are required), written as 40 hexadecimal digits."""
IDENTITY = re.compile(r"[A-Za-z0-9._~-]{1,48}")
"""Identities are URL path segments and basic-auth user names: unreserved characters, no ':'."""

_hasher = PasswordHasher()  # people's passwords: argon2-cffi's defaults (slow on purpose)
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(PASSWORD_BYTES))

CHARGER_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
"""Charger passwords: argon2id with 1 pass over 1 MiB (~0.5 ms) instead of the defaults (3
passes, 64 MiB, 4 lanes: ~0.15-0.2 CPU-s and 64 MiB per check).

A slow hash protects passwords people choose, which can be guessed; a charger's password is
only ever made here (`new_password`: 160 bits from the CSPRNG), and nobody can search 2**160
candidates however cheap each guess is, so the hash only has to be one-way, which argon2id is at
any cost. The defaults would make each charger login cost ~0.2 CPU-s: a node dying makes all its
chargers reconnect to the others at once, 5,000 chargers ~1,000 CPU-s of password checks
(bench/platform.md, `--storm`). Hashes made with other parameters still verify (a hash carries
its parameters) and are replaced by one with these at the charger's next successful login."""
_CHARGER_DUMMY_HASH = CHARGER_HASHER.hash(secrets.token_hex(AUTHORIZATION_KEY_BYTES))


class RegistryError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class NewCharger:
    identity: str
    password: str  # shown once, stored nowhere


def new_password(identity: str) -> str:
    """A fresh AuthorizationKey (`AUTHORIZATION_KEY_BYTES` as lower-case hexadecimal digits) that
    does not contain the identity and has at least 8 different digits: charge points refuse
    passwords that do (ours among them). Identities shorter than 6 characters are only compared
    whole, as the charger does: a short one would be found in a random password by chance."""
    folded = identity.casefold()
    while True:
        password = secrets.token_hex(AUTHORIZATION_KEY_BYTES)
        if len(set(password)) < 8 or (len(folded) >= 6 and folded in password):
            continue
        return password


def hash_password(password: str) -> str:
    """A person's password (human-chosen): argon2id with argon2-cffi's default parameters."""
    return _hasher.hash(password)


def hash_charger_password(password: str) -> str:
    """A charger's password (always `new_password`'s CSPRNG output): see `CHARGER_HASHER`."""
    return CHARGER_HASHER.hash(password)


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


def verify_charger_password(password_hash: str | None, password: str) -> bool:
    """`verify_password` for a charger: an unknown one is checked against a dummy hash with the
    charger parameters. Any argon2 hash verifies, whatever its parameters."""
    try:
        ok = CHARGER_HASHER.verify(password_hash or _CHARGER_DUMMY_HASH, password)
        return ok and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_charger_password_async(password_hash: str | None, password: str) -> bool:
    """`verify_charger_password` in a worker thread (an old, slow hash may still be stored)."""
    return await asyncio.to_thread(verify_charger_password, password_hash, password)


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
    password_hash = await asyncio.to_thread(hash_charger_password, password)
    await store.chargers.add(identity, password_hash, at=at, owner_id=owner_id, site_id=site_id)
    return NewCharger(identity, password)


class UnknownCharger(RegistryError):
    pass


async def password_check(
    store: Store, creds: Credentials, password: str, *, now: Callable[[], datetime]
) -> bool:
    """Whether `password` opens `creds`'s charger, moving a rotation on as it tells.

    The current password opens it; during a rotation the new one does too, and its first use
    makes it the only one. A connect with the current password while the charger has not
    confirmed the new one shows it never took it: the new one is dropped. A hash made with
    other parameters than `CHARGER_HASHER`'s is replaced, now that the password is known.
    """
    if creds.password_hash is not None and await verify_charger_password_async(
        creds.password_hash, password
    ):
        if creds.pending_password_hash is not None and not creds.pending_accepted:
            await store.chargers.drop_rotation(creds.id, creds.pending_password_hash)
        await _rehash_if_needed(store, creds, creds.password_hash, password)
        return True
    pending = creds.pending_password_hash
    if pending is not None and await verify_charger_password_async(pending, password):
        await store.chargers.finish_rotation(creds.id, pending, at=now())
        log.info("password rotation done identity=%s", creds.identity)
        await _rehash_if_needed(store, creds, pending, password)
        return True
    return False


async def _rehash_if_needed(store: Store, creds: Credentials, current: str, password: str) -> None:
    try:
        stale = CHARGER_HASHER.check_needs_rehash(current)
    except InvalidHashError:  # pragma: no cover - it has just verified
        return
    if not stale:
        return
    fresh = await asyncio.to_thread(hash_charger_password, password)
    # Only if it is still the hash that was checked (a rotation may have moved on meanwhile).
    if await store.chargers.replace_hash(creds.id, current, fresh):
        log.info("charger password hash upgraded identity=%s", creds.identity)
