"""Metering: turning meter readings into OCPP MeterValues, and the sampling calendar.

R9/R11: the meter is read every second; power and energy are kept per second (samples table) and
sent per MeterValueSampleInterval (sampled data, 1 s allowed) and ClockAlignedDataInterval
(aligned data, counted from midnight UTC, OCPP 1.6 section 3.16.2).
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from smartcharge.chargepoint.connector import Connector
from smartcharge.chargepoint.hardware.ports import MeterReading
from smartcharge.chargepoint.status import StatusReports
from smartcharge.ocpp.times import format_time

log = logging.getLogger("smartcharge.chargepoint.station")

PHASES = ("L1", "L2", "L3")
SAMPLE_FLUSH_EVERY_S = 10  # per-second samples are history, not transaction data: batch them
SAMPLES_KEPT = 3600  # per connector, in memory while the disk is full (an hour of 1 s samples)


def _sv(value: float, measurand: str, unit: str, context: str, **extra: str) -> dict[str, Any]:
    return {
        "value": f"{value:.0f}" if unit in ("Wh", "W") else f"{value:.1f}",
        "context": context,
        "format": "Raw",
        "measurand": measurand,
        "location": extra.pop("location", "Outlet"),
        "unit": unit,
        **extra,
    }


def sampled_values(
    reading: MeterReading,
    measurands: list[str],
    *,
    context: str,
    offered_a: float,
    phases: int,
) -> list[dict[str, Any]]:
    """OCPP SampledValue entries for `measurands`, in the order configured."""
    out: list[dict[str, Any]] = []
    used = PHASES[:phases]
    for m in measurands:
        if m == "Energy.Active.Import.Register":
            out.append(_sv(reading.energy_import_wh, m, "Wh", context))
        elif m == "Energy.Active.Export.Register":
            out.append(_sv(reading.energy_export_wh, m, "Wh", context))
        elif m == "Power.Active.Import":
            out.append(_sv(reading.power_w, m, "W", context))
        elif m == "Current.Import":
            for i, ph in enumerate(used):
                out.append(_sv(reading.current_a[i], m, "A", context, phase=ph))
        elif m == "Voltage":
            for i, ph in enumerate(used):
                out.append(_sv(reading.voltage_v[i], m, "V", context, phase=f"{ph}-N"))
        elif m == "Current.Offered":
            out.append(_sv(offered_a, m, "A", context))
        elif m == "SoC" and reading.soc_percent is not None:
            out.append(_sv(reading.soc_percent, m, "Percent", context, location="EV"))
        # Measurands this meter cannot measure are left out rather than invented.
    return out


def meter_value(timestamp: datetime, values: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "timestamp": format_time(timestamp, "seconds"),
        "sampledValue": values,
    }


def aligned_start(now: datetime, interval_s: int) -> datetime:
    """The clock-aligned instant that opened the interval `now` falls in (UTC).

    Clock-aligned values carry this instant, not the tick's: the tick that notices a new interval
    may run a moment after its boundary (ticks are on a one-second grid, later under load), and
    the central system lines readings of many chargers up by these timestamps."""
    u = now.astimezone(UTC)
    midnight = u.replace(hour=0, minute=0, second=0, microsecond=0)
    into = int((u - midnight).total_seconds()) // interval_s * interval_s
    return midnight + timedelta(seconds=into)


def aligned_slot(now: datetime, interval_s: int) -> int | None:
    """Index of the clock-aligned interval `now` falls in (counted from midnight UTC)."""
    if interval_s <= 0:
        return None
    u = now.astimezone(UTC)
    midnight = u.replace(hour=0, minute=0, second=0, microsecond=0)
    day = int(midnight.timestamp()) // 86400
    return day * 100000 + int((u - midnight).total_seconds()) // interval_s


class MeterReports(StatusReports):
    """The meter values the station queues and sends (R9, R11)."""

    def flush_samples(self) -> None:
        batch, self._samples = self._samples, []
        self._last_flush = self.clock.monotonic()
        try:
            self.store.add_samples(batch)
        except (sqlite3.Error, OSError):
            # Kept for the next flush (a full disk), the newest SAMPLES_KEPT of them.
            self._samples = (batch + self._samples)[-SAMPLES_KEPT * len(self.connectors) :]
            raise

    def _sample_interval(self) -> float:
        interval = self.settings.int_value("MeterValueSampleInterval")
        return float(interval) if interval > 0 else float("inf")

    def _stop_txn_values(self, c: Connector, reading: Any, context: str) -> list[dict[str, Any]]:
        return sampled_values(
            reading,
            self.settings.csl_value("StopTxnSampledData"),
            context=context,
            offered_a=c.hw.offered_current(),
            phases=self.phases,
        )

    def _periodic_sample(self, c: Connector, now: datetime, mono: float) -> None:
        assert c.tx_local_id is not None
        c.next_sample_mono = max(c.next_sample_mono + self._sample_interval(), mono)
        self._queue_values(c, now, "Sample.Periodic", "MeterValuesSampledData")

    def _aligned_sample(self, c: Connector, now: datetime) -> None:
        now = aligned_start(now, self.settings.int_value("ClockAlignedDataInterval"))
        if c.tx_local_id is not None:
            # Never before its transaction began (it may have begun in this very tick).
            if c.tx_started_at is not None:
                now = max(now, c.tx_started_at)
            self._queue_values(c, now, "Sample.Clock", "MeterValuesAlignedData")
            return
        reading = c.hw.meter.read()
        values = sampled_values(
            reading,
            self.settings.csl_value("MeterValuesAlignedData"),
            context="Sample.Clock",
            offered_a=c.hw.offered_current(),
            phases=self.phases,
        )
        if values and self.online is not None and self.online.ready:
            payload = {"connectorId": c.id, "meterValue": [meter_value(now, values)]}
            self.spawn(self.send_best_effort("MeterValues", payload))

    def _queue_values(self, c: Connector, now: datetime, context: str, key: str) -> None:
        assert c.tx_local_id is not None
        reading = c.hw.meter.read()
        values = sampled_values(
            reading,
            self.settings.csl_value(key),
            context=context,
            offered_a=c.hw.offered_current(),
            phases=self.phases,
        )
        if not values:
            return
        self.store.queue_transaction_meter_values(
            c.tx_local_id,
            c.id,
            [meter_value(now, values)],
            now=now,
            register_wh=round(reading.energy_import_wh),
        )
        self._wake_outbox()

    def trigger_meter_values(self, connector_id: int | None) -> None:
        """TriggerMessage(MeterValues): current values now, outside any transaction queue."""
        now = self.clock.now()
        for c in self.connectors.values():
            if connector_id not in (None, 0, c.id):
                continue
            values = sampled_values(
                c.hw.meter.read(),
                self.settings.csl_value("MeterValuesSampledData"),
                context="Trigger",
                offered_a=c.hw.offered_current(),
                phases=self.phases,
            )
            payload: dict[str, Any] = {
                "connectorId": c.id,
                "meterValue": [meter_value(now, values)],
            }
            if c.tx_local_id is not None:
                tx = self.store.transaction_id(c.tx_local_id)
                if tx is not None:
                    payload["transactionId"] = tx
            self.spawn(self.send_best_effort("MeterValues", payload))
