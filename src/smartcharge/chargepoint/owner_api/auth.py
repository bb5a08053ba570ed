"""The owner's password, sign-in tokens and lock-out (R5, R28, R37).

- There is no default password: until the owner sets one (`set_first_password`, first use) the
  API answers nothing but "set a password". First use needs the setup code from the charger's
  label (security/setup_code.py): a stranger on the home network cannot claim the charger.
  The password is stored as an argon2id hash in the store's settings (`owner.password_hash`),
  so a factory reset removes it with the rest of the owner's data.
- A sign-in gives a random bearer token (256 bits from the OS CSPRNG), held in memory only and
  valid for `TOKEN_IDLE_S` of inactivity; changing the password or a factory reset revokes all.
- Every failed sign-in is a security event (OwnerLoginFailed); after `MAX_FAILURES` failures in a
  row the sign-in is locked for `LOCKOUT_S`, doubling at each further lock-out up to
  `LOCKOUT_MAX_S` (OwnerLockedOut). While locked no password is even checked, so guessing gains
  nothing. The lock-out is global (not per address): an attacker on the home network could
  otherwise rotate addresses. So that such an attacker cannot keep the owner out, a sign-in that
  also carries the label's setup code is checked even while locked (guessing a 59-bit code at
  one argon2 hash at a time is hopeless).

Hashing (argon2id with OWASP's minimum, 19 MiB and two passes: 38 ms on the development machine,
a few times that on a small board; the library's default takes 64 MiB and 0.4 s) runs in a
worker thread, one at a time: the charger's one-second tick never waits for it, and a burst of
sign-ins cannot take more than one hash's memory.

Time is the injected clock's monotonic time; randomness is `secrets`.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from smartcharge.chargepoint.security.provisioning import KNOWN_DEFAULTS, CredentialError
from smartcharge.chargepoint.security.setup_code import setup_code_matches
from smartcharge.chargepoint.store import SettingsAccess

PASSWORD_KEY = "owner.password_hash"  # not-a-secret: the settings key of the hash
MAX_FAILURES = 5
LOCKOUT_S = 300.0
LOCKOUT_MAX_S = 3600.0
TOKEN_IDLE_S = 1800.0
HASH_TIME_COST, HASH_MEMORY_KIB = 2, 19 * 1024  # OWASP's argon2id minimum; one lane
MAX_TOKENS = 16  # sessions at once (phones, laptops); the oldest goes first


class AuthError(Exception):
    """A sign-in or password change refused; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after_s = retry_after_s


@dataclass
class _Lock:
    failures: int = 0
    lockouts: int = 0
    until: float = 0.0


def check_owner_password(password: str, public_values: tuple[str, ...] = ()) -> None:
    """The owner's password: 12 to 128 printable characters, at least 6 different ones, not a
    well-known default, not containing the identity or serial number (R28); CredentialError,
    with a message fit for the owner, otherwise."""
    if not 12 <= len(password) <= 128:
        raise CredentialError("must be 12 to 128 characters")
    if not password.isprintable():
        raise CredentialError("must be printable characters only")
    folded = password.casefold()
    if folded in KNOWN_DEFAULTS:
        raise CredentialError("is a well-known default password")
    for public in public_values:
        if public and (
            folded == public.casefold() or (len(public) >= 6 and public.casefold() in folded)
        ):
            raise CredentialError("must not contain the identity or serial number")
    if len(set(password)) < 6:
        raise CredentialError("is too repetitive (fewer than 6 different characters)")


