"""A serial line for the byte-oriented devices (OpenEVSE's RAPI, the PN532 reader), opened lazily
and opened again after a failure, every read bounded by a timeout. Errors come out as
`DeviceError` in plain words."""

from __future__ import annotations

import asyncio
import contextlib

import serial_asyncio

from smartcharge.chargepoint.hardware.config import Line
from smartcharge.chargepoint.hardware.devices.faults import DeviceError

MAX_FRAME = 512  # no answer of these devices is longer; more is noise


class SerialPort:
    def __init__(self, config: Line, *, code: str, what: str) -> None:
        assert config.port is not None
        self.config = config
        self.where = config.port
        self.code = code
        self.what = what
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self.lock = asyncio.Lock()  # one exchange at a time

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None:
            try:
                self._reader, self._writer = await asyncio.wait_for(
                    serial_asyncio.open_serial_connection(
                        url=self.config.port,
                        baudrate=self.config.baudrate,
                        parity=self.config.parity,
                        stopbits=self.config.stopbits,
                    ),
                    self.config.timeout_s * 3,
                )
            except (OSError, TimeoutError, ValueError) as exc:
                raise DeviceError(
                    self.code, f"cannot open {self.where} to reach the {self.what}"
                ) from exc
        return self._reader, self._writer

    async def send(self, data: bytes) -> None:
        _, writer = await self._open()
        try:
            writer.write(data)
            await asyncio.wait_for(writer.drain(), self.config.timeout_s)
        except (OSError, TimeoutError) as exc:
            self.close()
            raise DeviceError(self.code, f"cannot write to the {self.what}") from exc

    async def read_until(self, end: bytes) -> bytes:
        reader, _ = await self._open()
        try:
            data = await asyncio.wait_for(reader.readuntil(end), self.config.timeout_s)
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            self.drop_input()
            raise DeviceError(
                self.code, f"the {self.what} did not answer on {self.where}"
            ) from None
        if len(data) > MAX_FRAME:
            raise DeviceError(self.code, f"the {self.what} sent an answer far too long")
        return data

    async def read_exactly(self, n: int) -> bytes:
        reader, _ = await self._open()
        try:
            return await asyncio.wait_for(reader.readexactly(n), self.config.timeout_s)
        except (TimeoutError, asyncio.IncompleteReadError, OSError):
            self.drop_input()
            raise DeviceError(
                self.code, f"the {self.what} did not answer on {self.where}"
            ) from None

    def _silent(self) -> DeviceError:
        return DeviceError(self.code, f"the {self.what} did not answer on {self.where}")

    def drop_input(self) -> None:
        """Forget whatever half-frame is buffered, so the next exchange starts clean."""
        if self._reader is not None:
            buffer = getattr(self._reader, "_buffer", None)
            if isinstance(buffer, bytearray):
                buffer.clear()

    def close(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.close()
        self._reader = self._writer = None
