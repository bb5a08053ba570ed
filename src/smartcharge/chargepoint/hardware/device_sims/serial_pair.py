"""Two pseudo-terminals joined like a null-modem cable, for serial devices on a laptop.

`a` and `b` are device paths (/dev/pts/N): the simulated device opens one, the driver the other,
and bytes written to either come out of the other, through `mangle` when set (a CRC error, a
truncated frame, noise: faults at the byte level, below any protocol library).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tty
from collections.abc import Callable

Mangle = Callable[[bytes], bytes]


class SerialPair:
    def __init__(self) -> None:
        self._master_a, self._slave_a = os.openpty()
        self._master_b, self._slave_b = os.openpty()
        for fd in (self._slave_a, self._slave_b):
            tty.setraw(fd)
        self.a = os.ttyname(self._slave_a)
        self.b = os.ttyname(self._slave_b)
        self.mangle_a_to_b: Mangle | None = None  # what the device at `a` sends
        self.mangle_b_to_a: Mangle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        loop.add_reader(self._master_a, self._pump, self._master_a, self._master_b, "a")
        loop.add_reader(self._master_b, self._pump, self._master_b, self._master_a, "b")

    def _pump(self, src: int, dst: int, side: str) -> None:
        try:
            data = os.read(src, 4096)
        except OSError:
            return  # the other end is closed for now (a driver reconnecting)
        mangle = self.mangle_a_to_b if side == "a" else self.mangle_b_to_a
        if mangle is not None:
            data = mangle(data)
        if data:
            with contextlib.suppress(OSError):
                os.write(dst, data)

    def close(self) -> None:
        if self._loop is not None:
            for fd in (self._master_a, self._master_b):
                self._loop.remove_reader(fd)
        for fd in (self._master_a, self._master_b, self._slave_a, self._slave_b):
            with contextlib.suppress(OSError):
                os.close(fd)