class OwnerAuth:
    def __init__(
        self,
        store: Callable[[], SettingsAccess],
        monotonic: Callable[[], float],
        on_event: Callable[[str, str], None],
        *,
        public_values: tuple[str, ...] = (),
        hasher: PasswordHasher | None = None,
        setup_code_hash: Callable[[], str | None] = lambda: None,
        first_use_without_code: bool = False,
    ) -> None:
        """`store` gives the current boot's store; `on_event(type, techInfo)` records a
        security event."""
        self._store = store
        self._now = monotonic
        self._event = on_event
        self._public = public_values
        self._hasher = hasher or PasswordHasher(
            time_cost=HASH_TIME_COST, memory_cost=HASH_MEMORY_KIB, parallelism=1
        )
        self._setup_hash = setup_code_hash
        self._open_first_use = first_use_without_code  # a lab setting (weakening.py)
        self._hashing = asyncio.Lock()
        self._lock = _Lock()
        self._tokens: dict[str, float] = {}  # sha256(token) -> last use (monotonic)

    # --- password -------------------------------------------------------------------------------
    def password_set(self) -> bool:
        return bool(self._store().setting(PASSWORD_KEY))

    async def set_first_password(self, password: str, setup_code: str | None = None) -> str:
        """First use: with the label's setup code, set the password and sign in; AuthError 409
        once one is set (the first-use window is closed), 403 for a missing or wrong code."""
        async with self._hashing:
            if self.password_set():
                raise AuthError("the owner password is already set; sign in instead", 409)
            await self._check_setup_code(setup_code)
            await self._save(password)
        self._event("OwnerPasswordSet", "first use")
        return self._new_token()

    async def change_password(self, current: str, new: str) -> str:
        """Change the password (the current one is checked, with the lock-out); all other
        sessions end. Returns a fresh token."""
        async with self._hashing:
            await self._verify(current)
            await self._save(new)
        self._tokens.clear()
        self._event("OwnerPasswordSet", "changed by the owner")
        return self._new_token()

    async def _save(self, password: str) -> None:
        try:
            check_owner_password(password, self._public)
        except CredentialError as exc:
            raise AuthError(f"password: {exc}", 400) from None
        hashed = await asyncio.to_thread(self._hasher.hash, password)
        self._store().save_setting(PASSWORD_KEY, hashed)

    # --- sign-in --------------------------------------------------------------------------------
    async def _check_setup_code(self, setup_code: str | None) -> None:
        expected = self._setup_hash()
        if expected is None:
            if self._open_first_use:
                return
            raise AuthError(
                "this charger has no setup code: it must be provisioned "
                "(smartcharge chargepoint provision)",
                403,
            )
        now = self._now()
        if now < self._lock.until:
            raise AuthError(
                "too many failed attempts; try again later", 429, self._lock.until - now
            )
        if not setup_code or not await asyncio.to_thread(setup_code_matches, expected, setup_code):
            self._failed(now, "setup code")
            raise AuthError("wrong or missing setup code: it is on the charger's label", 403)

    async def login(self, password: str, setup_code: str | None = None) -> str:
        """Sign in; with the label's setup code, even while the sign-in is locked out."""
        async with self._hashing:
            expected = self._setup_hash()
            proven = bool(
                setup_code
                and expected is not None
                and self.locked_for() > 0
                and await asyncio.to_thread(setup_code_matches, expected, setup_code)
            )
            await self._verify(password, locked_ok=proven)
        return self._new_token()

    async def _verify(self, password: str, *, locked_ok: bool = False) -> None:
        now = self._now()
        if now < self._lock.until and not locked_ok:
            raise AuthError(
                "too many failed sign-ins; try again later", 429, self._lock.until - now
            )
        stored = self._store().setting(PASSWORD_KEY)
        if not stored:
            raise AuthError("no owner password is set yet; set one first", 409)
        try:
            await asyncio.to_thread(self._hasher.verify, stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            self._failed(now)
            raise AuthError("wrong password", 401) from None
        self._lock.failures = 0
        self._lock.lockouts = 0
        if self._hasher.check_needs_rehash(stored):  # set with other parameters: re-hash
            hashed = await asyncio.to_thread(self._hasher.hash, password)
            self._store().save_setting(PASSWORD_KEY, hashed)

    def _failed(self, now: float, what: str = "sign-in") -> None:
        lock = self._lock
        lock.failures += 1
        self._event("OwnerLoginFailed", f"failed owner {what} {lock.failures} in a row")
        if lock.failures >= MAX_FAILURES:
            seconds = min(LOCKOUT_S * 2**lock.lockouts, LOCKOUT_MAX_S)
            lock.until = now + seconds
            lock.lockouts += 1
            lock.failures = 0
            self._event("OwnerLockedOut", f"owner sign-in locked for {seconds:.0f} s")

    def locked_for(self) -> float:
        return max(0.0, self._lock.until - self._now())

    # --- tokens ---------------------------------------------------------------------------------
    @staticmethod
    def _digest(token: str) -> str:
        # Only the hash is kept, so a memory dump of the process shows no usable token.
        return hashlib.sha256(token.encode()).hexdigest()

    def _new_token(self) -> str:
        now = self._now()
        self._expire(now)
        while len(self._tokens) >= MAX_TOKENS:
            oldest = min(self._tokens, key=self._tokens.__getitem__)
            del self._tokens[oldest]
        token = secrets.token_urlsafe(32)
        self._tokens[self._digest(token)] = now
        return token

    def _expire(self, now: float) -> None:
        for key, last in list(self._tokens.items()):
            if now - last > TOKEN_IDLE_S:
                del self._tokens[key]

    def check_token(self, token: str) -> bool:
        now = self._now()
        self._expire(now)
        key = self._digest(token)
        if key not in self._tokens:
            return False
        self._tokens[key] = now
        return True

    def logout(self, token: str) -> None:
        self._tokens.pop(self._digest(token), None)

    def revoke_all(self) -> None:
        """After a factory reset: nobody stays signed in."""
        self._tokens.clear()
        self._lock = _Lock()
