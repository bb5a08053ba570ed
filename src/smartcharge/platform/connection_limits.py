"""How many connections one listener holds open: in all, and from one address.

Each listener (OCPP, HTTP) has its own `ConnectionLimits`, and the caps of both together stay
under the process's open-file limit (`fit_open_file_limit`), so a flood on one listener is
refused there and cannot take the file descriptors the other one needs (docs/security.md).
A refused connection gets a 503 and is closed at once; refusals are logged as one summary line
per interval, not one line per socket, so a flood cannot fill the log either.
"""

from __future__ import annotations

import logging
import resource
import time
from collections.abc import Callable

log = logging.getLogger("smartcharge.platform.limits")

REFUSED = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Retry-After: 10\r\n"
    b"Connection: close\r\n"
    b"Content-Length: 20\r\n\r\n"
    b"Too many connections"
)
"""What a connection over a cap is told before it is closed (no HTTP parsing needed)."""


class ConnectionLimits:
    def __init__(
        self,
        name: str,
        *,
        total: int,
        per_address: int,
        clock: Callable[[], float] = time.monotonic,
        log_interval: float = 10.0,
    ) -> None:
        if total < 1 or per_address < 1:
            raise ValueError("connection caps must be at least 1")
        self.name = name
        self.total = total
        self.per_address = per_address
        self._clock = clock
        self._log_interval = log_interval
        self._open: dict[str, int] = {}
        self._count = 0
        self._refused = 0
        self._refused_since: float | None = None

    @property
    def open(self) -> int:
        return self._count

    def open_from(self, address: str) -> int:
        return self._open.get(address, 0)

    def admit(self, address: str) -> bool:
        """Count a new connection from `address`; False (not counted) when over a cap."""
        held = self._open.get(address, 0)
        if self._count >= self.total or held >= self.per_address:
            self._note_refusal(address, "total" if self._count >= self.total else "address")
            return False
        self._open[address] = held + 1
        self._count += 1
        return True

    def release(self, address: str) -> None:
        """An admitted connection from `address` has closed."""
        held = self._open.get(address, 0)
        if held <= 1:
            self._open.pop(address, None)
        else:
            self._open[address] = held - 1
        self._count = max(0, self._count - 1)

    def _note_refusal(self, address: str, cap: str) -> None:
        self._refused += 1
        now = self._clock()
        if self._refused_since is not None and now - self._refused_since < self._log_interval:
            return
        log.warning(
            "connections refused listener=%s count=%d cap=%s last_address=%s open=%d "
            "total_cap=%d per_address_cap=%d",
            self.name,
            self._refused,
            cap,
            address,
            self._count,
            self.total,
            self.per_address,
        )
        self._refused, self._refused_since = 0, now


FILES_PER_PROCESS = 64
"""Descriptors the process needs beyond its connections (database, logs, listeners)."""


def fit_open_file_limit(*limits: ConnectionLimits) -> int:
    """Make every listener's total cap fit the process's open-file limit; returns the limit.

    The soft limit is first raised towards the hard one. If even that cannot hold the caps (plus
    the process's own files and an eighth for connections being refused at the door), the caps
    are lowered in proportion and a warning names the settings, so that a flood on one listener
    still cannot take the descriptors the other one needs.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return -1
    wanted = sum(limit.total for limit in limits)
    need = wanted + _reserve(wanted + FILES_PER_PROCESS)
    if soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(need, hard)
        if target > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
    room = soft - _reserve(soft)
    if wanted > room:
        for limit in limits:
            limit.total = max(1, limit.total * room // wanted)
            limit.per_address = min(limit.per_address, limit.total)
        log.warning(
            "open-file limit %d is below the connection caps: lowered to %s; raise LimitNOFILE "
            "or lower ocpp_max_connections / http_max_connections",
            soft,
            ", ".join(f"{limit.name} {limit.total}" for limit in limits),
        )
    return int(soft)


def accept_backlog(wanted: int) -> int:
    """The accept queue for a listener that strangers can flood, fitted to the open-file limit.

    A connection over the caps still holds a descriptor from its accept until its refusal is
    closed, a few turns of the loop later, and asyncio accepts up to `backlog` connections per
    turn (uvloop until the queue is empty). Under a flood, a queue longer than the files kept
    for refusals let one burst take every descriptor: then no listener could accept, and
    asyncio logged a traceback per try and stopped accepting for a second, the chargers'
    listener too (bench/flood.py). A shorter queue makes the kernel hold off the excess before
    it costs the process anything.
    """
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(8, min(wanted, _reserve(soft) // 4))


def _reserve(files: int) -> int:
    return max(FILES_PER_PROCESS, files // 8)
