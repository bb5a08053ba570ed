"""DSR intake (R4): an aggregator's event goes to each charger as a DSR event (DataTransfer
org.smartcharge.uk DsrEvent), so the charger applies it with no random delay (R26); who
acknowledged, who could not be reached and who opted out (R19) is recorded and reported back.

Deliveries that found a charger offline (or timed out) are sent again, while the event is not
over, by `retry_forever` once the charger is connected again.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smartcharge.ocpp import uk_extension
from smartcharge.ocpp.errors import CallError, CallTimeout, InvalidResponse
from smartcharge.ocpp.times import format_time
from smartcharge.platform.background import failed_pass
from smartcharge.platform.ocpp_server import ChargerOffline, OcppServer
from smartcharge.platform.store import Store

log = logging.getLogger("smartcharge.platform.dsr")

KINDS = ("response", "scheduled")


@dataclass(frozen=True, slots=True)
class DsrRequest:
    kind: str
    limit_a: float
    start: datetime
    duration_s: int


class DsrService:
    def __init__(
        self,
        store: Store,
        ocpp: OcppServer,
        *,
        now: Callable[[], datetime],
        timeout: float = 10.0,
        retry_interval: float = 15.0,
    ) -> None:
        self.store = store
        self.ocpp = ocpp
        self.now = now
        self.timeout = timeout
        self.retry_interval = retry_interval

    async def post(
        self,
        request: DsrRequest,
        *,
        aggregator_id: int,
        targets: dict[str, int],
        group_id: int | None = None,
    ) -> str:
        """Record the event with one pending delivery per charger, send it to all of them at
        once, record each answer; returns the event id."""
        event_id = str(uuid.uuid4())
        await self.store.dsr.add_event(
            event_id,
            aggregator_id=aggregator_id,
            group_id=group_id,
            kind=request.kind,
            limit_a=request.limit_a,
            start=request.start,
            duration_s=request.duration_s,
            charger_ids=targets.values(),
            at=self.now(),
        )
        log.info("DSR event %s kind=%s chargers=%d", event_id, request.kind, len(targets))
        await self._deliver_all(event_id, request, targets)
        return event_id

    async def _deliver_all(
        self, event_id: str, request: DsrRequest, targets: dict[str, int]
    ) -> None:
        payload = uk_extension.data_transfer(
            uk_extension.DSR_EVENT,
            {
                "id": event_id,
                "kind": request.kind,
                "limitA": request.limit_a,
                "start": format_time(request.start),
                "durationS": request.duration_s,
                "alreadyRandomised": False,
            },
        )
        identities = list(targets)
        # One payload for all: validated and encoded once, sent to every charger at once.
        answers = await self.ocpp.send_many(identities, "DataTransfer", payload, self.timeout)
        await self.store.dsr.delivered_many(
            event_id,
            [
                (targets[i], *_outcome(answer))
                for i, answer in zip(identities, answers, strict=True)
            ],
            at=self.now(),
        )

    async def retry_once(self) -> int:
        """Send again the deliveries of live events whose charger is now connected."""
        due: dict[str, tuple[DsrRequest, dict[str, int]]] = {}
        for row in await self.store.dsr.undelivered(now=self.now()):
            if not self.ocpp.is_connected(row["identity"]):
                continue
            request = DsrRequest(row["kind"], row["limit_a"], row["start"], row["duration_s"])
            due.setdefault(row["event_id"], (request, {}))[1][row["identity"]] = row["charger_id"]
        for event_id, (request, targets) in due.items():
            await self._deliver_all(event_id, request, targets)
        return sum(len(t) for _, t in due.values())

    async def retry_forever(self) -> None:
        while True:
            await asyncio.sleep(self.retry_interval)
            try:
                await self.retry_once()
            except Exception:
                failed_pass(log, "DSR retry failed")


def _outcome(answer: dict[str, Any] | Exception) -> tuple[str, str | None]:
    """A delivery's status and detail from the charger's answer (or why there was none)."""
    if isinstance(answer, ChargerOffline):
        return "offline", None
    if isinstance(answer, CallTimeout):
        return "timeout", None
    if isinstance(answer, Exception):
        if not isinstance(answer, CallError | InvalidResponse):  # not the charger's doing
            log.warning("DSR delivery failed reason=%s", type(answer).__name__)
        return "error", str(answer)[:255]
    if answer.get("status") == "Accepted":
        return "accepted", None
    return "rejected", f"{answer.get('status')}: {answer.get('data') or ''}"[:255]
