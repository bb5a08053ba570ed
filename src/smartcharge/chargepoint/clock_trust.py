"""Whether the charger can trust its wall clock, and so tell peak hours (R13-R17).

A Raspberry Pi has no real-time clock: it boots with the time it last saved (or 1970) and learns
the real time from NTP or from the central system. Until then a wrong clock could put a weekday
18:00 in "default charging hours". So the charger trusts its clock only once one of these holds,
and from then on for the rest of the boot:

- the kernel says the clock is synchronised (NTP: `adjtimex` reports no TIME_ERROR);
- the central system's time was received and was plausible (BootNotification, Heartbeat);
- the board has a battery-backed real-time clock (`[clock] rtc = true`);
- the clock is a simulated one (the demo, tests, the compliance suite's own timeline).

While it does not, energy flows only on the owner's word: the default charging hours and the
owner's schedule wait ("waiting for the clock to be set"), but "charge now" (R18) works as always
and so does a charger whose owner removed the default hours (R15, R16): the owner is never left
unable to charge, and the charger never charges in peak hours on a guess.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from collections.abc import Callable

log = logging.getLogger("smartcharge.chargepoint.time")

TIME_ERROR = 5  # adjtimex(2): the clock is not synchronised
_TIMEX_BYTES = 512  # struct timex is 208 bytes on 64-bit Linux; room to spare


def kernel_synchronised() -> bool:
    """True when the kernel reports its clock synchronised (NTP / timesyncd / chrony)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        buffer = ctypes.create_string_buffer(_TIMEX_BYTES)  # modes = 0: only read
        state = int(libc.adjtimex(buffer))
    except (OSError, AttributeError):
        return False  # not Linux, or no libc: we cannot tell, so we do not trust
    return 0 <= state != TIME_ERROR


class ClockTrust:
    def __init__(
        self,
        *,
        always: bool,
        synchronised: Callable[[], bool] = kernel_synchronised,
    ) -> None:
        self._trusted = always
        self._synchronised = synchronised
        self._said = False

    def trusted(self) -> bool:
        if not self._trusted and self._synchronised():
            self._confirm("the system clock is synchronised (NTP)")
        if not self._trusted and not self._said:
            self._said = True
            log.warning(
                "clock not yet trusted: charging waits for the clock to be set, "
                "except when the owner says charge now"
            )
        return self._trusted

    def central_time_seen(self) -> None:
        """The central system's time was plausible: the clock is right (or now set right)."""
        self._confirm("the central system's time was received")

    def _confirm(self, why: str) -> None:
        if not self._trusted:
            self._trusted = True
            log.info("clock trusted: %s", why)
