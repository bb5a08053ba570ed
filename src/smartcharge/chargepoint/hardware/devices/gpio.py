"""Tamper switch and status LEDs on GPIO lines through libgpiod v2 (`gpiod`).

The tamper line is watched for edges (the kernel queues them; the event loop reads them from the
request's file descriptor, no polling); opening the enclosure calls the tamper listeners (R36).
`tamper_active_low = true` (the default) is a switch to ground that holds the line low while the
lid is shut, the line pulled up: high means opened. The LEDs show the connectors' OCPP status:
available (green), charging (blue), fault (red: Faulted or Unavailable on any connector).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import errno
import logging
from collections.abc import Callable
from typing import Any

from smartcharge.chargepoint.hardware.config import GpioConfig
from smartcharge.chargepoint.hardware.devices.faults import DeviceError

log = logging.getLogger("smartcharge.chargepoint.hardware")
DEBOUNCE = datetime.timedelta(milliseconds=20)


class GpioPanel:
    """Implements `TamperSensor` and `Indicator`."""

    def __init__(self, config: GpioConfig) -> None:
        self.config = config
        self._request: Any = None
        self._listeners: list[Callable[[str], None]] = []
        self._statuses: dict[int, str] = {}

    def describe(self) -> str:
        return f"GPIO chip {self.config.chip}"

    def open(self) -> None:
        """Request the lines from the kernel; DeviceError in plain words when it cannot."""
        import gpiod
        from gpiod.line import Bias, Direction, Edge, Value

        cfg = self.config
        lines: dict[Any, Any] = {}
        if cfg.tamper_line is not None:
            lines[cfg.tamper_line] = gpiod.LineSettings(
                direction=Direction.INPUT,
                edge_detection=Edge.BOTH,
                bias=Bias.PULL_UP if cfg.tamper_active_low else Bias.PULL_DOWN,
                debounce_period=DEBOUNCE,
            )
        for led in self._leds():
            lines[led] = gpiod.LineSettings(direction=Direction.OUTPUT, output_value=Value.INACTIVE)
        if not lines:
            return
        try:
            self._request = gpiod.request_lines(cfg.chip, consumer="smartcharge", config=lines)
        except FileNotFoundError:
            raise DeviceError("OtherError", f"there is no GPIO chip at {cfg.chip}") from None
        except PermissionError:
            raise DeviceError("OtherError", f"no permission to use {cfg.chip}") from None
        except OSError as exc:
            raise DeviceError("OtherError", _why(cfg.chip, exc)) from None

    def _leds(self) -> list[int]:
        c = self.config
        return [n for n in (c.led_available, c.led_charging, c.led_fault) if n is not None]

    def opened(self) -> bool:
        """Whether the enclosure is open now (False without a tamper line)."""
        from gpiod.line import Value

        if self._request is None or self.config.tamper_line is None:
            return False
        high = self._request.get_value(self.config.tamper_line) == Value.ACTIVE
        return high if self.config.tamper_active_low else not high

    def on_tamper(self, callback: Callable[[str], None]) -> None:
        self._listeners.append(callback)

    def _edges(self) -> None:
        self._request.read_edge_events()
        if self.opened():
            log.warning("tamper switch: the enclosure was opened")
            for listener in list(self._listeners):
                try:
                    listener("enclosure opened (tamper switch)")
                except Exception:
                    log.exception("tamper listener %r failed", listener)

    def watch(self) -> None:
        """Start delivering tamper edges through the running event loop."""
        if self._request is not None and self.config.tamper_line is not None:
            asyncio.get_running_loop().add_reader(self._request.fd, self._edges)

    def show(self, connector_id: int, status: str) -> None:
        from gpiod.line import Value

        self._statuses[connector_id] = status
        if self._request is None:
            return
        s = set(self._statuses.values())
        on = {
            self.config.led_available: "Available" in s,
            self.config.led_charging: "Charging" in s,
            self.config.led_fault: bool(s & {"Faulted", "Unavailable"}),
        }
        for line, lit in on.items():
            if line is not None:
                self._request.set_value(line, Value.ACTIVE if lit else Value.INACTIVE)

    def close(self) -> None:
        if self._request is not None:
            with contextlib.suppress(RuntimeError):  # no loop: nothing to stop watching
                asyncio.get_running_loop().remove_reader(self._request.fd)
            self._request.release()
            self._request = None


def _why(chip: str, exc: OSError) -> str:
    """The kernel's refusal in an installer's words."""
    if exc.errno in (errno.ENODEV, errno.ENOTTY):
        return f"{chip} is not a GPIO chip"
    if exc.errno == errno.EBUSY:
        return f"another program is using these GPIO lines on {chip}"
    if exc.errno == errno.EINVAL:
        return f"a configured line number does not exist on {chip}"
    return f"the GPIO lines on {chip} cannot be used ({exc.strerror})"
