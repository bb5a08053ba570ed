"""The simulator's HTTP JSON control API: the outside world of a simulated charger.

Served by the charge point on `[simulator] control = "127.0.0.1:PORT"`. It plugs EVs in, presents
cards, opens the enclosure, pulls the network cable and injects faults, and shows hardware truth
next to the software's view (`GET /state`). Reference with examples: docs/simulator.md.

Every body is validated in full before anything is touched; a bad request gets a 4xx JSON
`{"error": "...", "field": "..."}` and changes nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web
from pydantic import Field, field_validator

from smartcharge.chargepoint.hardware.simulated.connector import FAULT_CODES
from smartcharge.chargepoint.hardware.simulated.hardware import SimulatedHardware
from smartcharge.chargepoint.http_json import (
    BadRequest,
    Body,
    JsonService,
    json_errors,
    json_response,
    read_body,
)

log = logging.getLogger(__name__)

StateProvider = Callable[[], Mapping[int, Mapping[str, Any]]]
"""The charge point's view per connector id: at least "status" and "transaction_id"."""

MAX_BATTERY_KWH = 250.0
MAX_EV_POWER_W = 350_000.0
MAX_ID_TAG_LEN = 20  # OCPP 1.6 IdToken is CiString20Type
MAX_METER_ERROR = 0.5
_CONNECTOR_ID = re.compile(r"[1-9][0-9]{0,5}")  # ASCII: isdigit() takes any script


class PlugBody(Body):
    battery_kwh: float = Field(gt=0, le=MAX_BATTERY_KWH)
    soc: float = Field(ge=0, le=100)
    max_power_w: float = Field(gt=0, le=MAX_EV_POWER_W)
    phases: int | None = None

    @field_validator("phases")
    @classmethod
    def _one_or_three(cls, v: int | None) -> int | None:
        if v is not None and v not in (1, 3):
            raise ValueError("phases must be 1 or 3")
        return v


class FaultBody(Body):
    code: str

    @field_validator("code")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in FAULT_CODES:
            raise ValueError(
                f"unknown fault code; expected one of {', '.join(sorted(FAULT_CODES))}"
            )
        return v


class EvBody(Body):
    paused: bool


class RfidBody(Body):
    id_tag: str = Field(min_length=1, max_length=MAX_ID_TAG_LEN)


class TamperBody(Body):
    description: str = Field(default="enclosure opened", min_length=1, max_length=200)


class NetworkBody(Body):
    up: bool


class MeterBody(Body):
    error_fraction: float = Field(ge=-MAX_METER_ERROR, le=MAX_METER_ERROR)


def parse_control_address(address: str) -> tuple[str, int]:
    """Split `[simulator] control` ("127.0.0.1:8181", "[::1]:8181") into host and port."""
    host, sep, port = address.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"simulator control address must be HOST:PORT, got {address!r}")
    return host, int(port)


class ControlApi(JsonService):
    """The control API application for one `SimulatedHardware`; `start` serves it."""

    name = "the simulator control API"

    def __init__(
        self, hardware: SimulatedHardware, state_provider: StateProvider | None = None
    ) -> None:
        self.hardware = hardware
        self._state_provider = state_provider
        super().__init__(web.Application(middlewares=[json_errors]))
        self.app.add_routes(
            [
                web.get("/state", self._get_state),
                web.post("/connectors/{n}/plug", self._plug),
                web.post("/connectors/{n}/unplug", self._unplug),
                web.post("/connectors/{n}/fault", self._inject_fault),
                web.delete("/connectors/{n}/fault", self._clear_fault),
                web.post("/connectors/{n}/ev", self._ev),
                web.post("/connectors/{n}/meter", self._meter),
                web.post("/rfid", self._rfid),
                web.post("/tamper", self._tamper),
                web.post("/network", self._network),
            ]
        )

    # -- views -------------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Hardware truth merged with the software's view (the software's keys win)."""
        truth = self.hardware.snapshot()
        software = self._state_provider() if self._state_provider is not None else {}
        for key, connector in truth["connectors"].items():
            view = software.get(int(key), {})
            connector["status"] = view.get("status")
            connector["transaction_id"] = view.get("transaction_id")
            connector.update(view)
        return truth

    def _connector_id(self, request: web.Request) -> int:
        raw = request.match_info["n"]
        n = int(raw) if _CONNECTOR_ID.fullmatch(raw) else None
        if n is None or n not in self.hardware.simulated_connectors:
            count = len(self.hardware.simulated_connectors)
            raise BadRequest(404, f"no connector {raw!r}; this charger has connectors 1..{count}")
        return n

    def _conflict(self, action: Callable[[], object]) -> None:
        try:
            action()
        except ValueError as exc:
            raise BadRequest(409, str(exc)) from None

    # -- handlers ----------------------------------------------------------------------------------

    async def _get_state(self, request: web.Request) -> web.Response:
        return json_response(self.state())

    async def _plug(self, request: web.Request) -> web.Response:
        n = self._connector_id(request)
        body = await read_body(request, PlugBody)
        self._conflict(
            lambda: self.hardware.plug(
                n, body.battery_kwh, body.soc, body.max_power_w, phases=body.phases
            )
        )
        return json_response(self.state())

    async def _unplug(self, request: web.Request) -> web.Response:
        n = self._connector_id(request)
        self._conflict(lambda: self.hardware.unplug(n))
        return json_response(self.state())

    async def _inject_fault(self, request: web.Request) -> web.Response:
        n = self._connector_id(request)
        body = await read_body(request, FaultBody)
        self.hardware.inject_fault(n, body.code)
        return json_response(self.state())

    async def _clear_fault(self, request: web.Request) -> web.Response:
        n = self._connector_id(request)
        self.hardware.clear_fault(n)
        return json_response(self.state())

    async def _ev(self, request: web.Request) -> web.Response:
        n = self._connector_id(request)
        body = await read_body(request, EvBody)
        self._conflict(lambda: self.hardware.set_ev_paused(n, body.paused))
        return json_response(self.state())

    async def _meter(self, request: web.Request) -> web.Response:
        n = self._connector_id(request)
        body = await read_body(request, MeterBody)
        self.hardware.set_meter_error(n, body.error_fraction)
        return json_response(self.state())

    async def _rfid(self, request: web.Request) -> web.Response:
        body = await read_body(request, RfidBody)
        self.hardware.present_card(body.id_tag)
        return json_response(self.state())

    async def _tamper(self, request: web.Request) -> web.Response:
        body = await read_body(request, TamperBody, required=False)
        self.hardware.tamper_with(body.description)
        return json_response(self.state())

    async def _network(self, request: web.Request) -> web.Response:
        body = await read_body(request, NetworkBody)
        self.hardware.set_network(body.up)
        return json_response(self.state())
