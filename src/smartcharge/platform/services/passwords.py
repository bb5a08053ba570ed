"""A charger's password (AuthorizationKey): rotated without ever locking the charger out.

The REST API (`POST /api/chargers/{identity}/password-rotation`) and the CLI
(`smartcharge platform rotate-password`) both end here, on one node or many: `send` is
`OcppServer.send`, which reaches a charger on any node (or `Cluster.call` from a process that
holds no chargers).

The keys that decide how a charger logs in (AuthorizationKey, SecurityProfile) are never sent
through the generic command route: a ChangeConfiguration of AuthorizationKey the platform does
not know of would leave the charger with a password the platform cannot check.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from smartcharge.ocpp.errors import CallError, CallTimeout, InvalidResponse
from smartcharge.platform.errors import ChargerOffline
from smartcharge.platform.registry import (
    RegistryError,
    UnknownCharger,
    check_identity,
    hash_charger_password,
    new_password,
)
from smartcharge.platform.store import Store

log = logging.getLogger("smartcharge.platform.passwords")

ROTATION_ROUTE = "POST /api/chargers/{identity}/password-rotation"
PROFILE_ROUTE = "PUT /api/chargers/{identity}/security-profile"
PROTECTED_KEYS = {"authorizationkey": ROTATION_ROUTE, "securityprofile": PROFILE_ROUTE}
"""Configuration keys only their own route may change (compared without case: some chargers
match keys that way), and that route."""


class RotationPending(RegistryError):
    """A rotation waits for the charger to reconnect; a second one could lock it out."""


class ProtectedKey(ValueError):
    """A ChangeConfiguration the generic command route must not send; names the right route."""


def refuse_protected_key(identity: str, action: str, payload: dict[str, Any]) -> None:
    """Raise `ProtectedKey` for ChangeConfiguration of AuthorizationKey or SecurityProfile."""
    if action != "ChangeConfiguration":
        return
    key = payload.get("key")
    route = PROTECTED_KEYS.get(key.casefold()) if isinstance(key, str) else None
    if route is not None:
        raise ProtectedKey(
            f"{key} is not changed through the command route: use "
            f"{route.format(identity=identity)}, which keeps the platform in step with the "
            "charger"
        )


Send = Callable[..., Awaitable[dict[str, Any]]]
"""`OcppServer.send(identity, action, payload, timeout=...)`, which reaches any node's chargers."""


@dataclass(frozen=True, slots=True)
class Rotation:
    identity: str
    status: str
    """The charger's answer to ChangeConfiguration(AuthorizationKey): `Accepted` or
    `RebootRequired` (the new password is valid now, the old one until the charger connects with
    the new one), `Rejected` or `NotSupported` (nothing changed), or `NoAnswer` (a timeout or a
    dropped connection: both stay valid; a reconnect with the old password shows the charger did
    not take it and ends the rotation)."""

    @property
    def accepted(self) -> bool:
        return self.status in ("Accepted", "RebootRequired")

    @property
    def words(self) -> str:
        """What happened, for the person who asked."""
        if self.accepted:
            return (
                f"Charger {self.identity} took its new password ({self.status}); the old one "
                "stays valid until it connects with the new one."
            )
        if self.status == "NoAnswer":
            return (
                f"Charger {self.identity} did not answer: both passwords stay valid until it "
                "reconnects (with the old one, the new one is dropped)."
            )
        return f"Charger {self.identity} answered {self.status}: its password is unchanged."


async def rotate_password(
    store: Store,
    send: Send,
    identity: str,
    *,
    timeout: float | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Rotation:
    """Give a connected charger a fresh password without ever locking it out.

    The new password (`registry.new_password`: the whitepaper's AuthorizationKey format) has its
    hash stored beside the old one *before* ChangeConfiguration(AuthorizationKey) goes out, so
    whatever happens next (the platform crashing, the answer lost) the charger can connect with
    either. The old password is dropped only when the charger connects with the new one
    (`registry.password_check`); a definite Rejected drops the new one. The new password is sent
    only to the charger, never shown or logged.

    Raises `UnknownCharger`, `RegistryError` (a certificate-only charger), `RotationPending`,
    `ChargerOffline` (not connected to any node: nothing is stored) or the charger's `CallError`
    (then nothing changed).
    """
    creds = await store.chargers.credentials(check_identity(identity))
    if creds is None:
        raise UnknownCharger(f"no charger {identity!r}")
    if creds.password_hash is None:
        raise RegistryError(f"charger {identity!r} uses a client certificate, not a password")
    if await store.chargers.connected_node(identity) is None:
        raise ChargerOffline(identity)
    password = new_password(identity)
    pending = await asyncio.to_thread(hash_charger_password, password)
    if not await store.chargers.begin_rotation(creds.id, pending):
        raise RotationPending(
            f"charger {identity!r} has a password rotation in progress: it ends when the charger "
            "reconnects (with the new password, or with the old one if it never took it)"
        )
    payload = {"key": "AuthorizationKey", "value": password}
    try:
        answer = await send(identity, "ChangeConfiguration", payload, timeout=timeout)
    except CallError:
        await store.chargers.drop_rotation(creds.id, pending)
        raise
    except (CallTimeout, InvalidResponse, ConnectionError) as exc:
        log.warning("password rotation unanswered identity=%s reason=%s", identity, type(exc))
        return Rotation(identity, "NoAnswer")
    status = str(answer["status"])
    if status in ("Accepted", "RebootRequired"):
        await store.chargers.rotation_accepted(creds.id, pending, at=now())
    else:
        await store.chargers.drop_rotation(creds.id, pending)
    log.info("password rotation identity=%s status=%s", identity, status)
    return Rotation(identity, status)
