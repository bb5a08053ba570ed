"""An OpenEVSE board speaking RAPI on a serial line (a pty in tests), in front of a simulated
connector: `$GS`, `$SC`, `$FE`, `$FS` as the board answers them, with the XOR checksum; a
command with a bad checksum gets `$NK`. A fault injected into the simulated connector shows as the
board's fault state; `silent` and `state` (a raw state to report) serve the driver's fault tests.
"""

from __future__ import annotations

import serial_asyncio
from ocpp.v16.enums import ChargePointErrorCode as Code

from smartcharge.chargepoint.hardware.device_sims.serial_peer import SerialPeer
from smartcharge.chargepoint.hardware.devices.openevse import SLEEPING, checksum
from smartcharge.chargepoint.hardware.ports import PilotState
from smartcharge.chargepoint.hardware.simulated.connector import SimulatedConnector

_STATE = {PilotState.A: 1, PilotState.B: 2, PilotState.C: 3, PilotState.D: 4}
_FAULT_STATE = {
    Code.ev_communication_error.value: 5,
    Code.ground_failure.value: 6,
    Code.power_switch_failure.value: 8,
    Code.high_temperature.value: 10,
    Code.over_current_failure.value: 11,
}


def _reply(fields: str) -> bytes:
    body = b"$" + fields.encode("ascii")
    return body + b"^" + checksum(body) + b"\r"


class SimulatedOpenEvse(SerialPeer):
    def __init__(self, connector: SimulatedConnector) -> None:
        self.connector = connector
        self.amps = 16
        self.enabled = False
        self.silent = False
        self.state: int | None = None  # a raw state to report instead of the truth
        self.commands: list[str] = []

    def drive(self) -> None:
        c = self.connector
        c.set_offered_current(float(self.amps) if self.enabled else 0.0)
        c.set_contactor(self.enabled and c.pilot_state() in (PilotState.C, PilotState.D))

    def _gs(self) -> str:
        c = self.connector
        pilot = _STATE.get(c.pilot_state(), 2)
        if self.state is not None:
            state = self.state
        elif c.faulted:
            state = _FAULT_STATE.get(c.error_code(), 5)
        else:
            state = pilot if self.enabled else SLEEPING
        return f"OK {state:02X} 0 {pilot:02X} 0"

    def answer(self, line: bytes) -> bytes:
        body, sep, ck = line.rstrip(b"\r").rpartition(b"^")
        if not sep or checksum(body) != ck.upper() or not body.startswith(b"$"):
            return _reply("NK")
        fields = body[1:].decode("ascii", "replace").split()
        self.commands.append(" ".join(fields))
        command, args = (fields[0], fields[1:]) if fields else ("", [])
        if command == "GS":
            self.drive()
            return _reply(self._gs())
        if command == "SC" and args and args[0].isdigit() and 6 <= int(args[0]) <= 80:
            self.amps = int(args[0])
        elif command == "FE":
            self.enabled = True
        elif command == "FS":
            self.enabled = False
        else:
            return _reply("NK")
        self.drive()
        return _reply("OK")

    async def serve(self, path: str) -> None:
        reader, writer = await serial_asyncio.open_serial_connection(url=path, baudrate=115200)
        try:
            while True:
                line = await reader.readuntil(b"\r")
                if not self.silent:
                    writer.write(self.answer(line))
        finally:
            writer.close()
