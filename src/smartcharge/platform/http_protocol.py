"""uvicorn's HTTP/1.1 protocol (h11) with the limits a stranger meets before any route runs.

uvicorn closes an idle keep-alive connection, but it waits for ever on a request that arrives
one byte at a time (a slow-header or slow-body flood keeps every socket, and with it a file
descriptor of the process that also serves the chargers). Here:

- a connection over the listener's caps (`ConnectionLimits`) is answered 503 and closed;
- a request's header must arrive within `header_timeout` of the connection opening or of the
  previous response (else 408 and close), and its body within `body_timeout` of the header
  (else the connection is closed and the route sees a disconnect).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from smartcharge.platform.connection_limits import REFUSED, ConnectionLimits

TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Connection: close\r\n"
    b"Content-Length: 16\r\n\r\n"
    b"Request Timeout\n"
)


class GuardedH11Protocol(H11Protocol):
    limits: ConnectionLimits
    header_timeout: float
    body_timeout: float

    @classmethod
    def configured(
        cls, limits: ConnectionLimits, *, header_timeout: float, body_timeout: float
    ) -> type[GuardedH11Protocol]:
        """The protocol class for one listener (uvicorn instantiates it per connection)."""
        return type(
            "GuardedH11Protocol",
            (cls,),
            {"limits": limits, "header_timeout": header_timeout, "body_timeout": body_timeout},
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._address: str | None = None  # set once admitted
        self._deadline: asyncio.TimerHandle | None = None
        self._waiting_for: str | None = None  # "header", "body" or None (request complete)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        peer = transport.get_extra_info("peername")
        address = str(peer[0]) if peer else "unknown"
        if not self.limits.admit(address):
            transport.write(REFUSED)
            transport.abort()
            return
        self._address = address
        super().connection_made(transport)
        self._expect("header", self.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._address is None:
            return  # refused at the door: uvicorn never knew it
        self._cancel_deadline()
        self.limits.release(self._address)
        self._address = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow_request()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow_request()

    def _follow_request(self) -> None:
        """Move the deadline along with the request: header, then body, then none."""
        if self._address is None or self.transport.is_closing():
            return
        state = self.conn.their_state
        if state is h11.IDLE:
            if self._waiting_for != "header":
                self._expect("header", self.header_timeout)
        elif state is h11.SEND_BODY:
            if self._waiting_for != "body":
                self._expect("body", self.body_timeout)
        else:  # the whole request is in: the route's own time is not limited here
            self._cancel_deadline()

    def _expect(self, what: str, seconds: float) -> None:
        self._cancel_deadline()
        self._waiting_for = what
        self._deadline = self.loop.call_later(seconds, self._timed_out)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline, self._waiting_for = None, None

    def _timed_out(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self._waiting_for == "header" and (self.cycle is None or self.cycle.response_complete):
            self.transport.write(TIMED_OUT)
        self._waiting_for = None
        self.transport.close()
