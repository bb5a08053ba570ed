"""The real OCPP message mix, sent by the lean chargers of `load_client.py`.

What a fleet of chargers in everyday use sends, as the widely used third-party charging-station
simulator's automatic transaction generator does it (bench/platform.md, "The mix"): each charger
boots (BootNotification, StatusNotification Available), then in a loop authorises a card
(Authorize), starts a transaction (StartTransaction, then StatusNotification Charging), sends
MeterValues every 15 s while charging, stops after 60 to 90 s (StopTransaction, then
StatusNotification Available), pauses 15 to 30 s and starts again; a Heartbeat every 60 s all
along. Durations are drawn from a seeded `random.Random`; `speed` divides every time (an
accelerated mix has the same shares, more messages per charger per second).

`MixSchedule` drives that; `TypeSchedule` sends one message type only, at a fixed rate (the
per-type CPU cost: the server's CPU over a window where it handles nothing else). Both keep one
CALL outstanding per charger (OCPP): a message due while one is unanswered waits, and its
latency still counts from when it was due; a message that follows another's answer (the
StartTransaction after its Authorize) is due when that answer came. Latency and counts are kept
per message type.
"""

from __future__ import annotations

import asyncio
import heapq
import random
import re
from collections import deque
from dataclasses import dataclass, field

from load_client import LeanCharger, utc_stamp

TYPES = (
    "BootNotification",
    "StatusNotification",
    "Authorize",
    "StartTransaction",
    "MeterValues",
    "StopTransaction",
    "Heartbeat",
)
METER_EVERY = 15.0  # s: MeterValueSampleInterval while charging
CHARGE_S = (60.0, 90.0)  # a transaction lasts this long (uniform)
PAUSE_S = (15.0, 30.0)  # between a stop and the next Authorize (uniform)
HEARTBEAT_EVERY = 60.0
_TX_ID = re.compile(rb'"transactionId"\s*:\s*(\d+)')


