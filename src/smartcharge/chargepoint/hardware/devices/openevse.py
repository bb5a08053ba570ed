"""The OpenEVSE controller board over its RAPI serial protocol.

Commands are `$XX args^CK\r`, CK the XOR of every character before `^` in two hex digits;
answers are `$OK ...` or `$NK ...` with the same checksum; the board also sends `$ST state` on its
own when its state changes (read and skipped here: the poll asks anyway). `$GS` gives the EVSE
state (hex) and, on current firmware, the pilot state while the board sleeps; `$SC amps` sets the
offered current, `$FE` enables (the relay closes while the car asks), `$FS` sleeps (relay open).
"""

from __future__ import annotations

from ocpp.v16.enums import ChargePointErrorCode as Code

from smartcharge.chargepoint.hardware.devices.controller import NO_ERROR, ControllerState
from smartcharge.chargepoint.hardware.devices.faults import INTERNAL_ERROR, DeviceError
from smartcharge.chargepoint.hardware.devices.serial_port import SerialPort
from smartcharge.chargepoint.hardware.ports import PilotState

_PILOT = {1: PilotState.A, 2: PilotState.B, 3: PilotState.C, 4: PilotState.D}
# The board's fault states: (OCPP error code, what the installer is told).
FAULTS = {
    5: (Code.ev_communication_error.value, "the controller's diode check failed"),
    6: (Code.ground_failure.value, "the controller's GFCI tripped"),
    7: (Code.ground_failure.value, "the controller finds no earth"),
    8: (Code.power_switch_failure.value, "the controller reports a stuck relay"),
    9: (Code.ground_failure.value, "the controller's GFCI self-test failed"),
    10: (Code.high_temperature.value, "the controller is too hot"),
    11: (Code.over_current_failure.value, "the controller measured an over-current"),
}
SLEEPING, DISABLED = 0xFE, 0xFF


def checksum(body: bytes) -> bytes:
    x = 0
    for b in body:
        x ^= b
    return b"%02X" % x


def frame(command: str) -> bytes:
    body = b"$" + command.encode("ascii")
    return body + b"^" + checksum(body) + b"\r"


def parse(line: bytes) -> list[str]:
    """The fields of one answer line (`$OK a b^CK\r` -> ["OK", "a", "b"]); DeviceError when
    it is not a well-formed RAPI line with the right checksum."""
    text = line.rstrip(b"\r")
    body, sep, ck = text.rpartition(b"^")
    if not sep or not body.startswith(b"$") or checksum(body) != ck.upper():
        raise DeviceError(INTERNAL_ERROR, "the controller's answer failed its checksum")
    try:
        return body[1:].decode("ascii").split()
    except UnicodeDecodeError:
        raise DeviceError(INTERNAL_ERROR, "the controller sent bytes that are not RAPI") from None


class OpenEvse:
    def __init__(self, port: SerialPort) -> None:
        self.port = port
        self._offered = 0
        self._enabled = False

    def describe(self) -> str:
        return f"OpenEVSE controller on {self.port.where}"

    async def _ask(self, command: str) -> list[str]:
        async with self.port.lock:
            await self.port.send(frame(command))
            for _ in range(4):  # skip the board's own $ST notices
                fields = parse(await self.port.read_until(b"\r"))
                if fields and fields[0] != "ST":
                    break
            else:
                raise DeviceError(INTERNAL_ERROR, "the controller only sent notices")
        if not fields or fields[0] != "OK":
            raise DeviceError(INTERNAL_ERROR, f"the controller refused {command.split()[0]}")
        return fields[1:]

    async def poll(self) -> ControllerState:
        fields = await self._ask("GS")
        try:
            state = int(fields[0], 16)
            pilot_field = int(fields[2], 16) if len(fields) > 2 else None
        except (IndexError, ValueError):
            raise DeviceError(INTERNAL_ERROR, "the controller's state is not a number") from None
        if state in FAULTS:
            code, reason = FAULTS[state]
            return ControllerState(PilotState.F, code, False, 0.0, reason)
        if state in (SLEEPING, DISABLED):
            pilot = _PILOT.get(pilot_field or 0)
            if pilot is None:
                raise DeviceError(INTERNAL_ERROR, "the controller sent a state it cannot be in")
            return ControllerState(pilot, NO_ERROR, False, 0.0)
        if state not in _PILOT:
            raise DeviceError(INTERNAL_ERROR, "the controller sent a state it cannot be in")
        pilot = _PILOT[state]
        offered = float(self._offered) if self._enabled else 0.0
        closed = pilot in (PilotState.C, PilotState.D) and self._enabled
        return ControllerState(pilot, NO_ERROR, closed, offered)

    async def apply(self, offered_a: float, enabled: bool) -> None:
        amps = int(offered_a)
        if enabled and amps >= 6:
            await self._ask(f"SC {amps}")
            await self._ask("FE")
            self._offered, self._enabled = amps, True
        else:
            await self._ask("FS")
            self._offered, self._enabled = 0, False
