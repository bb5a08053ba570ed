"""A site's own meter, read by the platform over Modbus TCP (issue 14 item 5): its reading of the
whole site's import (the house included) tells the balancer what load on the supply is not the
chargers'. The register maps are the charger's meter drivers' (Eastron SDM630, SDM72D-M, ABB
B23: chargepoint/hardware/devices/register_maps.py), read by the same Modbus code.

An operator sets it (`set_meter`: host, port, Modbus id, model); checked before anything is
stored (`Invalid`, nothing changed). `SiteMeters` keeps one client per site and says in words
what went wrong when the meter does not answer or answers nonsense; the balancer then holds
every charger of the site at its fallback share (services/site_balancer.py)."""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass, field

from smartcharge.chargepoint.hardware.config import Line
from smartcharge.chargepoint.hardware.devices.faults import Circuit, DeviceError, check_reading
from smartcharge.chargepoint.hardware.devices.modbus_line import ModbusLine
from smartcharge.chargepoint.hardware.devices.modbus_meter import ModbusMeter
from smartcharge.chargepoint.hardware.devices.register_maps import METER_MAPS
from smartcharge.platform.services.access import Caller
from smartcharge.platform.services.context import ServiceContext
from smartcharge.platform.services.errors import Invalid, NotAllowed, NotFound
from smartcharge.platform.services.site_supply import site_for
from smartcharge.platform.store.sites import Meter

log = logging.getLogger("smartcharge.platform.site_meter")

MODELS = tuple(sorted(METER_MAPS))
TIMEOUT_S = 0.5  # a meter on the site's network answers in well under this
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$|^[0-9A-Fa-f:]{2,39}$")


@dataclass(frozen=True)
class MeterChange:
    host: str
    port: int = 502
    unit: int = 1
    model: str = "sdm630"


def check(change: MeterChange) -> None:
    """`Invalid` with words for people unless `change` is a meter the platform can read."""
    if not _HOST.match(change.host):
        raise Invalid("host must be the meter's host name or IP address (no port, no spaces)")
    if not 1 <= change.port <= 65535:
        raise Invalid("port must be from 1 to 65535 (Modbus TCP is usually 502)")
    if not 1 <= change.unit <= 247:
        raise Invalid("unit must be the meter's Modbus id, from 1 to 247")
    if change.model not in METER_MAPS:
        raise Invalid(f"model must be one of {', '.join(MODELS)}")


async def meter(ctx: ServiceContext, who: Caller, name: str) -> Meter:
    found = await ctx.store.sites.meter(await site_for(ctx, who, name))
    if found is None:
        raise NotFound(f"site {name} has no meter set: its other load is the fixed figure")
    return found


async def set_meter(ctx: ServiceContext, who: Caller, name: str, change: MeterChange) -> Meter:
    site_id = await site_for(ctx, who, name)
    if who.role != "operator":
        raise NotAllowed("only an operator sets a site's meter")
    check(change)
    await ctx.store.sites.set_meter(site_id, at=ctx.now(), **asdict(change))
    if ctx.balancer is not None:
        ctx.balancer.changed(site_id)
    return await meter(ctx, who, name)


async def remove_meter(ctx: ServiceContext, who: Caller, name: str) -> None:
    site_id = await site_for(ctx, who, name)
    if who.role != "operator":
        raise NotAllowed("only an operator removes a site's meter")
    if not await ctx.store.sites.remove_meter(site_id):
        raise NotFound(f"site {name} has no meter set")
    if ctx.balancer is not None:
        ctx.balancer.changed(site_id)


@dataclass
class Reading:
    """The last read of a site's meter: the import per phase (A), or why there is none."""

    current_a: tuple[float, float, float] | None
    problem: str | None = None  # in words, when `current_a` is None


@dataclass
class SiteMeters:
    """One Modbus TCP client per site meter, made again when its settings change."""

    _clients: dict[int, tuple[Meter, ModbusMeter]] = field(default_factory=dict)
    last: dict[int, Reading] = field(default_factory=dict)  # site id -> its last read

    async def read(self, found: Meter, max_a: float) -> Reading:
        """The site's import per phase, checked (a number, not negative, within twice the
        supply's largest limit `max_a`), or the reason in words."""
        client = self._client(found)
        try:
            raw = await client.fetch()
            check_reading(raw, Circuit(max_current_a=2 * max_a, phases=3), None, 0.0)
        except DeviceError as exc:
            reading = Reading(None, f"the site meter at {found.host}:{found.port}: {exc.reason}")
            if self.last.get(found.site_id, reading).problem != reading.problem:
                log.warning("site meter failed site=%s problem=%s", found.site_id, exc.reason)
        else:
            reading = Reading(raw.current_a)
        self.last[found.site_id] = reading
        return reading

    def _client(self, found: Meter) -> ModbusMeter:
        known = self._clients.get(found.site_id)
        if known is not None and known[0] == found:
            return known[1]
        if known is not None:
            known[1].line.close()
        line = ModbusLine(Line(host=f"{_bracket(found.host)}:{found.port}", timeout_s=TIMEOUT_S))
        client = ModbusMeter(line, METER_MAPS[found.model], found.unit, Circuit(1.0, 3))
        self._clients[found.site_id] = (found, client)
        return client

    def forget(self, site_id: int) -> None:
        known = self._clients.pop(site_id, None)
        if known is not None:
            known[1].line.close()
        self.last.pop(site_id, None)

    def close(self) -> None:
        for site_id in list(self._clients):
            self.forget(site_id)


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host