def expected_shares(heartbeat_every: float = HEARTBEAT_EVERY) -> dict[str, float]:
    """The mix's share of each message type in steady state (boots aside), from the cycle's
    mean durations: what the measured counts should come close to."""
    charge = sum(CHARGE_S) / 2
    cycle = charge + sum(PAUSE_S) / 2
    meter = sum(int(d // METER_EVERY) for d in range(int(CHARGE_S[0]), int(CHARGE_S[1]) + 1))
    meter /= int(CHARGE_S[1]) - int(CHARGE_S[0]) + 1  # mean MeterValues per transaction
    per_cycle = {
        "Authorize": 1.0,
        "StartTransaction": 1.0,
        "StatusNotification": 2.0,
        "MeterValues": meter,
        "StopTransaction": 1.0,
        "Heartbeat": cycle / heartbeat_every if heartbeat_every else 0.0,
    }
    total = sum(per_cycle.values())
    return {kind: n / total for kind, n in per_cycle.items()}


@dataclass
class TypeStats:
    answered: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)


@dataclass
class MixStats:
    measuring: bool = False
    by_type: dict[str, TypeStats] = field(default_factory=lambda: {t: TypeStats() for t in TYPES})
    error_samples: list[str] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return sum(s.answered for s in self.by_type.values())


class _State:
    """What the schedule keeps per charger."""

    __slots__ = ("backlog", "busy_kind", "busy_since", "meter", "open_txs", "tx")

    def __init__(self) -> None:
        self.busy_kind: str | None = None
        self.busy_since: float | None = None
        self.backlog: deque[tuple[float | None, str, str]] = deque()
        self.tx = 0  # the transaction in progress (0: none)
        self.open_txs: deque[int] = deque()  # TypeSchedule: started, to stop later
        self.meter = 0  # Wh


class _Base:
    """Frames built when sent (a MeterValues needs the transaction id its Start got back)."""

    def __init__(self, chargers: list[LeanCharger], stats: MixStats, values: str) -> None:
        self.chargers, self.stats = chargers, stats
        self.states = [_State() for _ in chargers]
        self._loop = asyncio.get_running_loop()
        self._values_before, self._values_after = values.split("{e}")
        self._heap: list[tuple[float, int, int, str, str]] = []
        self._seq = 0
        for ch in chargers:
            ch.on_answer = self._answered

    # --- frames --------------------------------------------------------------------------------

    def _payload(self, i: int, kind: str, arg: str) -> str:
        st, now = self.states[i], utc_stamp()
        if kind == "Heartbeat":
            return "{}"
        if kind == "StatusNotification":
            return f'{{"connectorId":1,"errorCode":"NoError","status":"{arg}","timestamp":"{now}"}}'
        if kind == "Authorize":
            return '{"idTag":"BENCH"}'
        if kind == "StartTransaction":
            st.meter += 1  # a resent start is recognised by its meter start: each one differs
            return (
                f'{{"connectorId":1,"idTag":"BENCH","meterStart":{st.meter},"timestamp":"{now}"}}'
            )
        if kind == "MeterValues":
            st.meter += 250
            return (
                f'{{"connectorId":1,"transactionId":{st.tx},"meterValue":[{{"timestamp":"{now}",'
                f'"sampledValue":{self._values_before}{st.meter}{self._values_after}}}]}}'
            )
        if kind == "StopTransaction":
            tx = st.tx if arg != "oldest" else (st.open_txs.popleft() if st.open_txs else 0)
            st.meter += 10
            return (
                f'{{"transactionId":{tx},"meterStop":{st.meter},"timestamp":"{now}",'
                f'"idTag":"BENCH","reason":"Local"}}'
            )
        if kind == "BootNotification":
            return '{"chargePointVendor":"bench","chargePointModel":"L"}'
        raise ValueError(kind)

    def _send(self, i: int, due: float, kind: str, arg: str) -> None:
        ch, st = self.chargers[i], self.states[i]
        st.busy_kind, st.busy_since = kind, due
        ch.n += 1
        ch.send(f'[2,"{ch.n}","{kind}",{self._payload(i, kind, arg)}]'.encode())

    def _due(self, i: int, due: float | None, kind: str, arg: str = "") -> None:
        """Send now, or after the outstanding CALL's answer (`due` None: due at that moment)."""
        if self.chargers[i].closed:
            return
        st = self.states[i]
        if st.busy_kind is None:
            self._send(i, self._loop.time() if due is None else due, kind, arg)
        else:
            st.backlog.append((due, kind, arg))

    def _answered(self, ch: LeanCharger, payload: bytes) -> None:
        i = ch.index  # type: ignore[attr-defined]
        st = self.states[i]
        kind, due = st.busy_kind, st.busy_since
        st.busy_kind = st.busy_since = None
        if kind is None:
            return
        now = self._loop.time()
        if kind == "StartTransaction":
            m = _TX_ID.search(payload)
            if m is not None:
                st.tx = int(m.group(1))
                st.open_txs.append(st.tx)
        stats = self.stats
        if stats.measuring:
            by = stats.by_type[kind]
            if payload[1:2] == b"4":
                by.errors += 1
                if len(stats.error_samples) < 5:
                    stats.error_samples.append(payload[:200].decode(errors="replace"))
            elif due is not None:
                by.answered += 1
                by.latencies.append(now - due)
        if st.backlog:
            next_due, next_kind, arg = st.backlog.popleft()
            self._send(i, now if next_due is None else next_due, next_kind, arg)

    # --- the timer -----------------------------------------------------------------------------

    def at(self, due: float, i: int, kind: str, arg: str = "") -> None:
        self._seq += 1
        heapq.heappush(self._heap, (due, self._seq, i, kind, arg))

    def _fire(self, due: float, i: int, kind: str, arg: str) -> None:
        self._due(i, due, kind, arg)

    async def run(self, until: float) -> None:
        heap = self._heap
        while heap:
            now = self._loop.time()
            while heap and heap[0][0] <= now:
                due, _, i, kind, arg = heapq.heappop(heap)
                if due >= until:
                    return
                self._fire(due, i, kind, arg)
            await asyncio.sleep(0.005 if not heap else min(0.005, max(0.0, heap[0][0] - now)))


class MixSchedule(_Base):
    """The everyday mix (module docstring); `speed` divides every duration."""

    def __init__(
        self,
        chargers: list[LeanCharger],
        stats: MixStats,
        values: str,
        *,
        first: float,
        speed: float = 1.0,
        heartbeat_every: float = HEARTBEAT_EVERY,
        rng: random.Random,
    ) -> None:
        super().__init__(chargers, stats, values)
        self.speed, self.rng, self.heartbeat = speed, rng, heartbeat_every / speed
        cycle = (sum(CHARGE_S) / 2 + sum(PAUSE_S) / 2) / speed
        for i, ch in enumerate(chargers):
            ch.index = i  # type: ignore[attr-defined]
            # Spread over one cycle, as a fleet in use is: some charging, some pausing.
            self.at(first + rng.random() * cycle, i, "Authorize")
            if self.heartbeat:
                self.at(first + rng.random() * self.heartbeat, i, "Heartbeat")

    def _fire(self, due: float, i: int, kind: str, arg: str) -> None:
        if kind == "Heartbeat":
            self.at(due + self.heartbeat, i, "Heartbeat")
            self._due(i, due, kind)
        elif kind == "Authorize":
            # Authorize; its answer lets the start go; the status follows the start.
            self._due(i, due, "Authorize")
            self._due(i, None, "StartTransaction")
            self._due(i, None, "StatusNotification", "Charging")
            charge = self.rng.uniform(*CHARGE_S)
            k = 1
            while k * METER_EVERY < charge:
                self.at(due + k * METER_EVERY / self.speed, i, "MeterValues")
                k += 1
            stop = due + charge / self.speed
            self.at(stop, i, "StopTransaction")
            self.at(stop + self.rng.uniform(*PAUSE_S) / self.speed, i, "Authorize")
        elif kind == "StopTransaction":
            self._due(i, due, "StopTransaction")
            self._due(i, None, "StatusNotification", "Available")
        else:
            self._due(i, due, kind, arg)


class TypeSchedule(_Base):
    """One message type only, `rate` per charger per second, chargers spread over the period.
    StopTransaction stops, oldest first, the transactions an earlier StartTransaction schedule
    on the same states opened (pass `states`)."""

    def __init__(
        self,
        chargers: list[LeanCharger],
        stats: MixStats,
        values: str,
        kind: str,
        *,
        first: float,
        until: float,
        rate: float,
        states: list[_State] | None = None,
    ) -> None:
        super().__init__(chargers, stats, values)
        if states is not None:
            self.states = states
        period, n = 1.0 / rate, len(chargers)
        arg = {"StatusNotification": "Charging", "StopTransaction": "oldest"}.get(kind, "")
        for i, ch in enumerate(chargers):
            ch.index = i  # type: ignore[attr-defined]
            due = first + period * i / n
            while due < until:
                self.at(due, i, kind, arg)
                due += period


async def boot(ch: LeanCharger) -> None:
    """One charger's BootNotification and StatusNotification Available (before measuring)."""
    await ch.call("BootNotification", '{"chargePointVendor":"bench","chargePointModel":"L"}')
    status = (
        '{"connectorId":1,"errorCode":"NoError","status":"Available",'
        f'"timestamp":"{utc_stamp()}"}}'
    )
    await ch.call("StatusNotification", status)
