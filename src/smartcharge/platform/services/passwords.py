"""A charger's password (AuthorizationKey): rotated without ever locking the charger out.

The REST API (`POST /api/chargers/{identity}/password-rotation`) and the CLI
(`smartcharge platform rotate-password`) both end here, on one node or many: `send` is
`OcppServer.send`, which reaches a charger on any node (or `Cluster.call` from a process that
holds no chargers).

The keys that decide how a charger logs in (AuthorizationKey, SecurityProfile) are never sent
through the generic command route (`commands.PROTECTED_KEYS`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from smartcharge.ocpp.errors import CallError, CallTimeout, InvalidResponse
from smartcharge.platform.commands import CommandFailed
from smartcharge.platform.errors import ChargerOffline
from smartcharge.platform.registry import (
    RegistryError,
    UnknownCharger,
    check_identity,
    hash_charger_password,
    new_password,
)
from smartcharge.platform.services.access import ChargerAccess
from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.services.errors import Conflict
from smartcharge.platform.store import Store

log = logging.getLogger("smartcharge.platform.passwords")


class RotationPending(RegistryError):
    """A rotation waits for the charger to reconnect; a second one could lock it out."""


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


async def rotate(
    ctx: ServiceContext, charger: ChargerAccess, *, timeout: float | None = None
) -> Rotation:
    """`rotate_password` on a caller's behalf (owner, workplace administrator, operator).
    Raises `Conflict` (offline, certificate-only, a rotation waiting for the reconnect) or
    `CommandFailed` (the charger answered CALLERROR: nothing changed)."""
    charger.require_admin()
    try:
        return await rotate_password(
            ctx.store, ctx.ocpp.send, charger.identity, timeout=timeout, now=ctx.now
        )
    except ChargerOffline:
        raise Conflict(f"charger {charger.identity} is offline") from None
    except RegistryError as exc:
        raise Conflict(str(exc)) from None
    except CallError as exc:
        raise CommandFailed(
            "call_error",
            502,
            f"charger {charger.identity} answered {exc.code}: its password is unchanged",
            code=exc.code,
        ) from None
