"""A PN532 reader on a serial line (a pty in tests): answers SAMConfiguration, RFConfiguration
and InListPassiveTarget with ACK + answer frames, a card in the field when `card` holds a UID.
`silent` makes it answer nothing (a reader unplugged)."""

from __future__ import annotations

import serial_asyncio

from smartcharge.chargepoint.hardware.device_sims.serial_peer import SerialPeer
from smartcharge.chargepoint.hardware.devices.pn532_frames import (
    ACK,
    IN_LIST_PASSIVE_TARGET,
    PN532,
    START,
    encode,
)


class SimulatedPn532(SerialPeer):
    def __init__(self) -> None:
        self.card: bytes | None = None
        self.silent = False
        self.commands: list[int] = []

    def answer(self, body: bytes) -> bytes:
        code = body[1]
        self.commands.append(code)
        data = b""
        if code == IN_LIST_PASSIVE_TARGET:
            if self.card is None:
                data = b"\x00"
            else:  # one target: Tg 1, SENS_RES 00 44, SEL_RES 00, the UID
                data = b"\x01\x01\x00\x44\x00" + bytes([len(self.card)]) + self.card
        return ACK + encode(PN532, bytes([code + 1]) + data)

    async def serve(self, path: str) -> None:
        reader, writer = await serial_asyncio.open_serial_connection(url=path, baudrate=115200)
        try:
            while True:
                await reader.readuntil(START)  # skips the wake-up preamble too
                head = await reader.readexactly(2)
                if head == b"\x00\xff":  # an ACK from the host: nothing to answer
                    await reader.readexactly(1)
                    continue
                rest = await reader.readexactly(head[0] + 2)
                if not self.silent:
                    writer.write(self.answer(rest[: head[0]]))
        finally:
            writer.close()
