"""A PN532 RFID reader on a UART (HSU): ISO 14443A cards (MIFARE and the like), the usual reader
on charger boards. The poll asks for one card with a single try (RFConfiguration MaxRetries 0), so
an empty field answers at once; a card newly in the field is announced once, as its UID in hex
(the OCPP idTag), until it leaves. A reader that does not answer or answers garbage is logged once
per episode as a ReaderFailure and tried again at the next poll; cards come back with it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from smartcharge.chargepoint.hardware.devices.faults import READER_FAILURE, DeviceError
from smartcharge.chargepoint.hardware.devices.pn532_frames import (
    ACK,
    HOST,
    IN_LIST_PASSIVE_TARGET,
    PN532,
    RF_CONFIGURATION,
    SAM_CONFIGURATION,
    START,
    WAKE_UP,
    card_uid,
    decode_after_start,
    encode,
)
from smartcharge.chargepoint.hardware.devices.serial_port import SerialPort

log = logging.getLogger("smartcharge.chargepoint.hardware")


class Pn532Reader:
    """Implements `RfidReader`."""

    def __init__(self, port: SerialPort) -> None:
        self.port = port
        self._listeners: list[Callable[[str], None]] = []
        self._ready = False
        self._present: bytes | None = None
        self.fault: DeviceError | None = None

    def describe(self) -> str:
        return f"PN532 card reader on {self.port.where}"

    def on_card(self, callback: Callable[[str], None]) -> None:
        self._listeners.append(callback)

    async def _command(self, code: int, data: bytes = b"") -> bytes:
        async with self.port.lock:
            await self.port.send(encode(HOST, bytes([code]) + data))
            if await self.port.read_exactly(len(ACK)) != ACK:
                self.port.drop_input()
                raise DeviceError(READER_FAILURE, "the card reader did not acknowledge")
            await self.port.read_until(START)
            head = await self.port.read_exactly(2)
            length = head[0]
            rest = await self.port.read_exactly(length + 2)
        body = decode_after_start(head, rest)
        if body[0] != PN532 or len(body) < 2 or body[1] != code + 1:
            raise DeviceError(READER_FAILURE, "the card reader answered another command")
        return body

    async def _wake(self) -> None:
        await self.port.send(WAKE_UP)
        await self._command(SAM_CONFIGURATION, b"\x01\x14\x00")  # normal mode, no IRQ line
        await self._command(RF_CONFIGURATION, b"\x05\xff\x01\x00")  # one try: answer at once
        self._ready = True

    async def read_card(self) -> bytes | None:
        """The UID of the card in the field now, or None (DeviceError when the reader fails)."""
        if not self._ready:
            await self._wake()
        return card_uid(await self._command(IN_LIST_PASSIVE_TARGET, b"\x01\x00"))

    async def poll(self) -> None:
        try:
            uid = await self.read_card()
        except DeviceError as exc:
            if self.fault is None:
                log.warning("%s (%s); cards cannot be read until it answers", exc, exc.code)
            self.fault, self._ready = exc, False
            return
        if self.fault is not None:
            log.info("the card reader answers again")
            self.fault = None
        if uid is not None and uid != self._present:
            id_tag = uid.hex().upper()
            for listener in list(self._listeners):
                try:
                    listener(id_tag)
                except Exception:
                    log.exception("card listener %r failed", listener)
        self._present = uid
