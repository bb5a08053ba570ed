"""Firmware (R30): the version a charger runs and its update's progress, a signed firmware
update sent to it (SignedUpdateFirmware: the charger checks the manufacturer's signature before
installing), and the releases an operator publishes for the owners' pages to offer."""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smartcharge.ocpp.times import format_time
from smartcharge.platform.handlers.uk_extensions import UpdateFound, latest_update_found
from smartcharge.platform.services.access import Caller, ChargerAccess
from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.services.errors import Invalid, NotAllowed, NotFound

RELEASE_LIMITS = (  # field, longest (as the REST API's FirmwareRequest)
    ("location", 512),
    ("signing_certificate", 5500),
    ("signature", 800),
)


@dataclass(frozen=True)
class FirmwareState:
    identity: str
    firmware_version: str | None  # from the last boot
    events: list[Any]  # SignedFirmwareStatusNotification rows, newest first
    charger_found: UpdateFound | None  # the newer version the charger's own check found

    def found_as_dict(self) -> dict[str, Any] | None:
        return None if self.charger_found is None else dataclasses.asdict(self.charger_found)


async def state(ctx: ServiceContext, charger: ChargerAccess) -> FirmwareState:
    row = await ctx.store.history.charger(charger.caller.scope, charger.identity)
    if row is None:
        raise NotFound(f"no charger {charger.identity}")
    events = list(await ctx.store.history.firmware_events(charger.id))
    found = await latest_update_found(ctx.store.engine, charger.id)
    return FirmwareState(charger.identity, row["firmware_version"], events, found)


async def update(
    ctx: ServiceContext,
    charger: ChargerAccess,
    *,
    location: str,
    retrieve_date: datetime,
    signing_certificate: str,
    signature: str,
    install_date: datetime | None = None,
    retries: int | None = None,
    retry_interval: int | None = None,
) -> dict[str, Any]:
    """SignedUpdateFirmware; the charger's answer and the request id (`requestId`)."""
    charger.require_admin()
    fw: dict[str, Any] = {
        "location": location,
        "retrieveDateTime": format_time(retrieve_date),
        "signingCertificate": signing_certificate,
        "signature": signature,
    }
    if install_date is not None:
        fw["installDateTime"] = format_time(install_date)
    payload: dict[str, Any] = {"requestId": secrets.randbelow(2**31 - 1), "firmware": fw}
    if retries is not None:
        payload["retries"] = retries
    if retry_interval is not None:
        payload["retryInterval"] = retry_interval
    answer = await ctx.commander.send(
        charger.identity, charger.id, "SignedUpdateFirmware", payload, user_id=charger.user_id
    )
    return {**answer, "requestId": payload["requestId"]}


async def offer(ctx: ServiceContext, row: Any) -> dict[str, Any] | None:
    """The newest release published for this charger's model, if it does not run it yet."""
    release = await ctx.store.owner_records.latest_release(row["model"])
    if release is None or release["version"] == row["firmware_version"]:
        return None
    return release


async def release(ctx: ServiceContext, release_id: int) -> dict[str, Any] | None:
    """A published release (id, model, version, location, signing_certificate, signature)."""
    return await ctx.store.owner_records.release(release_id)


async def install(
    ctx: ServiceContext, charger: ChargerAccess, found: dict[str, Any]
) -> dict[str, Any]:
    """Send a published release (`release`) to the charger; its answer."""
    return await update(
        ctx,
        charger,
        location=found["location"],
        retrieve_date=ctx.now(),
        signing_certificate=found["signing_certificate"],
        signature=found["signature"],
    )


async def publish(
    ctx: ServiceContext, who: Caller, *, version: str, model: str | None, **release: str
) -> int:
    """An operator publishes a release (location, signing_certificate, signature) for one model
    (None: every model); `Invalid` names the first field missing or too long."""
    if who.role != "operator":
        raise NotAllowed("only an operator publishes firmware")
    values = {name: release.get(name, "").strip() for name, _ in RELEASE_LIMITS}
    for name, longest in RELEASE_LIMITS:
        if not values[name]:
            raise Invalid(f"{name} is missing")
        if len(values[name]) > longest:
            raise Invalid(f"{name} is longer than {longest} characters")
    if not version.strip():
        raise Invalid("the version is missing")
    return await ctx.store.owner_records.publish(
        at=ctx.now(), model=(model or "").strip() or None, version=version.strip(), **values
    )
